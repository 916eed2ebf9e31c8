# SPDX-License-Identifier: ISC
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

# tlspp::boost_asio: the same stream on Boost.Asio (<tlspp/boost_asio/stream.hpp>;
# Debian's libboost-dev, 1.74 or newer, with Beast). Header-only as well,
# and independent of the above: either, both or neither may be built.
find_path(TLSPP_BOOST_ASIO_INCLUDE_DIR boost/asio.hpp)
if(TLSPP_BOOST_ASIO_INCLUDE_DIR)
  add_library(tlspp_boost_asio INTERFACE)
  add_library(tlspp::boost_asio ALIAS tlspp_boost_asio)
  set_target_properties(tlspp_boost_asio PROPERTIES EXPORT_NAME boost_asio)
  target_link_libraries(tlspp_boost_asio INTERFACE tlspp Threads::Threads)
  set(TLSPP_HAVE_BOOST_ASIO ON)
  # As for Asio: our own code only, never the consumers.
  set(TLSPP_BOOST_ASIO_OWN_DEFINITIONS BOOST_ASIO_NO_DEPRECATED)
  message(STATUS "tlspp: Boost.Asio found in ${TLSPP_BOOST_ASIO_INCLUDE_DIR}: building tlspp::boost_asio")
else()
  set(TLSPP_HAVE_BOOST_ASIO OFF)
  set(TLSPP_BOOST_ASIO_OWN_DEFINITIONS "")
  message(STATUS "tlspp: boost/asio.hpp not found: no tlspp::boost_asio (install libboost-dev)")
endif()
