// SPDX-License-Identifier: ISC
/* The cipher's own limit: seal and open TLS-sized records with the AEAD the
 * connection negotiated, through OpenSSL's EVP interface, nothing else. One
 * thread that both sends and receives can deliver plaintext no faster than
 * 1/(1/seal + 1/open), which is what sealing then opening each record
 * measures. */
#ifndef TLSPP_BENCH_CIPHER_CEILING_H
#define TLSPP_BENCH_CIPHER_CEILING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evp_cipher_ctx_st;

struct ceiling {
  const char* name; /* "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305" */
  struct evp_cipher_ctx_st* seal;
  struct evp_cipher_ctx_st* open;
  unsigned char* record; /* plaintext, then ciphertext, then plaintext again */
  size_t record_size;
};

/* The AEAD behind a TLS cipher name (IANA or OpenSSL spelling); NULL when
 * it is none of the three. */
const char* ceiling_cipher_for(const char* tls_cipher);

/* Returns 0, or -1 for an unknown cipher or an EVP failure. */
int ceiling_init(struct ceiling* c, const char* name, size_t record_size);
void ceiling_free(struct ceiling* c);
/* Seals and opens records of record_size bytes until `total` bytes went
 * through both; -1 when a tag does not verify. */
int ceiling_run(struct ceiling* c, size_t total);

#ifdef __cplusplus
}
#endif

#endif
