// SPDX-License-Identifier: ISC
/* The floor: libtls's C API over the benchmark's byte queues, written the
 * way a C program would use it. tlspp must not be slower than this.
 *
 * raw_libtls.c exports one table of its functions, raw_backend_libtls, or
 * raw_system_libtls when compiled with RAW_LIBTLS_SYSTEM: so it can be
 * compiled twice into one program, against the build's backend and against
 * the system's libtls. */
#ifndef TLSPP_BENCH_RAW_LIBTLS_H
#define TLSPP_BENCH_RAW_LIBTLS_H

#include <stddef.h>

#include "byte_queue.h"
#include "profile.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tls;
struct tls_config;

/* Shared configs and the server context, built once per workload. */
struct raw_env {
  struct tls_config* client_config;
  struct tls_config* server_config;
  struct tls* server;
  int resume;
  void* session_file; /* FILE*: the client's session, with resume */
  long handshakes;    /* completed by handshakes() with resume... */
  long resumed;       /* ...and how many of them resumed */
};

/* One client/server pair joined by two queues. */
struct raw_end {
  struct byte_queue* in;
  struct byte_queue* out;
};
struct raw_pair {
  struct byte_queue to_server;
  struct byte_queue to_client;
  struct raw_end client_end;
  struct raw_end server_end;
  struct tls* client;
  struct tls* server_conn;
};

/* raw_libtls.c's functions, compiled against one libtls. Every function
 * returning int returns 0 on success, -1 with error() set. */
struct raw_libtls {
  const char* (*error)(void);

  int (*env_init)(struct raw_env* env, const struct bench_profile* profile);
  void (*env_free)(struct raw_env* env);

  void (*pair_init)(struct raw_pair* pair);
  /* A new client context and a new accepted context, connected to the
   * queues. */
  int (*pair_connect)(struct raw_env* env, struct raw_pair* pair);
  int (*pair_handshake)(struct raw_pair* pair);
  /* One byte each way, so that both sides have read everything (TLS 1.3
   * tickets) and the connection is idle. */
  int (*pair_exchange)(struct raw_pair* pair);
  void (*pair_free_client)(struct raw_pair* pair);
  void (*pair_free_server)(struct raw_pair* pair);
  /* Frees both contexts (if any) and the queues. */
  void (*pair_free)(struct raw_pair* pair);

  /* Client to server: `total` bytes in `chunk`-byte writes. */
  int (*bulk)(struct raw_pair* pair, size_t chunk, size_t total);
  /* `count` full handshakes, each with a new client context and a new
   * accepted context, freed afterwards. */
  int (*handshakes)(struct raw_env* env, struct raw_pair* pair, int count);

  /* What the pair's client negotiated (valid until the pair is freed). */
  const char* (*version)(struct raw_pair* pair);
  const char* (*cipher)(struct raw_pair* pair);

  /* Whether this libtls resumes sessions under `profile` (with resume set):
   * a client connects twice to a server with a session ID and lifetime.
   * 1: the second handshake resumed; 0: it did not, or something failed,
   * and `why` says what happened. */
  int (*resumption_check)(const struct bench_profile* profile, char* why, size_t why_size);
};

/* The build's backend (TLSPP_BACKEND), the libtls tlspp runs on. */
extern const struct raw_libtls raw_backend_libtls;
/* With TLSPP_BENCH_HAVE_SYSTEM_LIBTLS (a tlspp-openssl build): the same
 * source compiled a second time, against the system's tls.h and libtls,
 * which the process loads beside tlspp-openssl. */
extern const struct raw_libtls raw_system_libtls;

#ifdef __cplusplus
}
#endif

#endif
