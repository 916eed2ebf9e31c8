// SPDX-License-Identifier: ISC
// The parts of the libtls API that not every backend provides, callable on
// every backend: where the backend's header lacks a function, its stand-in
// here reports failure. Private to src/.
//
// Which functions a backend provides is detected once, by
// cmake/BackendFeatures.cmake (its symbol list is the one list of them); what
// a provided function really does is probed at run time (features.cpp). Code
// that uses an optional part asks tlspp::get_backend_features() and then calls
// the wrapper here unconditionally: one check per option, and no #if outside
// this file.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "libtls.hpp"

// Every symbol used below must be in BackendFeatures.cmake's list: an unlisted
// one would read as 0 and silently become a stand-in.
#if !defined(TLSPP_HAVE_TLS_PROTOCOL_TLSV1_3) ||                                                  \
    !defined(TLSPP_HAVE_TLS_CONFIG_ADD_KEYPAIR_OCSP_MEM) ||                                       \
    !defined(TLSPP_HAVE_TLS_CONFIG_ADD_TICKET_KEY) ||                                             \
    !defined(TLSPP_HAVE_TLS_CONFIG_CLEAR_KEYS) ||                                                 \
    !defined(TLSPP_HAVE_TLS_CONFIG_INSECURE_NOVERIFYTIME) ||                                      \
    !defined(TLSPP_HAVE_TLS_CONFIG_OCSP_REQUIRE_STAPLING) ||                                      \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_CA_PATH) || !defined(TLSPP_HAVE_TLS_CONFIG_SET_CRL_MEM) || \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_CRL_FILE) ||                                               \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_DHEPARAMS) ||                                              \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVE) ||                                             \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVES) ||                                            \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_KEYPAIR_OCSP_MEM) ||                                       \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_MEM) ||                                        \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_FILE) ||                                       \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_SESSION_FD) ||                                             \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_SESSION_ID) ||                                             \
    !defined(TLSPP_HAVE_TLS_CONFIG_SET_SESSION_LIFETIME) ||                                       \
    !defined(TLSPP_HAVE_TLS_CONFIG_VERIFY_CLIENT_OPTIONAL) ||                                     \
    !defined(TLSPP_HAVE_TLS_CONN_CIPHER_STRENGTH) ||                                              \
    !defined(TLSPP_HAVE_TLS_CONN_SESSION_RESUMED) || !defined(TLSPP_HAVE_TLS_LOAD_FILE) ||        \
    !defined(TLSPP_HAVE_TLS_PEER_CERT_COMMON_NAME) ||                                             \
    !defined(TLSPP_HAVE_TLS_PEER_OCSP_CERT_STATUS)
#error "a symbol of backend_calls.hpp is missing from cmake/BackendFeatures.cmake"
#endif

namespace tlspp::detail::backend {

/// What a stand-in returns: the backend does not provide the call at all.
/// libtls's own failures are -1, so callers can tell the two apart.
inline constexpr int not_provided = -2;

/// TLS_PROTOCOL_TLSv1_3, or no bit at all.
#if TLSPP_HAVE_TLS_PROTOCOL_TLSV1_3
inline constexpr std::uint32_t protocol_tlsv1_3 = TLS_PROTOCOL_TLSv1_3;
#else
inline constexpr std::uint32_t protocol_tlsv1_3 = 0;
#endif

// --- configuration -----------------------------------------------------------

inline int set_ca_path(::tls_config* c, const char* path) {
#if TLSPP_HAVE_TLS_CONFIG_SET_CA_PATH
  return tls_config_set_ca_path(c, path);
#else
  (void)c, (void)path;
  return not_provided;
#endif
}

inline int set_crl_mem(::tls_config* c, const std::uint8_t* crl, std::size_t len) {
#if TLSPP_HAVE_TLS_CONFIG_SET_CRL_MEM
  return tls_config_set_crl_mem(c, crl, len);
#else
  (void)c, (void)crl, (void)len;
  return not_provided;
#endif
}

inline int set_crl_file(::tls_config* c, const char* path) {
#if TLSPP_HAVE_TLS_CONFIG_SET_CRL_FILE
  return tls_config_set_crl_file(c, path);
#else
  (void)c, (void)path;
  return not_provided;
#endif
}

inline int set_dheparams(::tls_config* c, const char* params) {
#if TLSPP_HAVE_TLS_CONFIG_SET_DHEPARAMS
  return tls_config_set_dheparams(c, params);
#else
  (void)c, (void)params;
  return not_provided;
#endif
}

inline int set_ecdhecurve(::tls_config* c, const char* curve) {
#if TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVE
  return tls_config_set_ecdhecurve(c, curve);
#else
  (void)c, (void)curve;
  return not_provided;
#endif
}

inline int set_ecdhecurves(::tls_config* c, const char* curves) {
#if TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVES
  return tls_config_set_ecdhecurves(c, curves);
#else
  (void)c, (void)curves;
  return not_provided;
#endif
}

inline int set_ocsp_staple_mem(::tls_config* c, const std::uint8_t* staple, std::size_t len) {
#if TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_MEM
  return tls_config_set_ocsp_staple_mem(c, staple, len);
#else
  (void)c, (void)staple, (void)len;
  return not_provided;
#endif
}

inline int set_ocsp_staple_file(::tls_config* c, const char* path) {
#if TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_FILE
  return tls_config_set_ocsp_staple_file(c, path);
#else
  (void)c, (void)path;
  return not_provided;
#endif
}

inline int set_keypair_ocsp_mem(::tls_config* c, const std::uint8_t* cert, std::size_t cert_len,
                                const std::uint8_t* key, std::size_t key_len,
                                const std::uint8_t* staple, std::size_t staple_len) {
#if TLSPP_HAVE_TLS_CONFIG_SET_KEYPAIR_OCSP_MEM
  return tls_config_set_keypair_ocsp_mem(c, cert, cert_len, key, key_len, staple, staple_len);
#else
  (void)c, (void)cert, (void)cert_len, (void)key, (void)key_len, (void)staple, (void)staple_len;
  return not_provided;
#endif
}

inline int add_keypair_ocsp_mem(::tls_config* c, const std::uint8_t* cert, std::size_t cert_len,
                                const std::uint8_t* key, std::size_t key_len,
                                const std::uint8_t* staple, std::size_t staple_len) {
#if TLSPP_HAVE_TLS_CONFIG_ADD_KEYPAIR_OCSP_MEM
  return tls_config_add_keypair_ocsp_mem(c, cert, cert_len, key, key_len, staple, staple_len);
#else
  (void)c, (void)cert, (void)cert_len, (void)key, (void)key_len, (void)staple, (void)staple_len;
  return not_provided;
#endif
}

/// libtls copies the key (and wipes its copy); its signature is not const.
inline int add_ticket_key(::tls_config* c, std::uint32_t keyrev, unsigned char* key,
                          std::size_t len) {
#if TLSPP_HAVE_TLS_CONFIG_ADD_TICKET_KEY
  return tls_config_add_ticket_key(c, keyrev, key, len);
#else
  (void)c, (void)keyrev, (void)key, (void)len;
  return not_provided;
#endif
}

inline int set_session_id(::tls_config* c, const unsigned char* id, std::size_t len) {
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_ID
  return tls_config_set_session_id(c, id, len);
#else
  (void)c, (void)id, (void)len;
  return not_provided;
#endif
}

inline int set_session_lifetime(::tls_config* c, int seconds) {
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_LIFETIME
  return tls_config_set_session_lifetime(c, seconds);
#else
  (void)c, (void)seconds;
  return not_provided;
#endif
}

inline int set_session_fd(::tls_config* c, int fd) {
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_FD
  return tls_config_set_session_fd(c, fd);
#else
  (void)c, (void)fd;
  return not_provided;
#endif
}

// The flags below are void in libtls; the wrappers answer 0 once set.

inline int insecure_noverifytime(::tls_config* c) {
#if TLSPP_HAVE_TLS_CONFIG_INSECURE_NOVERIFYTIME
  tls_config_insecure_noverifytime(c);
  return 0;
#else
  (void)c;
  return not_provided;
#endif
}

inline int ocsp_require_stapling(::tls_config* c) {
#if TLSPP_HAVE_TLS_CONFIG_OCSP_REQUIRE_STAPLING
  tls_config_ocsp_require_stapling(c);
  return 0;
#else
  (void)c;
  return not_provided;
#endif
}

inline int verify_client_optional(::tls_config* c) {
#if TLSPP_HAVE_TLS_CONFIG_VERIFY_CLIENT_OPTIONAL
  tls_config_verify_client_optional(c);
  return 0;
#else
  (void)c;
  return not_provided;
#endif
}

inline int clear_keys(::tls_config* c) {
#if TLSPP_HAVE_TLS_CONFIG_CLEAR_KEYS
  tls_config_clear_keys(c);
  return 0;
#else
  (void)c;
  return not_provided;
#endif
}

/// tls_load_file(); the stand-in fails with errno ENOSYS.
inline std::uint8_t* load_file(const char* path, std::size_t* len, char* password) {
#if TLSPP_HAVE_TLS_LOAD_FILE
  return tls_load_file(path, len, password);
#else
  (void)path, (void)password;
  *len = 0;
  errno = ENOSYS;
  return nullptr;
#endif
}

inline void unload_file(std::uint8_t* data, std::size_t len) {
#if TLSPP_HAVE_TLS_LOAD_FILE
  tls_unload_file(data, len);
#else
  (void)data, (void)len;
#endif
}

// --- connection ----------------------------------------------------------------

/// The cipher's strength in bits; -1 where unknown.
inline int conn_cipher_strength(::tls* t) {
#if TLSPP_HAVE_TLS_CONN_CIPHER_STRENGTH
  return tls_conn_cipher_strength(t);
#else
  (void)t;
  return -1;
#endif
}

/// 1 when the handshake resumed a session; -1 where the backend cannot say.
inline int conn_session_resumed(::tls* t) {
#if TLSPP_HAVE_TLS_CONN_SESSION_RESUMED
  return tls_conn_session_resumed(t);
#else
  (void)t;
  return -1;
#endif
}

/// The peer certificate's common name; null where the backend cannot say.
inline const char* peer_cert_common_name(::tls* t) {
#if TLSPP_HAVE_TLS_PEER_CERT_COMMON_NAME
  return tls_peer_cert_common_name(t);
#else
  (void)t;
  return nullptr;
#endif
}

/// The stapled OCSP response's certificate status (-1: none was stapled);
/// not_provided where the backend cannot check staples at all.
inline int peer_ocsp_cert_status(::tls* t) {
#if TLSPP_HAVE_TLS_PEER_OCSP_CERT_STATUS
  return tls_peer_ocsp_cert_status(t);
#else
  (void)t;
  return not_provided;
#endif
}

}  // namespace tlspp::detail::backend
