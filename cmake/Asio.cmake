# tlspp::asio: the header-only Asio layer (standalone Asio, Debian's
# libasio-dev). Built only when asio.hpp is found.
find_path(TLSPP_ASIO_INCLUDE_DIR asio.hpp)
if(TLSPP_ASIO_INCLUDE_DIR)
  add_library(tlspp_asio INTERFACE)
  add_library(tlspp::asio ALIAS tlspp_asio)
  set_target_properties(tlspp_asio PROPERTIES EXPORT_NAME asio)
  target_link_libraries(tlspp_asio INTERFACE tlspp Threads::Threads)
  set(TLSPP_HAVE_ASIO ON)
  # Our own Asio code (tests, examples, bench) compiles without Asio's
  # deprecated API, so that the headers never come to need it. Consumers
  # are not given the macro: which Asio API they see is their choice.
  set(TLSPP_ASIO_OWN_DEFINITIONS ASIO_NO_DEPRECATED)
  message(STATUS "tlspp: Asio found in ${TLSPP_ASIO_INCLUDE_DIR}: building tlspp::asio")
else()
  set(TLSPP_HAVE_ASIO OFF)
  set(TLSPP_ASIO_OWN_DEFINITIONS "")
  message(STATUS "tlspp: asio.hpp not found: no tlspp::asio (install libasio-dev)")
endif()
