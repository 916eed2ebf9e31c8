# SPDX-License-Identifier: ISC
# The API reference: `cmake --build <dir> --target docs` runs Doxygen over the
# public headers (docs/Doxyfile.in) and writes <dir>/docs/html/index.html.
# Not part of `all`. Any Doxygen warning (an undocumented public member, a
# bad \param, a link that does not resolve) fails it; with the tests on,
# the CTest `docs` (label docs) runs the same check.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "tlspp: doxygen not found, no `docs` target (apt-get install doxygen)")
  return()
endif()

set(TLSPP_DOCS_OUTPUT "${PROJECT_BINARY_DIR}/docs")
configure_file("${PROJECT_SOURCE_DIR}/docs/Doxyfile.in" "${TLSPP_DOCS_OUTPUT}/Doxyfile" @ONLY)
add_custom_target(docs
  COMMAND "${DOXYGEN_EXECUTABLE}" "${TLSPP_DOCS_OUTPUT}/Doxyfile"
  WORKING_DIRECTORY "${TLSPP_DOCS_OUTPUT}"
  COMMENT "API reference: ${TLSPP_DOCS_OUTPUT}/html/index.html"
  VERBATIM)

if(TLSPP_BUILD_TESTS)
  add_test(NAME docs
    COMMAND "${DOXYGEN_EXECUTABLE}" "${TLSPP_DOCS_OUTPUT}/Doxyfile"
    WORKING_DIRECTORY "${TLSPP_DOCS_OUTPUT}")
  set_tests_properties(docs PROPERTIES LABELS docs TIMEOUT 120)
endif()
