# SPDX-License-Identifier: ISC
# tlspp::asio (standalone Asio, Debian's libasio-dev) and tlspp::boost_asio
# (Boost.Asio 1.74 or newer, with Beast; Debian's libboost-dev): header-only
# layers, independent of each other.
#
# Whether each is built, and offered by the installed package, is an option,
# so that a package says the same whatever the builder's machine had:
#   ON    build it; configure fails if its header is missing
#   OFF   do not build it
#   AUTO  build it when its header is found (a subproject's default: nothing
#         is installed then). Refused with TLSPP_INSTALL: say ON or OFF.
# The whole project defaults to ON, as its tests and examples use both.
if(PROJECT_IS_TOP_LEVEL)
  set(_tlspp_asio_default ON)
else()
  set(_tlspp_asio_default AUTO)
endif()
set(TLSPP_WITH_ASIO "${_tlspp_asio_default}" CACHE STRING
    "Build and install tlspp::asio (standalone Asio): ON, OFF or AUTO")
set(TLSPP_WITH_BOOST_ASIO "${_tlspp_asio_default}" CACHE STRING
    "Build and install tlspp::boost_asio (Boost.Asio): ON, OFF or AUTO")
set_property(CACHE TLSPP_WITH_ASIO PROPERTY STRINGS ON OFF AUTO)
set_property(CACHE TLSPP_WITH_BOOST_ASIO PROPERTY STRINGS ON OFF AUTO)

# Sets ${out} to ON or OFF from option ${option}: whether a layer whose
# header is ${header} (found or not in ${include_dir}) is built.
function(_tlspp_asio_decide option header include_dir package out)
  string(TOUPPER "${${option}}" _value)
  if(_value STREQUAL "AUTO")
    if(TLSPP_INSTALL)
      message(FATAL_ERROR "${option}=AUTO with TLSPP_INSTALL=ON: the installed package would "
                          "offer it or not depending on this machine. Say -D${option}=ON or OFF.")
    endif()
    set(_build ${include_dir})
  elseif(_value)
    if(NOT include_dir)
      message(FATAL_ERROR "${option} is ON but ${header} was not found: install ${package} "
                          "(or point CMAKE_PREFIX_PATH at it), or configure with -D${option}=OFF.")
    endif()
    set(_build ON)
  else()
    set(_build OFF)
  endif()
  if(_build)
    set(${out} ON PARENT_SCOPE)
  else()
    set(${out} OFF PARENT_SCOPE)
  endif()
endfunction()

if(NOT TLSPP_WITH_ASIO STREQUAL "OFF")
  find_path(TLSPP_ASIO_INCLUDE_DIR asio.hpp)
endif()
_tlspp_asio_decide(TLSPP_WITH_ASIO asio.hpp "${TLSPP_ASIO_INCLUDE_DIR}" libasio-dev TLSPP_HAVE_ASIO)
if(TLSPP_HAVE_ASIO)
  add_library(tlspp_asio INTERFACE)
  add_library(tlspp::asio ALIAS tlspp_asio)
  set_target_properties(tlspp_asio PROPERTIES EXPORT_NAME asio)
  target_link_libraries(tlspp_asio INTERFACE tlspp Threads::Threads)
  # Our own Asio code (tests, examples, bench) compiles without Asio's
  # deprecated API, so that the headers never come to need it. Consumers
  # are not given the macro: which Asio API they see is their choice.
  set(TLSPP_ASIO_OWN_DEFINITIONS ASIO_NO_DEPRECATED)
  message(STATUS "tlspp: TLSPP_WITH_ASIO=${TLSPP_WITH_ASIO}, Asio in ${TLSPP_ASIO_INCLUDE_DIR}: building tlspp::asio")
else()
  set(TLSPP_ASIO_OWN_DEFINITIONS "")
  message(STATUS "tlspp: TLSPP_WITH_ASIO=${TLSPP_WITH_ASIO}: no tlspp::asio")
endif()

if(NOT TLSPP_WITH_BOOST_ASIO STREQUAL "OFF")
  find_path(TLSPP_BOOST_ASIO_INCLUDE_DIR boost/asio.hpp)
endif()
_tlspp_asio_decide(TLSPP_WITH_BOOST_ASIO boost/asio.hpp "${TLSPP_BOOST_ASIO_INCLUDE_DIR}"
                   libboost-dev TLSPP_HAVE_BOOST_ASIO)
if(TLSPP_HAVE_BOOST_ASIO)
  add_library(tlspp_boost_asio INTERFACE)
  add_library(tlspp::boost_asio ALIAS tlspp_boost_asio)
  set_target_properties(tlspp_boost_asio PROPERTIES EXPORT_NAME boost_asio)
  target_link_libraries(tlspp_boost_asio INTERFACE tlspp Threads::Threads)
  # As for Asio: our own code only, never the consumers.
  set(TLSPP_BOOST_ASIO_OWN_DEFINITIONS BOOST_ASIO_NO_DEPRECATED)
  message(STATUS "tlspp: TLSPP_WITH_BOOST_ASIO=${TLSPP_WITH_BOOST_ASIO}, Boost.Asio in "
                 "${TLSPP_BOOST_ASIO_INCLUDE_DIR}: building tlspp::boost_asio")
else()
  set(TLSPP_BOOST_ASIO_OWN_DEFINITIONS "")
  message(STATUS "tlspp: TLSPP_WITH_BOOST_ASIO=${TLSPP_WITH_BOOST_ASIO}: no tlspp::boost_asio")
endif()
