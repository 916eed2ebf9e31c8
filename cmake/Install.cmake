# SPDX-License-Identifier: ISC
# Installs the library, its headers, a CMake package (find_package(tlspp))
# and a pkg-config file (pkg-config tlspp).
include(CMakePackageConfigHelpers)

set(TLSPP_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tlspp")

set(TLSPP_INSTALLED_TARGETS tlspp tlspp_libtls)
if(TLSPP_BACKEND STREQUAL "openssl")
  list(APPEND TLSPP_INSTALLED_TARGETS tlspp_openssl)
  set(TLSPP_FIND_OPENSSL "find_dependency(OpenSSL 3.0)")
else()
  set(TLSPP_FIND_OPENSSL "")
endif()
if(TLSPP_HAVE_ASIO)
  list(APPEND TLSPP_INSTALLED_TARGETS tlspp_asio)
endif()
if(TLSPP_HAVE_BOOST_ASIO)
  list(APPEND TLSPP_INSTALLED_TARGETS tlspp_boost_asio)
endif()
install(TARGETS ${TLSPP_INSTALLED_TARGETS} EXPORT tlsppTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/tlspp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT tlsppTargets NAMESPACE tlspp:: DESTINATION ${TLSPP_CMAKE_DIR})

configure_package_config_file(cmake/tlsppConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/tlsppConfig.cmake"
  INSTALL_DESTINATION ${TLSPP_CMAKE_DIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/tlsppConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/tlsppConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/tlsppConfigVersion.cmake"
        DESTINATION ${TLSPP_CMAKE_DIR})

# pkg-config: a static tlspp also needs libtls on the link line.
if(TLSPP_BACKEND STREQUAL "openssl")
  set(TLSPP_PC_REQUIRES_PRIVATE "libssl libcrypto")
  set(TLSPP_PC_LIBS_PRIVATE "-ltlspp_openssl -pthread")
elseif(TLSPP_LIBTLS_ROOT)
  set(TLSPP_PC_REQUIRES_PRIVATE "")
  set(TLSPP_PC_LIBS_PRIVATE "")
  foreach(_lib IN LISTS TLSPP_LIBTLS_LINK_LIBRARIES)
    if(_lib MATCHES "^/")
      string(APPEND TLSPP_PC_LIBS_PRIVATE " ${_lib}")
    endif()
  endforeach()
  string(APPEND TLSPP_PC_LIBS_PRIVATE " -Wl,-rpath,${TLSPP_LIBTLS_RUNTIME_DIR} -pthread")
else()
  set(TLSPP_PC_REQUIRES_PRIVATE "libtls")
  set(TLSPP_PC_LIBS_PRIVATE "-pthread")
endif()
if(BUILD_SHARED_LIBS)
  set(TLSPP_PC_LIBS "-L\${libdir} -ltlspp")
else()
  # Static: what would be private must be on every link line.
  set(TLSPP_PC_LIBS "-L\${libdir} -ltlspp ${TLSPP_PC_LIBS_PRIVATE}")
  set(TLSPP_PC_REQUIRES "${TLSPP_PC_REQUIRES_PRIVATE}")
  set(TLSPP_PC_REQUIRES_PRIVATE "")
  set(TLSPP_PC_LIBS_PRIVATE "")
endif()
configure_file(cmake/tlspp.pc.in "${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
