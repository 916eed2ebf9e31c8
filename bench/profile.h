// SPDX-License-Identifier: ISC
/* What a memory-pipe workload asks of every implementation: the same
 * certificates, protocol versions and ciphers, in plain C so that the C
 * implementations (raw libtls, OpenSSL) read it as they are. */
#ifndef TLSPP_BENCH_PROFILE_H
#define TLSPP_BENCH_PROFILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bench_profile {
  const char* ca_file;   /* the client trusts this root... */
  const char* cert_file; /* ...and the server presents this chain */
  const char* key_file;
  int tls12_only;            /* else the defaults: TLS 1.2 and 1.3 */
  const char* tls12_ciphers; /* an OpenSSL cipher string; NULL: the default */
  /* Resumption on: the server keeps sessions (session ID and lifetime) and
   * every client resumes the session of the handshake before it. */
  int resume;
};

/* The server's session ID context and session lifetime, with resume. */
#define BENCH_SESSION_ID "tlspp-bench"
#define BENCH_SESSION_LIFETIME 300

/* The name the client sends with SNI and verifies the certificate against. */
#define BENCH_SERVERNAME "localhost"

/* Bulk transfers write `chunk`-byte records in batches of this many bytes
 * (at least one chunk), then the receiver drains the pipe. */
#define BENCH_BATCH 16384

/* Every implementation's source, sink and queue buffers start on a page:
 * where a buffer sits within its page changes the speed of memcpy and of
 * the cipher over it by a few percent, which must not tell them apart. */
#define BENCH_PAGE 4096

/* Bytes of heap in use (glibc mallinfo2: every arena). */
size_t bench_heap_in_use(void);

#ifdef __cplusplus
}
#endif

#endif
