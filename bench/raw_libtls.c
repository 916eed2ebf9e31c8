// SPDX-License-Identifier: ISC
#include "raw_libtls.h"

#include <stdio.h>
#include <string.h>
#include <tls.h>

/* The table's name and the libtls the errors name: this file is compiled
 * against the build's backend and, in a tlspp-openssl build, a second time
 * with RAW_LIBTLS_SYSTEM against the system's libtls (bench/CMakeLists.txt). */
#ifdef RAW_LIBTLS_SYSTEM
#define RAW_LIBTLS_TABLE raw_system_libtls
#define RAW_LIBTLS_LABEL "system libtls"
#else
#define RAW_LIBTLS_TABLE raw_backend_libtls
#define RAW_LIBTLS_LABEL "libtls"
#endif

static char last_error[512];
static _Alignas(BENCH_PAGE) unsigned char source[BENCH_BATCH];
static _Alignas(BENCH_PAGE) unsigned char sink[BENCH_BATCH];

static const char* raw_error(void) { return last_error; }

static int fail(const char* what, const char* why) {
  snprintf(last_error, sizeof last_error, RAW_LIBTLS_LABEL ": %s: %s", what, why ? why : "failed");
  return -1;
}

static ssize_t read_cb(struct tls* ctx, void* buf, size_t len, void* arg) {
  (void)ctx;
  return bq_read(((struct raw_end*)arg)->in, buf, len);
}

static ssize_t write_cb(struct tls* ctx, const void* buf, size_t len, void* arg) {
  (void)ctx;
  return bq_write(((struct raw_end*)arg)->out, buf, len);
}

static int apply_profile(struct tls_config* cfg, const struct bench_profile* p) {
  if (p->tls12_only && tls_config_set_protocols(cfg, TLS_PROTOCOL_TLSv1_2) != 0) return -1;
  if (p->tls12_ciphers != NULL && tls_config_set_ciphers(cfg, p->tls12_ciphers) != 0) return -1;
  return 0;
}

static int configure_sessions(struct raw_env* env) {
  static const unsigned char id[] = BENCH_SESSION_ID;
#ifndef TLSPP_OPENSSL_VERSION
  /* libtls resumes only from a session file; tlspp-openssl's client config
   * keeps its sessions in memory, as OpenSSL direct's rows do. */
  FILE* file = tmpfile();
  if (file == NULL) return fail("session file", "tmpfile failed");
  env->session_file = file;
  if (tls_config_set_session_fd(env->client_config, fileno(file)) != 0) {
    return fail("session file", tls_config_error(env->client_config));
  }
#endif
  if (tls_config_set_session_id(env->server_config, id, sizeof id - 1) != 0 ||
      tls_config_set_session_lifetime(env->server_config, BENCH_SESSION_LIFETIME) != 0) {
    return fail("server sessions", tls_config_error(env->server_config));
  }
  return 0;
}

static void raw_env_free(struct raw_env* env);

static int raw_env_init(struct raw_env* env, const struct bench_profile* p) {
  memset(env, 0, sizeof *env);
  env->resume = p->resume;
  if (tls_init() != 0) return fail("tls_init", NULL);
  env->client_config = tls_config_new();
  env->server_config = tls_config_new();
  if (env->client_config == NULL || env->server_config == NULL) {
    raw_env_free(env);
    return fail("tls_config_new", "out of memory");
  }
  if (tls_config_set_ca_file(env->client_config, p->ca_file) != 0 ||
      apply_profile(env->client_config, p) != 0) {
    fail("client config", tls_config_error(env->client_config));
    raw_env_free(env);
    return -1;
  }
  if (tls_config_set_cert_file(env->server_config, p->cert_file) != 0 ||
      tls_config_set_key_file(env->server_config, p->key_file) != 0 ||
      apply_profile(env->server_config, p) != 0) {
    fail("server config", tls_config_error(env->server_config));
    raw_env_free(env);
    return -1;
  }
  if (p->resume && configure_sessions(env) != 0) {
    raw_env_free(env);
    return -1;
  }
  env->server = tls_server();
  if (env->server == NULL || tls_configure(env->server, env->server_config) != 0) {
    fail("server configure", env->server ? tls_error(env->server) : "out of memory");
    raw_env_free(env);
    return -1;
  }
  return 0;
}

static void raw_env_free(struct raw_env* env) {
  tls_free(env->server);
  tls_config_free(env->client_config);
  tls_config_free(env->server_config);
  if (env->session_file != NULL) fclose(env->session_file);
  memset(env, 0, sizeof *env);
}

static void raw_pair_init(struct raw_pair* pair) {
  memset(pair, 0, sizeof *pair);
  pair->client_end.in = &pair->to_client;
  pair->client_end.out = &pair->to_server;
  pair->server_end.in = &pair->to_server;
  pair->server_end.out = &pair->to_client;
}

static int raw_pair_connect(struct raw_env* env, struct raw_pair* pair) {
  bq_clear(&pair->to_server);
  bq_clear(&pair->to_client);
  pair->client = tls_client();
  if (pair->client == NULL) return fail("tls_client", "out of memory");
  if (tls_configure(pair->client, env->client_config) != 0) {
    return fail("client configure", tls_error(pair->client));
  }
  if (tls_accept_cbs(env->server, &pair->server_conn, read_cb, write_cb, &pair->server_end) != 0) {
    return fail("tls_accept_cbs", tls_error(env->server));
  }
  if (tls_connect_cbs(pair->client, read_cb, write_cb, &pair->client_end, BENCH_SERVERNAME) != 0) {
    return fail("tls_connect_cbs", tls_error(pair->client));
  }
  return 0;
}

static int is_want(ssize_t rc) { return rc == TLS_WANT_POLLIN || rc == TLS_WANT_POLLOUT; }

static int raw_pair_handshake(struct raw_pair* pair) {
  int client_done = 0, server_done = 0;
  for (int round = 0; round < 100; round++) {
    if (!client_done) {
      int rc = tls_handshake(pair->client);
      if (rc == 0) {
        client_done = 1;
      } else if (!is_want(rc)) {
        return fail("client handshake", tls_error(pair->client));
      }
    }
    if (!server_done) {
      int rc = tls_handshake(pair->server_conn);
      if (rc == 0) {
        server_done = 1;
      } else if (!is_want(rc)) {
        return fail("server handshake", tls_error(pair->server_conn));
      }
    }
    if (client_done && server_done) return 0;
  }
  return fail("handshake", "did not complete");
}

/* Reads until `want` bytes arrived; the peer has written them already. */
static int read_exactly(struct tls* ctx, size_t want) {
  size_t got = 0;
  for (int spins = 0; got < want && spins < 64; spins++) {
    ssize_t n = tls_read(ctx, sink, sizeof sink);
    if (n > 0) {
      got += (size_t)n;
    } else if (!is_want(n)) {
      return fail("tls_read", n == 0 ? "end of stream" : tls_error(ctx));
    }
  }
  return got == want ? 0 : fail("tls_read", "data missing");
}

static int raw_pair_exchange(struct raw_pair* pair) {
  if (tls_write(pair->client, "x", 1) != 1) return fail("tls_write", tls_error(pair->client));
  if (read_exactly(pair->server_conn, 1) != 0) return -1;
  if (tls_write(pair->server_conn, "y", 1) != 1) {
    return fail("tls_write", tls_error(pair->server_conn));
  }
  return read_exactly(pair->client, 1);
}

static void raw_pair_free_client(struct raw_pair* pair) {
  tls_free(pair->client);
  pair->client = NULL;
}

static void raw_pair_free_server(struct raw_pair* pair) {
  tls_free(pair->server_conn);
  pair->server_conn = NULL;
}

static void raw_pair_free(struct raw_pair* pair) {
  raw_pair_free_client(pair);
  raw_pair_free_server(pair);
  bq_free(&pair->to_server);
  bq_free(&pair->to_client);
}

static int raw_bulk(struct raw_pair* pair, size_t chunk, size_t total) {
  const size_t batch = chunk > BENCH_BATCH ? chunk : BENCH_BATCH;
  size_t sent = 0, received = 0;
  while (received < total) {
    size_t batch_end = sent + batch < total ? sent + batch : total;
    while (sent < batch_end) {
      size_t len = batch_end - sent < chunk ? batch_end - sent : chunk;
      ssize_t n = tls_write(pair->client, source, len);
      if (n < 0) return fail("tls_write", tls_error(pair->client));
      sent += (size_t)n;
    }
    for (;;) {
      ssize_t n = tls_read(pair->server_conn, sink, sizeof sink);
      if (n > 0) {
        received += (size_t)n;
      } else if (n == TLS_WANT_POLLIN) {
        break;
      } else {
        return fail("tls_read", n == 0 ? "end of stream" : tls_error(pair->server_conn));
      }
    }
  }
  return 0;
}

/* With resume, lets the client take what the server sent after the
 * handshake (TLS 1.3 tickets), so that its session is saved. The server
 * reads first (nothing is there yet): a server that sends its ticket with
 * its first read or write, not at the end of the handshake, sends it then. */
static int take_tickets(struct tls* client, struct tls* server_conn) {
  ssize_t n = tls_read(server_conn, sink, sizeof sink);
  if (!is_want(n)) return fail("tls_read", tls_error(server_conn));
  n = tls_read(client, sink, sizeof sink);
  return is_want(n) ? 0 : fail("tls_read", tls_error(client));
}

static int raw_handshakes(struct raw_env* env, struct raw_pair* pair, int count) {
  for (int i = 0; i < count; i++) {
    int rc = raw_pair_connect(env, pair);
    if (rc == 0) rc = raw_pair_handshake(pair);
    if (rc == 0 && env->resume) {
      rc = take_tickets(pair->client, pair->server_conn);
      env->handshakes++;
      env->resumed += tls_conn_session_resumed(pair->client) == 1;
    }
    raw_pair_free_client(pair);
    raw_pair_free_server(pair);
    if (rc != 0) return -1;
  }
  return 0;
}

static const char* raw_version(struct raw_pair* pair) { return tls_conn_version(pair->client); }
static const char* raw_cipher(struct raw_pair* pair) { return tls_conn_cipher(pair->client); }

static int raw_resumption_check(const struct bench_profile* profile, char* why, size_t why_size) {
  struct raw_env env;
  struct raw_pair pair;
  int resumed = 0;
  if (raw_env_init(&env, profile) != 0) {
    snprintf(why, why_size, "%s", raw_error());
    return 0;
  }
  raw_pair_init(&pair);
  /* A full handshake that saves the session, then one that may resume it. */
  if (raw_handshakes(&env, &pair, 2) != 0) {
    snprintf(why, why_size, "%s", raw_error());
  } else if (env.resumed == 0 && env.session_file == NULL) {
    snprintf(why, why_size, "does not resume from its client config's session cache");
  } else if (env.resumed == 0) {
    long saved = 0;
    FILE* session = env.session_file;
    if (fseek(session, 0, SEEK_END) == 0) saved = ftell(session);
    snprintf(why, why_size,
             "does not resume (after a full handshake the client's session file holds %ld "
             "bytes and the next handshake is a full one)",
             saved);
  } else {
    resumed = 1;
  }
  raw_pair_free(&pair);
  raw_env_free(&env);
  return resumed;
}

const struct raw_libtls RAW_LIBTLS_TABLE = {
    .error = raw_error,
    .env_init = raw_env_init,
    .env_free = raw_env_free,
    .pair_init = raw_pair_init,
    .pair_connect = raw_pair_connect,
    .pair_handshake = raw_pair_handshake,
    .pair_exchange = raw_pair_exchange,
    .pair_free_client = raw_pair_free_client,
    .pair_free_server = raw_pair_free_server,
    .pair_free = raw_pair_free,
    .bulk = raw_bulk,
    .handshakes = raw_handshakes,
    .version = raw_version,
    .cipher = raw_cipher,
    .resumption_check = raw_resumption_check,
};
