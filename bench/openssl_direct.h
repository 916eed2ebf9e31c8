// SPDX-License-Identifier: ISC
/* The engine under Debian's libtls, used directly: SSL_read/SSL_write over
 * a BIO pair, with contexts built once and shared, as an OpenSSL program
 * would do it. */
#ifndef TLSPP_BENCH_OPENSSL_DIRECT_H
#define TLSPP_BENCH_OPENSSL_DIRECT_H

#include <stddef.h>

#include "profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Each half of a pair buffers this many bytes of ciphertext. */
#define OSSL_BIO_PAIR_SIZE 32768

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

struct ossl_env {
  SSL_CTX* client_ctx;
  SSL_CTX* server_ctx;
  int resume;
  SSL_SESSION* session; /* the last handshake's, with resume */
  long handshakes;      /* completed by ossl_handshakes with resume... */
  long resumed;         /* ...and how many of them resumed */
};

struct ossl_pair {
  SSL* client;
  SSL* server;
};

/* Every function returns 0 on success, -1 with ossl_error() set. */
const char* ossl_error(void);
/* "OpenSSL 3.0.19 27 Jan 2026": the library linked in. */
const char* ossl_version(void);

int ossl_env_init(struct ossl_env* env, const struct bench_profile* profile);
void ossl_env_free(struct ossl_env* env);

/* Two new SSL objects over a new BIO pair (each SSL owns its half). */
int ossl_pair_connect(struct ossl_env* env, struct ossl_pair* pair);
int ossl_pair_handshake(struct ossl_pair* pair);
int ossl_pair_exchange(struct ossl_pair* pair);
void ossl_pair_free_client(struct ossl_pair* pair);
void ossl_pair_free_server(struct ossl_pair* pair);

int ossl_bulk(struct ossl_pair* pair, size_t chunk, size_t total);
int ossl_handshakes(struct ossl_env* env, struct ossl_pair* pair, int count);

const char* ossl_version_of(struct ossl_pair* pair);
const char* ossl_cipher_of(struct ossl_pair* pair);

/* Heap held by one BIO pair once both halves have buffered data: the
 * transport, counted apart from the SSL objects. */
size_t ossl_bio_pair_heap(int count);

#ifdef __cplusplus
}
#endif

#endif
