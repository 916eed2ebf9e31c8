// SPDX-License-Identifier: ISC
/*
 * tlspp-openssl: the libtls C API (as LibreSSL 3.7 and libretls 3.7 declare
 * it, TLS_API 20200120) implemented over OpenSSL 3.
 *
 * Every function keeps its libtls name in source code; the macros below give
 * the linker a tlspp_openssl_ prefix instead, so that a process may also load
 * another libtls (the system's) without a symbol clash. A libtls program
 * compiles against this header unchanged.
 */
#ifndef HEADER_TLS_H
#define HEADER_TLS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which libtls this is, and its own version. */
#define TLSPP_OPENSSL 1
#define TLSPP_OPENSSL_VERSION "0.2.0"

#define TLS_API 20200120

#define TLS_PROTOCOL_TLSv1_0 (1 << 1)
#define TLS_PROTOCOL_TLSv1_1 (1 << 2)
#define TLS_PROTOCOL_TLSv1_2 (1 << 3)
#define TLS_PROTOCOL_TLSv1_3 (1 << 4)

#define TLS_PROTOCOL_TLSv1 \
  (TLS_PROTOCOL_TLSv1_0 | TLS_PROTOCOL_TLSv1_1 | TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3)

#define TLS_PROTOCOLS_ALL TLS_PROTOCOL_TLSv1
#define TLS_PROTOCOLS_DEFAULT (TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3)

#define TLS_WANT_POLLIN -2
#define TLS_WANT_POLLOUT -3

/* OCSP response status (RFC 6960, section 2.3). */
#define TLS_OCSP_RESPONSE_SUCCESSFUL 0
#define TLS_OCSP_RESPONSE_MALFORMED 1
#define TLS_OCSP_RESPONSE_INTERNALERROR 2
#define TLS_OCSP_RESPONSE_TRYLATER 3
#define TLS_OCSP_RESPONSE_SIGREQUIRED 4
#define TLS_OCSP_RESPONSE_UNAUTHORIZED 5

/* OCSP certificate status (RFC 6960, section 2.2). */
#define TLS_OCSP_CERT_GOOD 0
#define TLS_OCSP_CERT_REVOKED 1
#define TLS_OCSP_CERT_UNKNOWN 2

/* CRL reason codes (RFC 5280, section 5.3.1). */
#define TLS_CRL_REASON_UNSPECIFIED 0
#define TLS_CRL_REASON_KEY_COMPROMISE 1
#define TLS_CRL_REASON_CA_COMPROMISE 2
#define TLS_CRL_REASON_AFFILIATION_CHANGED 3
#define TLS_CRL_REASON_SUPERSEDED 4
#define TLS_CRL_REASON_CESSATION_OF_OPERATION 5
#define TLS_CRL_REASON_CERTIFICATE_HOLD 6
#define TLS_CRL_REASON_REMOVE_FROM_CRL 8
#define TLS_CRL_REASON_PRIVILEGE_WITHDRAWN 9
#define TLS_CRL_REASON_AA_COMPROMISE 10

#define TLS_MAX_SESSION_ID_LENGTH 32
#define TLS_TICKET_KEY_SIZE 48

/* The link names: libtls's, prefixed. */
#define tls_init tlspp_openssl_tls_init
#define tls_config_error tlspp_openssl_tls_config_error
#define tls_error tlspp_openssl_tls_error
#define tls_config_new tlspp_openssl_tls_config_new
#define tls_config_free tlspp_openssl_tls_config_free
#define tls_default_ca_cert_file tlspp_openssl_tls_default_ca_cert_file
#define tls_config_add_keypair_file tlspp_openssl_tls_config_add_keypair_file
#define tls_config_add_keypair_mem tlspp_openssl_tls_config_add_keypair_mem
#define tls_config_add_keypair_ocsp_file tlspp_openssl_tls_config_add_keypair_ocsp_file
#define tls_config_add_keypair_ocsp_mem tlspp_openssl_tls_config_add_keypair_ocsp_mem
#define tls_config_set_alpn tlspp_openssl_tls_config_set_alpn
#define tls_config_set_ca_file tlspp_openssl_tls_config_set_ca_file
#define tls_config_set_ca_path tlspp_openssl_tls_config_set_ca_path
#define tls_config_set_ca_mem tlspp_openssl_tls_config_set_ca_mem
#define tls_config_set_cert_file tlspp_openssl_tls_config_set_cert_file
#define tls_config_set_cert_mem tlspp_openssl_tls_config_set_cert_mem
#define tls_config_set_ciphers tlspp_openssl_tls_config_set_ciphers
#define tls_config_set_crl_file tlspp_openssl_tls_config_set_crl_file
#define tls_config_set_crl_mem tlspp_openssl_tls_config_set_crl_mem
#define tls_config_set_dheparams tlspp_openssl_tls_config_set_dheparams
#define tls_config_set_ecdhecurve tlspp_openssl_tls_config_set_ecdhecurve
#define tls_config_set_ecdhecurves tlspp_openssl_tls_config_set_ecdhecurves
#define tls_config_set_key_file tlspp_openssl_tls_config_set_key_file
#define tls_config_set_key_mem tlspp_openssl_tls_config_set_key_mem
#define tls_config_set_keypair_file tlspp_openssl_tls_config_set_keypair_file
#define tls_config_set_keypair_mem tlspp_openssl_tls_config_set_keypair_mem
#define tls_config_set_keypair_ocsp_file tlspp_openssl_tls_config_set_keypair_ocsp_file
#define tls_config_set_keypair_ocsp_mem tlspp_openssl_tls_config_set_keypair_ocsp_mem
#define tls_config_set_ocsp_staple_mem tlspp_openssl_tls_config_set_ocsp_staple_mem
#define tls_config_set_ocsp_staple_file tlspp_openssl_tls_config_set_ocsp_staple_file
#define tls_config_set_protocols tlspp_openssl_tls_config_set_protocols
#define tls_config_set_session_fd tlspp_openssl_tls_config_set_session_fd
#define tls_config_set_verify_depth tlspp_openssl_tls_config_set_verify_depth
#define tls_config_prefer_ciphers_client tlspp_openssl_tls_config_prefer_ciphers_client
#define tls_config_prefer_ciphers_server tlspp_openssl_tls_config_prefer_ciphers_server
#define tls_config_insecure_noverifycert tlspp_openssl_tls_config_insecure_noverifycert
#define tls_config_insecure_noverifyname tlspp_openssl_tls_config_insecure_noverifyname
#define tls_config_insecure_noverifytime tlspp_openssl_tls_config_insecure_noverifytime
#define tls_config_verify tlspp_openssl_tls_config_verify
#define tls_config_ocsp_require_stapling tlspp_openssl_tls_config_ocsp_require_stapling
#define tls_config_verify_client tlspp_openssl_tls_config_verify_client
#define tls_config_verify_client_optional tlspp_openssl_tls_config_verify_client_optional
#define tls_config_clear_keys tlspp_openssl_tls_config_clear_keys
#define tls_config_parse_protocols tlspp_openssl_tls_config_parse_protocols
#define tls_config_set_session_id tlspp_openssl_tls_config_set_session_id
#define tls_config_set_session_lifetime tlspp_openssl_tls_config_set_session_lifetime
#define tls_config_add_ticket_key tlspp_openssl_tls_config_add_ticket_key
#define tls_client tlspp_openssl_tls_client
#define tls_server tlspp_openssl_tls_server
#define tls_configure tlspp_openssl_tls_configure
#define tls_reset tlspp_openssl_tls_reset
#define tls_free tlspp_openssl_tls_free
#define tls_accept_fds tlspp_openssl_tls_accept_fds
#define tls_accept_socket tlspp_openssl_tls_accept_socket
#define tls_accept_cbs tlspp_openssl_tls_accept_cbs
#define tls_connect tlspp_openssl_tls_connect
#define tls_connect_fds tlspp_openssl_tls_connect_fds
#define tls_connect_servername tlspp_openssl_tls_connect_servername
#define tls_connect_socket tlspp_openssl_tls_connect_socket
#define tls_connect_cbs tlspp_openssl_tls_connect_cbs
#define tls_handshake tlspp_openssl_tls_handshake
#define tls_read tlspp_openssl_tls_read
#define tls_write tlspp_openssl_tls_write
#define tls_close tlspp_openssl_tls_close
#define tls_peer_cert_provided tlspp_openssl_tls_peer_cert_provided
#define tls_peer_cert_contains_name tlspp_openssl_tls_peer_cert_contains_name
#define tls_peer_cert_hash tlspp_openssl_tls_peer_cert_hash
#define tls_peer_cert_issuer tlspp_openssl_tls_peer_cert_issuer
#define tls_peer_cert_subject tlspp_openssl_tls_peer_cert_subject
#define tls_peer_cert_notbefore tlspp_openssl_tls_peer_cert_notbefore
#define tls_peer_cert_notafter tlspp_openssl_tls_peer_cert_notafter
#define tls_peer_cert_chain_pem tlspp_openssl_tls_peer_cert_chain_pem
#define tls_conn_alpn_selected tlspp_openssl_tls_conn_alpn_selected
#define tls_conn_cipher tlspp_openssl_tls_conn_cipher
#define tls_conn_cipher_strength tlspp_openssl_tls_conn_cipher_strength
#define tls_conn_servername tlspp_openssl_tls_conn_servername
#define tls_conn_session_resumed tlspp_openssl_tls_conn_session_resumed
#define tls_conn_version tlspp_openssl_tls_conn_version
#define tls_load_file tlspp_openssl_tls_load_file
#define tls_unload_file tlspp_openssl_tls_unload_file
#define tls_ocsp_process_response tlspp_openssl_tls_ocsp_process_response
#define tls_peer_ocsp_cert_status tlspp_openssl_tls_peer_ocsp_cert_status
#define tls_peer_ocsp_crl_reason tlspp_openssl_tls_peer_ocsp_crl_reason
#define tls_peer_ocsp_next_update tlspp_openssl_tls_peer_ocsp_next_update
#define tls_peer_ocsp_response_status tlspp_openssl_tls_peer_ocsp_response_status
#define tls_peer_ocsp_result tlspp_openssl_tls_peer_ocsp_result
#define tls_peer_ocsp_revocation_time tlspp_openssl_tls_peer_ocsp_revocation_time
#define tls_peer_ocsp_this_update tlspp_openssl_tls_peer_ocsp_this_update
#define tls_peer_ocsp_url tlspp_openssl_tls_peer_ocsp_url

struct tls;
struct tls_config;

typedef ssize_t (*tls_read_cb)(struct tls *ctx, void *buf, size_t buflen, void *cb_arg);
typedef ssize_t (*tls_write_cb)(struct tls *ctx, const void *buf, size_t buflen, void *cb_arg);

/* "tlspp-openssl 0.2.0 over OpenSSL 3.0.19": this library's version and the
 * OpenSSL it runs on (the one loaded at run time). */
const char *tlspp_openssl_version(void);

int tls_init(void);

const char *tls_config_error(struct tls_config *config);
const char *tls_error(struct tls *ctx);

struct tls_config *tls_config_new(void);
void tls_config_free(struct tls_config *config);

const char *tls_default_ca_cert_file(void);

int tls_config_add_keypair_file(struct tls_config *config, const char *cert_file,
                                const char *key_file);
int tls_config_add_keypair_mem(struct tls_config *config, const uint8_t *cert, size_t cert_len,
                               const uint8_t *key, size_t key_len);
int tls_config_add_keypair_ocsp_file(struct tls_config *config, const char *cert_file,
                                     const char *key_file, const char *ocsp_staple_file);
int tls_config_add_keypair_ocsp_mem(struct tls_config *config, const uint8_t *cert,
                                    size_t cert_len, const uint8_t *key, size_t key_len,
                                    const uint8_t *staple, size_t staple_len);
int tls_config_set_alpn(struct tls_config *config, const char *alpn);
int tls_config_set_ca_file(struct tls_config *config, const char *ca_file);
int tls_config_set_ca_path(struct tls_config *config, const char *ca_path);
int tls_config_set_ca_mem(struct tls_config *config, const uint8_t *ca, size_t len);
int tls_config_set_cert_file(struct tls_config *config, const char *cert_file);
int tls_config_set_cert_mem(struct tls_config *config, const uint8_t *cert, size_t len);
int tls_config_set_ciphers(struct tls_config *config, const char *ciphers);
int tls_config_set_crl_file(struct tls_config *config, const char *crl_file);
int tls_config_set_crl_mem(struct tls_config *config, const uint8_t *crl, size_t len);
int tls_config_set_dheparams(struct tls_config *config, const char *params);
int tls_config_set_ecdhecurve(struct tls_config *config, const char *curve);
int tls_config_set_ecdhecurves(struct tls_config *config, const char *curves);
int tls_config_set_key_file(struct tls_config *config, const char *key_file);
int tls_config_set_key_mem(struct tls_config *config, const uint8_t *key, size_t len);
int tls_config_set_keypair_file(struct tls_config *config, const char *cert_file,
                                const char *key_file);
int tls_config_set_keypair_mem(struct tls_config *config, const uint8_t *cert, size_t cert_len,
                               const uint8_t *key, size_t key_len);
int tls_config_set_keypair_ocsp_file(struct tls_config *config, const char *cert_file,
                                     const char *key_file, const char *staple_file);
int tls_config_set_keypair_ocsp_mem(struct tls_config *config, const uint8_t *cert,
                                    size_t cert_len, const uint8_t *key, size_t key_len,
                                    const uint8_t *staple, size_t staple_len);
int tls_config_set_ocsp_staple_mem(struct tls_config *config, const uint8_t *staple, size_t len);
int tls_config_set_ocsp_staple_file(struct tls_config *config, const char *staple_file);
int tls_config_set_protocols(struct tls_config *config, uint32_t protocols);
int tls_config_set_session_fd(struct tls_config *config, int session_fd);
int tls_config_set_verify_depth(struct tls_config *config, int verify_depth);

void tls_config_prefer_ciphers_client(struct tls_config *config);
void tls_config_prefer_ciphers_server(struct tls_config *config);

void tls_config_insecure_noverifycert(struct tls_config *config);
void tls_config_insecure_noverifyname(struct tls_config *config);
void tls_config_insecure_noverifytime(struct tls_config *config);
void tls_config_verify(struct tls_config *config);

void tls_config_ocsp_require_stapling(struct tls_config *config);
void tls_config_verify_client(struct tls_config *config);
void tls_config_verify_client_optional(struct tls_config *config);

void tls_config_clear_keys(struct tls_config *config);
int tls_config_parse_protocols(uint32_t *protocols, const char *protostr);

int tls_config_set_session_id(struct tls_config *config, const unsigned char *session_id,
                              size_t len);
int tls_config_set_session_lifetime(struct tls_config *config, int lifetime);
int tls_config_add_ticket_key(struct tls_config *config, uint32_t keyrev, unsigned char *key,
                              size_t keylen);

struct tls *tls_client(void);
struct tls *tls_server(void);
int tls_configure(struct tls *ctx, struct tls_config *config);
void tls_reset(struct tls *ctx);
void tls_free(struct tls *ctx);

int tls_accept_fds(struct tls *ctx, struct tls **cctx, int fd_read, int fd_write);
int tls_accept_socket(struct tls *ctx, struct tls **cctx, int socket);
int tls_accept_cbs(struct tls *ctx, struct tls **cctx, tls_read_cb read_cb,
                   tls_write_cb write_cb, void *cb_arg);
int tls_connect(struct tls *ctx, const char *host, const char *port);
int tls_connect_fds(struct tls *ctx, int fd_read, int fd_write, const char *servername);
int tls_connect_servername(struct tls *ctx, const char *host, const char *port,
                           const char *servername);
int tls_connect_socket(struct tls *ctx, int s, const char *servername);
int tls_connect_cbs(struct tls *ctx, tls_read_cb read_cb, tls_write_cb write_cb, void *cb_arg,
                    const char *servername);
int tls_handshake(struct tls *ctx);
ssize_t tls_read(struct tls *ctx, void *buf, size_t buflen);
ssize_t tls_write(struct tls *ctx, const void *buf, size_t buflen);
int tls_close(struct tls *ctx);

int tls_peer_cert_provided(struct tls *ctx);
int tls_peer_cert_contains_name(struct tls *ctx, const char *name);

const char *tls_peer_cert_hash(struct tls *ctx);
const char *tls_peer_cert_issuer(struct tls *ctx);
const char *tls_peer_cert_subject(struct tls *ctx);
time_t tls_peer_cert_notbefore(struct tls *ctx);
time_t tls_peer_cert_notafter(struct tls *ctx);
const uint8_t *tls_peer_cert_chain_pem(struct tls *ctx, size_t *len);

const char *tls_conn_alpn_selected(struct tls *ctx);
const char *tls_conn_cipher(struct tls *ctx);
int tls_conn_cipher_strength(struct tls *ctx);
const char *tls_conn_servername(struct tls *ctx);
int tls_conn_session_resumed(struct tls *ctx);
const char *tls_conn_version(struct tls *ctx);

uint8_t *tls_load_file(const char *file, size_t *len, char *password);
void tls_unload_file(uint8_t *buf, size_t len);

int tls_ocsp_process_response(struct tls *ctx, const unsigned char *response, size_t size);
int tls_peer_ocsp_cert_status(struct tls *ctx);
int tls_peer_ocsp_crl_reason(struct tls *ctx);
time_t tls_peer_ocsp_next_update(struct tls *ctx);
int tls_peer_ocsp_response_status(struct tls *ctx);
const char *tls_peer_ocsp_result(struct tls *ctx);
time_t tls_peer_ocsp_revocation_time(struct tls *ctx);
time_t tls_peer_ocsp_this_update(struct tls *ctx);
const char *tls_peer_ocsp_url(struct tls *ctx);

#ifdef __cplusplus
}
#endif

#endif /* HEADER_TLS_H */
