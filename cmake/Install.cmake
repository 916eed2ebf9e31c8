# SPDX-License-Identifier: ISC
# Installs the library, its headers, a CMake package (find_package(tlspp))
# and a pkg-config file (pkg-config tlspp), every path from GNUInstallDirs.
# Included only with TLSPP_INSTALL (on when tlspp is the top-level project).
include(CMakePackageConfigHelpers)

set(TLSPP_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tlspp")
set(TLSPP_PKGCONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

# A static tlspp needs its backend on every consumer's link line, so the
# backend's targets go into the package; a shared one has it inside,
# hidden, and needs nothing exported but itself.
set(TLSPP_INSTALLED_TARGETS tlspp)
set(TLSPP_FIND_OPENSSL "")
if(NOT BUILD_SHARED_LIBS)
  list(APPEND TLSPP_INSTALLED_TARGETS tlspp_libtls)
  if(TLSPP_BACKEND STREQUAL "openssl")
    list(APPEND TLSPP_INSTALLED_TARGETS tlspp_openssl)
    set(TLSPP_FIND_OPENSSL "find_dependency(OpenSSL 3.0)")
  endif()
endif()
# Which Asio layers the package offers: TLSPP_WITH_ASIO and
# TLSPP_WITH_BOOST_ASIO decided it (cmake/Asio.cmake), never this machine.
set(TLSPP_PACKAGE_COMPONENTS "")
if(TLSPP_HAVE_ASIO)
  list(APPEND TLSPP_INSTALLED_TARGETS tlspp_asio)
  list(APPEND TLSPP_PACKAGE_COMPONENTS asio)
endif()
if(TLSPP_HAVE_BOOST_ASIO)
  list(APPEND TLSPP_INSTALLED_TARGETS tlspp_boost_asio)
  list(APPEND TLSPP_PACKAGE_COMPONENTS boost_asio)
endif()

install(TARGETS ${TLSPP_INSTALLED_TARGETS} EXPORT tlsppTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/tlspp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN "*.in" EXCLUDE)
install(FILES "${PROJECT_BINARY_DIR}/include/tlspp/version.hpp"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tlspp)
install(EXPORT tlsppTargets NAMESPACE tlspp:: DESTINATION ${TLSPP_CMAKE_DIR})

configure_package_config_file(cmake/tlsppConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/tlsppConfig.cmake"
  INSTALL_DESTINATION ${TLSPP_CMAKE_DIR})
# 0.x: a minor release may change the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/tlsppConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/tlsppConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/tlsppConfigVersion.cmake"
        DESTINATION ${TLSPP_CMAKE_DIR})

# pkg-config. A shared tlspp carries its dependencies itself (DT_NEEDED);
# a static one needs the backend on the consumer's link line.
if(BUILD_SHARED_LIBS)
  set(TLSPP_PC_REQUIRES "")
  set(TLSPP_PC_LIBS "-L\${libdir} -ltlspp")
elseif(TLSPP_BACKEND STREQUAL "openssl")
  set(TLSPP_PC_REQUIRES "libssl libcrypto")
  set(TLSPP_PC_LIBS "-L\${libdir} -ltlspp -ltlspp_openssl -pthread")
elseif(TLSPP_LIBTLS_ROOT)
  set(TLSPP_PC_REQUIRES "")
  set(TLSPP_PC_LIBS "-L\${libdir} -ltlspp")
  foreach(_lib IN LISTS TLSPP_LIBTLS_LINK_LIBRARIES)
    if(_lib MATCHES "^/")
      string(APPEND TLSPP_PC_LIBS " ${_lib}")
    endif()
  endforeach()
  string(APPEND TLSPP_PC_LIBS " -Wl,-rpath,${TLSPP_LIBTLS_RUNTIME_DIR} -pthread")
else()
  set(TLSPP_PC_REQUIRES "libtls")
  set(TLSPP_PC_LIBS "-L\${libdir} -ltlspp -pthread")
endif()

# The .pc file finds its prefix from where it lies (${pcfiledir}), so that
# it stays right when the tree is moved or staged (DESTDIR, a sysroot): the
# way up from the pkgconfig folder depends on the libdir, e.g. three levels
# from lib/x86_64-linux-gnu/pkgconfig. An absolute libdir or includedir
# cannot move with the prefix; it is written as it is.
function(_tlspp_pc_dir dir out)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${TLSPP_PKGCONFIG_DIR}")
  set(TLSPP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  # Any root will do: only the number of levels between the two matters.
  file(RELATIVE_PATH _tlspp_up "/root/${TLSPP_PKGCONFIG_DIR}" "/root")
  string(REGEX REPLACE "/$" "" _tlspp_up "${_tlspp_up}")
  set(TLSPP_PC_PREFIX "\${pcfiledir}/${_tlspp_up}")
endif()
_tlspp_pc_dir("${CMAKE_INSTALL_LIBDIR}" TLSPP_PC_LIBDIR)
_tlspp_pc_dir("${CMAKE_INSTALL_INCLUDEDIR}" TLSPP_PC_INCLUDEDIR)
configure_file(cmake/tlspp.pc.in "${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/tlspp.pc" DESTINATION ${TLSPP_PKGCONFIG_DIR})
