# SPDX-License-Identifier: ISC
# Detects, from the backend's header and symbols, which parts of the libtls API
# it provides. Writes TLSPP_HAVE_<NAME> into a private generated header.
# This list is the one list of optional libtls symbols: src/backend_calls.hpp
# gives each one a stand-in that reports failure where the backend lacks it
# (and refuses to compile if one it uses is missing here), and the run-time
# probes in src/features.cpp decide what tlspp::get_backend_features() says.
include(CheckSymbolExists)
include(CMakePushCheckState)

set(_tlspp_probed_symbols
    TLS_PROTOCOL_TLSv1_3
    tls_config_add_keypair_ocsp_mem
    tls_config_add_ticket_key
    tls_config_clear_keys
    tls_config_insecure_noverifytime
    tls_config_ocsp_require_stapling
    tls_config_set_ca_path
    tls_config_set_crl_mem
    tls_config_set_crl_file
    tls_config_set_dheparams
    tls_config_set_ecdhecurve
    tls_config_set_ecdhecurves
    tls_config_set_keypair_ocsp_mem
    tls_config_set_ocsp_staple_mem
    tls_config_set_ocsp_staple_file
    tls_config_set_session_fd
    tls_config_set_session_id
    tls_config_set_session_lifetime
    tls_config_verify_client_optional
    tls_conn_cipher_strength
    tls_conn_session_resumed
    tls_load_file
    tls_peer_cert_common_name
    tls_peer_ocsp_cert_status)

cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_INCLUDES ${TLSPP_LIBTLS_INCLUDE_DIRS})
set(CMAKE_REQUIRED_LIBRARIES ${TLSPP_LIBTLS_LINK_LIBRARIES})
set(CMAKE_REQUIRED_QUIET ON)
set(TLSPP_BACKEND_DEFINES "")
foreach(_sym IN LISTS _tlspp_probed_symbols)
  string(TOUPPER "${_sym}" _upper)
  # Cache keys carry the backend so that switching TLSPP_LIBTLS_ROOT re-probes.
  string(MD5 _backend_key "${TLSPP_LIBTLS_LINK_LIBRARIES};${TLSPP_LIBTLS_INCLUDE_DIRS}")
  string(SUBSTRING "${_backend_key}" 0 8 _backend_key)
  check_symbol_exists(${_sym} "tls.h" TLSPP_HAVE_${_upper}_${_backend_key})
  if(TLSPP_HAVE_${_upper}_${_backend_key})
    string(APPEND TLSPP_BACKEND_DEFINES "#define TLSPP_HAVE_${_upper} 1\n")
  else()
    string(APPEND TLSPP_BACKEND_DEFINES "#define TLSPP_HAVE_${_upper} 0\n")
  endif()
endforeach()
cmake_pop_check_state()

configure_file("${CMAKE_CURRENT_LIST_DIR}/backend_config.hpp.in"
               "${PROJECT_BINARY_DIR}/generated/tlspp_backend_config.hpp" @ONLY)
