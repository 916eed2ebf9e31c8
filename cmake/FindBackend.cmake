# SPDX-License-Identifier: ISC
# Finds the libtls backend and exposes it as the target `tlspp_libtls`
# (exported as tlspp::libtls), so that an installed static tlspp still knows
# what to link against.
#
# TLSPP_BACKEND picks the implementation: `openssl` (tlspp-openssl, built
# from backends/openssl over OpenSSL 3; the default) or `libtls` (a libtls
# found as below; the default when TLSPP_LIBTLS_ROOT names one).
#
# libtls: pkg-config's `libtls` (Debian's libtls-dev is libretls over OpenSSL).
# With TLSPP_LIBTLS_ROOT: a prefix holding include/tls.h and lib/libtls.*
# (LibreSSL, libretls or libtls-bearssl). If the prefix ships a libtls.pc it is
# used for the link line; otherwise TLSPP_LIBTLS_EXTRA_LIBS names what a static
# libtls needs beside it (for libtls-bearssl: bearssl).

if(TLSPP_LIBTLS_ROOT)
  set(_tlspp_default_backend libtls)
else()
  set(_tlspp_default_backend openssl)
endif()
set(TLSPP_BACKEND "${_tlspp_default_backend}" CACHE STRING
    "libtls implementation: openssl (tlspp-openssl) or libtls (system or TLSPP_LIBTLS_ROOT)")
if(TLSPP_BACKEND STREQUAL "openssl" AND TLSPP_LIBTLS_ROOT)
  message(FATAL_ERROR "TLSPP_LIBTLS_ROOT (${TLSPP_LIBTLS_ROOT}) names a libtls, but "
                      "TLSPP_BACKEND is openssl, which would ignore it: "
                      "use -DTLSPP_BACKEND=libtls, or drop TLSPP_LIBTLS_ROOT")
endif()
set_property(CACHE TLSPP_BACKEND PROPERTY STRINGS libtls openssl)
set(TLSPP_LIBTLS_EXTRA_LIBS "" CACHE STRING "Extra libraries a static libtls needs (e.g. bearssl)")
find_package(PkgConfig REQUIRED)

if(TLSPP_BACKEND STREQUAL "openssl")
  # The target itself comes from backends/openssl (added by the top level);
  # the feature probes only need its header.
  set(TLSPP_LIBTLS_INCLUDE_DIRS "${PROJECT_SOURCE_DIR}/backends/openssl/include")
  set(TLSPP_LIBTLS_LINK_LIBRARIES "")
  set(TLSPP_LIBTLS_RUNTIME_DIR "")
elseif(NOT TLSPP_BACKEND STREQUAL "libtls")
  message(FATAL_ERROR "TLSPP_BACKEND must be libtls or openssl, not '${TLSPP_BACKEND}'")
elseif(TLSPP_LIBTLS_ROOT)
  find_path(TLSPP_LIBTLS_INCLUDE_DIR tls.h PATHS "${TLSPP_LIBTLS_ROOT}/include"
            NO_DEFAULT_PATH REQUIRED)
  find_library(TLSPP_LIBTLS_LIBRARY NAMES tls
               PATHS "${TLSPP_LIBTLS_ROOT}/lib" "${TLSPP_LIBTLS_ROOT}/lib64"
               NO_DEFAULT_PATH REQUIRED)
  set(_tlspp_libtls_links "${TLSPP_LIBTLS_LIBRARY}")
  get_filename_component(_tlspp_libtls_libdir "${TLSPP_LIBTLS_LIBRARY}" DIRECTORY)
  if(TLSPP_LIBTLS_LIBRARY MATCHES "\\.a$")
    # A static libtls needs its TLS engine too: take it from the prefix.
    foreach(_dep IN ITEMS ssl crypto)
      find_library(_tlspp_dep_${_dep} NAMES ${_dep} PATHS "${_tlspp_libtls_libdir}" NO_DEFAULT_PATH)
      if(_tlspp_dep_${_dep})
        list(APPEND _tlspp_libtls_links "${_tlspp_dep_${_dep}}")
      endif()
    endforeach()
  endif()
  foreach(_extra IN LISTS TLSPP_LIBTLS_EXTRA_LIBS)
    find_library(_tlspp_extra_${_extra} NAMES ${_extra}
                 HINTS "${_tlspp_libtls_libdir}" REQUIRED)
    list(APPEND _tlspp_libtls_links "${_tlspp_extra_${_extra}}")
  endforeach()
  set(TLSPP_LIBTLS_INCLUDE_DIRS "${TLSPP_LIBTLS_INCLUDE_DIR}")
  set(TLSPP_LIBTLS_LINK_LIBRARIES ${_tlspp_libtls_links})
  set(TLSPP_LIBTLS_RUNTIME_DIR "${_tlspp_libtls_libdir}")
else()
  pkg_check_modules(LIBTLS REQUIRED libtls)
  set(TLSPP_LIBTLS_INCLUDE_DIRS ${LIBTLS_INCLUDE_DIRS})
  set(TLSPP_LIBTLS_LINK_LIBRARIES ${LIBTLS_LINK_LIBRARIES})
  set(TLSPP_LIBTLS_RUNTIME_DIR "")
endif()
find_package(Threads REQUIRED)
list(APPEND TLSPP_LIBTLS_LINK_LIBRARIES Threads::Threads)

add_library(tlspp_libtls INTERFACE)
set_target_properties(tlspp_libtls PROPERTIES EXPORT_NAME libtls)
if(TLSPP_BACKEND STREQUAL "openssl")
  target_link_libraries(tlspp_libtls INTERFACE tlspp_openssl Threads::Threads)
  message(STATUS "tlspp: libtls backend: tlspp-openssl (backends/openssl)")
  return()
endif()
target_link_libraries(tlspp_libtls INTERFACE ${TLSPP_LIBTLS_LINK_LIBRARIES})
if(TLSPP_LIBTLS_INCLUDE_DIRS)
  target_include_directories(tlspp_libtls SYSTEM INTERFACE ${TLSPP_LIBTLS_INCLUDE_DIRS})
endif()
if(TLSPP_LIBTLS_RUNTIME_DIR)
  # A libtls outside the system's library path must still be found at run time.
  target_link_options(tlspp_libtls INTERFACE "LINKER:-rpath,${TLSPP_LIBTLS_RUNTIME_DIR}")
endif()
message(STATUS "tlspp: libtls backend: ${TLSPP_LIBTLS_LINK_LIBRARIES}")
