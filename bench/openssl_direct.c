// SPDX-License-Identifier: ISC
#include "openssl_direct.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char last_error[512];
static _Alignas(BENCH_PAGE) unsigned char source[BENCH_BATCH];
static _Alignas(BENCH_PAGE) unsigned char sink[BENCH_BATCH];

const char* ossl_error(void) { return last_error; }

const char* ossl_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

static int fail(const char* what) {
  char reason[256] = "failed";
  unsigned long e = ERR_get_error();
  if (e != 0) ERR_error_string_n(e, reason, sizeof reason);
  ERR_clear_error();
  snprintf(last_error, sizeof last_error, "OpenSSL: %s: %s", what, reason);
  return -1;
}

static int apply_profile(SSL_CTX* ctx, const struct bench_profile* p) {
  /* libtls's default versions: TLS 1.2 and 1.3. */
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) return -1;
  if (p->tls12_only && !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION)) return -1;
  if (p->tls12_ciphers != NULL && !SSL_CTX_set_cipher_list(ctx, p->tls12_ciphers)) return -1;
  return 0;
}

int ossl_env_init(struct ossl_env* env, const struct bench_profile* p) {
  static const unsigned char id[] = BENCH_SESSION_ID;
  memset(env, 0, sizeof *env);
  env->resume = p->resume;
  env->client_ctx = SSL_CTX_new(TLS_client_method());
  env->server_ctx = SSL_CTX_new(TLS_server_method());
  if (env->client_ctx == NULL || env->server_ctx == NULL) {
    ossl_env_free(env);
    return fail("SSL_CTX_new");
  }
  /* The client verifies the chain against the CA and the name (below). */
  SSL_CTX_set_verify(env->client_ctx, SSL_VERIFY_PEER, NULL);
  if (!SSL_CTX_load_verify_locations(env->client_ctx, p->ca_file, NULL) ||
      apply_profile(env->client_ctx, p) != 0) {
    ossl_env_free(env);
    return fail("client context");
  }
  if (!SSL_CTX_use_certificate_chain_file(env->server_ctx, p->cert_file) ||
      !SSL_CTX_use_PrivateKey_file(env->server_ctx, p->key_file, SSL_FILETYPE_PEM) ||
      apply_profile(env->server_ctx, p) != 0) {
    ossl_env_free(env);
    return fail("server context");
  }
  if (p->resume) {
    /* Sessions cached by the server and tickets, as libtls sets them up
     * with a session ID and lifetime; the client keeps the last session. */
    SSL_CTX_set_session_cache_mode(env->server_ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_timeout(env->server_ctx, BENCH_SESSION_LIFETIME);
    if (!SSL_CTX_set_session_id_context(env->server_ctx, id, sizeof id - 1)) {
      ossl_env_free(env);
      return fail("session ID");
    }
  } else {
    /* Full handshakes: no session cache, no tickets, nothing to resume. */
    SSL_CTX_set_session_cache_mode(env->server_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(env->server_ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(env->server_ctx, 0);
  }
  SSL_CTX_set_session_cache_mode(env->client_ctx, SSL_SESS_CACHE_OFF);
  return 0;
}

void ossl_env_free(struct ossl_env* env) {
  SSL_SESSION_free(env->session);
  SSL_CTX_free(env->client_ctx);
  SSL_CTX_free(env->server_ctx);
  memset(env, 0, sizeof *env);
}

int ossl_pair_connect(struct ossl_env* env, struct ossl_pair* pair) {
  BIO *client_bio = NULL, *server_bio = NULL;
  pair->client = SSL_new(env->client_ctx);
  pair->server = SSL_new(env->server_ctx);
  if (pair->client == NULL || pair->server == NULL) return fail("SSL_new");
  if (!BIO_new_bio_pair(&client_bio, OSSL_BIO_PAIR_SIZE, &server_bio, OSSL_BIO_PAIR_SIZE)) {
    return fail("BIO_new_bio_pair");
  }
  SSL_set_bio(pair->client, client_bio, client_bio);
  SSL_set_bio(pair->server, server_bio, server_bio);
  if (!SSL_set_tlsext_host_name(pair->client, BENCH_SERVERNAME) ||
      !SSL_set1_host(pair->client, BENCH_SERVERNAME)) {
    return fail("client name");
  }
  if (env->session != NULL && !SSL_set_session(pair->client, env->session)) {
    return fail("SSL_set_session");
  }
  SSL_set_connect_state(pair->client);
  SSL_set_accept_state(pair->server);
  return 0;
}

static int is_want(SSL* ssl, int rc) {
  int e = SSL_get_error(ssl, rc);
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

int ossl_pair_handshake(struct ossl_pair* pair) {
  int client_done = 0, server_done = 0;
  for (int round = 0; round < 100; round++) {
    if (!client_done) {
      int rc = SSL_do_handshake(pair->client);
      if (rc == 1) {
        client_done = 1;
      } else if (!is_want(pair->client, rc)) {
        return fail("client handshake");
      }
    }
    if (!server_done) {
      int rc = SSL_do_handshake(pair->server);
      if (rc == 1) {
        server_done = 1;
      } else if (!is_want(pair->server, rc)) {
        return fail("server handshake");
      }
    }
    if (client_done && server_done) return 0;
  }
  snprintf(last_error, sizeof last_error, "OpenSSL: handshake did not complete");
  return -1;
}

static int read_exactly(SSL* ssl, size_t want) {
  size_t got = 0;
  for (int spins = 0; got < want && spins < 64; spins++) {
    int n = SSL_read(ssl, sink, (int)sizeof sink);
    if (n > 0) {
      got += (size_t)n;
    } else if (!is_want(ssl, n)) {
      return fail("SSL_read");
    }
  }
  return got == want ? 0 : fail("SSL_read: data missing");
}

int ossl_pair_exchange(struct ossl_pair* pair) {
  if (SSL_write(pair->client, "x", 1) != 1) return fail("SSL_write");
  if (read_exactly(pair->server, 1) != 0) return -1;
  if (SSL_write(pair->server, "y", 1) != 1) return fail("SSL_write");
  return read_exactly(pair->client, 1);
}

void ossl_pair_free_client(struct ossl_pair* pair) {
  SSL_free(pair->client);
  pair->client = NULL;
}

void ossl_pair_free_server(struct ossl_pair* pair) {
  SSL_free(pair->server);
  pair->server = NULL;
}

/* Reads what the pair holds; -1 on error. */
static int drain(SSL* ssl, size_t* received) {
  for (;;) {
    int n = SSL_read(ssl, sink, (int)sizeof sink);
    if (n > 0) {
      *received += (size_t)n;
    } else if (SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ) {
      return 0;
    } else {
      return fail("SSL_read");
    }
  }
}

int ossl_bulk(struct ossl_pair* pair, size_t chunk, size_t total) {
  const size_t batch = chunk > BENCH_BATCH ? chunk : BENCH_BATCH;
  size_t sent = 0, received = 0;
  while (received < total) {
    size_t batch_end = sent + batch < total ? sent + batch : total;
    while (sent < batch_end) {
      size_t len = batch_end - sent < chunk ? batch_end - sent : chunk;
      int n = SSL_write(pair->client, source, (int)len);
      if (n > 0) {
        sent += (size_t)n;
      } else if (SSL_get_error(pair->client, n) == SSL_ERROR_WANT_WRITE) {
        /* The pair's buffer is full: let the server read, then retry. */
        if (drain(pair->server, &received) != 0) return -1;
      } else {
        return fail("SSL_write");
      }
    }
    if (drain(pair->server, &received) != 0) return -1;
  }
  return 0;
}

/* With resume: the client takes what the server sent after the handshake
 * (TLS 1.3 tickets) and keeps its session for the next handshake. */
static int keep_session(struct ossl_env* env, struct ossl_pair* pair) {
  /* The server reads first, as in the libtls rows (nothing is there yet). */
  int n = SSL_read(pair->server, sink, (int)sizeof sink);
  if (n > 0 || SSL_get_error(pair->server, n) != SSL_ERROR_WANT_READ) return fail("SSL_read");
  n = SSL_read(pair->client, sink, (int)sizeof sink);
  if (n > 0 || SSL_get_error(pair->client, n) != SSL_ERROR_WANT_READ) return fail("SSL_read");
  env->handshakes++;
  env->resumed += SSL_session_reused(pair->client) == 1;
  SSL_SESSION_free(env->session);
  env->session = SSL_get1_session(pair->client);
  /* Freed without a close_notify sent, the connection would take its
   * session down with it (OpenSSL marks it not resumable); the libtls rows
   * send none either. Marked shut down, it keeps the session usable. */
  SSL_set_shutdown(pair->client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  return 0;
}

int ossl_handshakes(struct ossl_env* env, struct ossl_pair* pair, int count) {
  for (int i = 0; i < count; i++) {
    int rc = ossl_pair_connect(env, pair);
    if (rc == 0) rc = ossl_pair_handshake(pair);
    if (rc == 0 && env->resume) rc = keep_session(env, pair);
    ossl_pair_free_client(pair);
    ossl_pair_free_server(pair);
    if (rc != 0) return -1;
  }
  return 0;
}

const char* ossl_version_of(struct ossl_pair* pair) { return SSL_get_version(pair->client); }

const char* ossl_cipher_of(struct ossl_pair* pair) {
  return SSL_CIPHER_get_name(SSL_get_current_cipher(pair->client));
}

size_t ossl_bio_pair_heap(int count) {
  BIO** bios = calloc((size_t)count * 2, sizeof *bios);
  if (bios == NULL) return 0;
  size_t before = bench_heap_in_use();
  for (int i = 0; i < count; i++) {
    char byte = 0;
    if (!BIO_new_bio_pair(&bios[2 * i], OSSL_BIO_PAIR_SIZE, &bios[2 * i + 1], OSSL_BIO_PAIR_SIZE)) {
      break;
    }
    /* A half allocates its buffer on its first write. */
    BIO_write(bios[2 * i], "x", 1);
    BIO_write(bios[2 * i + 1], "y", 1);
    BIO_read(bios[2 * i], &byte, 1);
    BIO_read(bios[2 * i + 1], &byte, 1);
  }
  size_t after = bench_heap_in_use();
  for (int i = 0; i < 2 * count; i++) BIO_free(bios[i]);
  free(bios);
  return after > before ? (after - before) / (size_t)count : 0;
}
