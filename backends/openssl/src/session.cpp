// SPDX-License-Identifier: ISC
// Session resumption, TLS 1.2 and 1.3.
//
// Server: with a session lifetime, stateless tickets under the config's
// ticket keys (the newest key issues; older keys still open tickets until
// they expire, lifetime after they were added; a key's keyrev names it),
// and a session-ID cache scoped by the session ID context. A TLS 1.3
// ticket goes out with the connection's first write, not at the end of the
// handshake, so that a client that closes at once never breaks it. Without
// a lifetime: no tickets and no cache at all.
//
// Client: whenever OpenSSL has a new session (for TLS 1.3, when a ticket
// arrives after the handshake) it goes to the session file, when the config
// has one (tls_config_set_session_fd), or else to the config's session
// cache under the server name; the next connection to that name offers it.
#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "internal.hpp"

namespace tlspp_openssl {
namespace {

/// Adds a key as the newest one; the caller holds the ticket mutex.
int add_ticket_key_locked(tls_config* config, std::uint32_t keyrev, const unsigned char* key,
                          std::size_t keylen) {
  if (keylen != TLS_TICKET_KEY_SIZE) {
    config->error.setx("wrong amount of ticket key data");
    return -1;
  }
  ticket_key fresh;
  const std::uint32_t name = htonl(keyrev);
  std::memcpy(fresh.name.data(), &name, sizeof name);
  std::memcpy(fresh.aes.data(), key, fresh.aes.size());
  std::memcpy(fresh.hmac.data(), key + fresh.aes.size(), fresh.hmac.size());
  fresh.added = std::time(nullptr);

  auto& keys = config->ticket_keys;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].added == 0 || keys[i].name != fresh.name) continue;
    // The newest key may be given again (a periodic re-add); anything else
    // would give one name two keys.
    const bool same_key =
        i == 0 && CRYPTO_memcmp(keys[0].aes.data(), fresh.aes.data(), fresh.aes.size()) == 0 &&
        CRYPTO_memcmp(keys[0].hmac.data(), fresh.hmac.data(), fresh.hmac.size()) == 0;
    fresh.wipe();
    if (same_key) return 0;
    config->error.setx("ticket key already present");
    return -1;
  }
  // The oldest key drops out; the shift overwrites its bytes.
  std::move_backward(keys.begin(), keys.end() - 1, keys.end());
  keys[0] = fresh;
  fresh.wipe();
  return 0;
}

/// Whether `key` may still open tickets at `now`.
bool usable(const ticket_key& key, std::time_t now, int lifetime) {
  return key.added != 0 && now - lifetime <= key.added;
}

/// With no keys from the caller, the config makes its own and renews the
/// newest once it is three quarters through its lifetime.
void autorekey_locked(tls_config* config, std::time_t now) {
  if (!config->ticket_autorekey) return;
  const ticket_key& newest = config->ticket_keys[0];
  if (newest.added != 0 && now - 3 * (config->session_lifetime / 4) <= newest.added) return;
  unsigned char key[TLS_TICKET_KEY_SIZE];
  if (RAND_bytes(key, sizeof key) == 1) {
    add_ticket_key_locked(config, config->ticket_keyrev++, key, sizeof key);
  }
  OPENSSL_cleanse(key, sizeof key);
}

int set_mac_key(EVP_MAC_CTX* mac, ticket_key& key) {
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac.data(), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(mac, params);
}

/// OpenSSL's ticket key callback: 1 to use the key, 2 to use it and issue
/// a fresh ticket under the newest key, 0 for no ticket (issuing) or a full
/// handshake (opening), -1 on error.
int ticket_callback(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                    EVP_MAC_CTX* mac, int encrypt) {
  ::tls* conn = owner_of(ssl);
  if (conn == nullptr) return -1;
  tls_config* config = conn->config;
  const std::time_t now = std::time(nullptr);
  ticket_key key;
  bool newest = false;
  {
    const std::scoped_lock lock{config->ticket_mutex};
    autorekey_locked(config, now);
    const auto& keys = config->ticket_keys;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (!usable(keys[i], now, config->session_lifetime)) continue;
      if (encrypt == 0 && CRYPTO_memcmp(key_name, keys[i].name.data(), keys[i].name.size()) != 0) {
        continue;
      }
      key = keys[i];
      newest = i == 0;
      break;
    }
  }
  int rv = 0;
  if (key.added == 0) {
    rv = 0;  // no usable key: no ticket, or a full handshake
  } else if (encrypt != 0) {
    std::memcpy(key_name, key.name.data(), key.name.size());
    rv = RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) == 1 &&
                 EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) == 1 &&
                 set_mac_key(mac, key) == 1
             ? 1
             : -1;
  } else {
    rv = EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) == 1 &&
                 set_mac_key(mac, key) == 1
             ? (newest ? 1 : 2)
             : -1;
  }
  key.wipe();
  return rv;
}

/// Writes `session` (PEM) over the session file.
bool write_session_file(int fd, SSL_SESSION* session) {
  const bio_ptr bio{BIO_new(BIO_s_secmem())};
  if (!bio || PEM_write_bio_SSL_SESSION(bio.get(), session) != 1) return false;
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || ::ftruncate(fd, len) != 0) return false;
  for (off_t done = 0; done < len;) {
    const ssize_t n = ::pwrite(fd, data + done, static_cast<std::size_t>(len - done), done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

/// OpenSSL has a new client session: the handshake's (TLS 1.2), or a
/// ticket that came after it (TLS 1.3). Keep it in the session file, or
/// else in the session cache.
int new_session_callback(SSL* ssl, SSL_SESSION* session) {
  const ::tls* ctx = owner_of(ssl);
  if (ctx == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  if (ctx->config->session_fd < 0) {
    if (ctx->client) ctx->client->sessions.put(ctx->servername.value_or(""), session);
    return 0;  // OpenSSL keeps its reference
  }
  // Names the server the session belongs to (see offer_client_session);
  // OpenSSL only records a name the server acknowledged.
  if (ctx->servername && SSL_SESSION_set1_hostname(session, ctx->servername->c_str()) != 1) {
    ERR_clear_error();
    return 0;
  }
  // A session that cannot be saved costs the next connection a full
  // handshake, never this one.
  if (!write_session_file(ctx->config->session_fd, session)) ERR_clear_error();
  return 0;  // OpenSSL keeps its reference
}

/// Whether `session` may still be offered at `now`: within its lifetime and
/// the one the server gave its ticket, and not given up by OpenSSL (which
/// does so when its connection fails with a fatal alert, or is freed
/// without a close_notify sent).
bool still_usable(SSL_SESSION* session, std::time_t now) {
  if (SSL_SESSION_is_resumable(session) != 1) return false;
  const long age = static_cast<long>(now) - SSL_SESSION_get_time(session);
  if (age < 0 || age >= SSL_SESSION_get_timeout(session)) return false;
  const unsigned long hint = SSL_SESSION_get_ticket_lifetime_hint(session);
  return hint == 0 || static_cast<unsigned long>(age) < hint;
}

/// Offers the session in the session file, if it was made with the server
/// this connection names.
int offer_file_session(::tls* ctx, int fd) {
  SSL* ssl = ctx->ssl.get();
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ctx->error.set_errno("failed to stat session file");
    return -1;
  }
  if (st.st_size < 0 || st.st_size > INT_MAX) {
    ctx->error.setx("invalid session file size");
    return -1;
  }
  if (st.st_size == 0) return 0;  // no session yet
  bytes data(static_cast<std::size_t>(st.st_size));
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ctx->error.set_errno("failed to read session file");
      return -1;
    }
    done += static_cast<std::size_t>(n);
  }
  const bio_ptr bio = memory_bio(data.data(), data.size());
  const session_ptr session{
      bio ? PEM_read_bio_SSL_SESSION(bio.get(), nullptr, password_callback, nullptr) : nullptr};
  if (!session) {
    ERR_clear_error();
    ctx->error.setx("failed to parse session");
    return -1;
  }
  // A session is only offered to the server it was made with: resuming
  // skips the certificate check, so another name must not reuse it.
  const char* host = SSL_SESSION_get0_hostname(session.get());
  const bool same_server =
      ctx->servername ? host != nullptr && *ctx->servername == host : host == nullptr;
  if (!same_server) return 0;
  if (SSL_set_session(ssl, session.get()) != 1) {
    ERR_clear_error();
    ctx->error.setx("failed to set session");
    return -1;
  }
  return 0;
}

}  // namespace

int configure_server_sessions(::tls* ctx, SSL_CTX* ssl_ctx) {
  const tls_config& config = *ctx->config;
  if (SSL_CTX_set_session_id_context(ssl_ctx, config.session_id.data(),
                                     static_cast<unsigned int>(config.session_id.size())) != 1) {
    ERR_clear_error();
    ctx->error.setx("failed to set session id context");
    return -1;
  }
  // TLS 1.3 tickets are issued by hand, with the first write.
  SSL_CTX_set_num_tickets(ssl_ctx, 0);
  if (config.session_lifetime <= 0) return 0;  // configure_common turned it all off
  SSL_CTX_set_timeout(ssl_ctx, config.session_lifetime);
  SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_clear_options(ssl_ctx, SSL_OP_NO_TICKET);
  if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl_ctx, ticket_callback) != 1) {
    ERR_clear_error();
    ctx->error.setx("failed to set the TLS ticket callback");
    return -1;
  }
  return 0;
}

void issue_deferred_ticket(::tls* ctx) {
  ctx->state &= ~ticket_pending;
  if (SSL_new_session_ticket(ctx->ssl.get()) != 1) ERR_clear_error();
}

void configure_client_sessions(SSL_CTX* ssl_ctx) {
  // OpenSSL hands every new session to the callback and keeps none itself.
  SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ssl_ctx, new_session_callback);
  SSL_CTX_clear_options(ssl_ctx, SSL_OP_NO_TICKET);
}

int offer_client_session(::tls* ctx) {
  // A session file, the caller's explicit choice, replaces the cache.
  if (const int fd = ctx->config->session_fd; fd >= 0) return offer_file_session(ctx, fd);
  const session_ptr session =
      ctx->client->sessions.take(ctx->servername.value_or(""), std::time(nullptr));
  // A session OpenSSL refuses costs this connection a full handshake only.
  if (session && SSL_set_session(ctx->ssl.get(), session.get()) != 1) ERR_clear_error();
  return 0;
}

void session_cache::put(const std::string& name, SSL_SESSION* session) {
  const bool tls13 = SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION;
  SSL_SESSION_up_ref(session);
  session_ptr kept{session};
  session_ptr dropped;  // freed (and wiped by OpenSSL) outside the lock
  std::vector<session_ptr> evicted;
  const std::scoped_lock lock{mutex_};
  auto found = by_name_.find(name);
  if (found == by_name_.end()) {
    if (by_name_.size() >= max_names) {
      auto oldest = std::min_element(by_name_.begin(), by_name_.end(), [](auto& a, auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      evicted = std::move(oldest->second.sessions);
      by_name_.erase(oldest);
    }
    found = by_name_.try_emplace(name).first;
  }
  entry& e = found->second;
  e.last_used = ++clock_;
  auto& list = e.sessions;
  // A TLS 1.2 session replaces the name's older sessions; TLS 1.3 tickets
  // pile up (a server may send several), the oldest dropping out.
  if (!tls13) {
    evicted.insert(evicted.end(), std::make_move_iterator(list.begin()),
                   std::make_move_iterator(list.end()));
    list.clear();
  } else if (list.size() >= max_per_name) {
    dropped = std::move(list.front());
    list.erase(list.begin());
  }
  list.push_back(std::move(kept));
}

session_ptr session_cache::take(const std::string& name, std::time_t now) {
  std::vector<session_ptr> expired;  // freed outside the lock
  session_ptr offered;
  const std::scoped_lock lock{mutex_};
  const auto found = by_name_.find(name);
  if (found == by_name_.end()) return nullptr;
  entry& e = found->second;
  auto& list = e.sessions;
  while (!list.empty()) {
    session_ptr newest = std::move(list.back());
    list.pop_back();
    if (!still_usable(newest.get(), now)) {
      expired.push_back(std::move(newest));
      continue;
    }
    if (SSL_SESSION_get_protocol_version(newest.get()) < TLS1_3_VERSION) {
      // A TLS 1.2 session may be resumed again: it stays.
      SSL_SESSION_up_ref(newest.get());
      list.push_back(std::move(newest));
      offered.reset(list.back().get());
    } else {
      offered = std::move(newest);
    }
    break;
  }
  e.last_used = ++clock_;
  if (list.empty()) by_name_.erase(found);
  return offered;
}

void wipe_ticket_keys(tls_config* config) noexcept {
  for (ticket_key& k : config->ticket_keys) k.wipe();
}

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

int tls_config_add_ticket_key(tls_config* config, std::uint32_t keyrev, unsigned char* key,
                              size_t keylen) {
  const std::scoped_lock lock{config->ticket_mutex};
  if (add_ticket_key_locked(config, keyrev, key, keylen) != 0) return -1;
  config->ticket_autorekey = false;
  return 0;
}
