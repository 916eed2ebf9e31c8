// SPDX-License-Identifier: ISC
// tlspp-openssl's private header: the libtls objects, the OpenSSL objects
// they own, and the helpers every source file shares. Nothing here is part
// of the API; everything but the tls.h functions is hidden.
#pragma once

// The API keeps default visibility; the library is built with hidden
// visibility for everything else.
#pragma GCC visibility push(default)
#include <tls.h>
#pragma GCC visibility pop

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tlspp_openssl {

// ---------------------------------------------------------------------------
// Ownership of OpenSSL objects.

template <auto Free>
struct free_with {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, free_with<SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, free_with<SSL_free>>;
using x509_ptr = std::unique_ptr<X509, free_with<X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, free_with<EVP_PKEY_free>>;
using bio_ptr = std::unique_ptr<BIO, free_with<BIO_free_all>>;
using session_ptr = std::unique_ptr<SSL_SESSION, free_with<SSL_SESSION_free>>;
using ocsp_response_ptr = std::unique_ptr<OCSP_RESPONSE, free_with<OCSP_RESPONSE_free>>;
using ocsp_basic_ptr = std::unique_ptr<OCSP_BASICRESP, free_with<OCSP_BASICRESP_free>>;
using ocsp_certid_ptr = std::unique_ptr<OCSP_CERTID, free_with<OCSP_CERTID_free>>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, free_with<X509_STORE_CTX_free>>;

inline void free_x509_stack(STACK_OF(X509) * s) noexcept { sk_X509_pop_free(s, X509_free); }
inline void free_info_stack(STACK_OF(X509_INFO) * s) noexcept {
  sk_X509_INFO_pop_free(s, X509_INFO_free);
}
inline void free_string_stack(STACK_OF(OPENSSL_STRING) * s) noexcept { X509_email_free(s); }
using x509_stack_ptr = std::unique_ptr<STACK_OF(X509), free_with<free_x509_stack>>;
using info_stack_ptr = std::unique_ptr<STACK_OF(X509_INFO), free_with<free_info_stack>>;
using string_stack_ptr = std::unique_ptr<STACK_OF(OPENSSL_STRING), free_with<free_string_stack>>;

/// A read-only memory BIO over `data` (which must outlive it).
bio_ptr memory_bio(const void* data, std::size_t len);

/// An allocator that wipes what it held before giving it back.
template <class T>
struct wiping_allocator {
  using value_type = T;
  wiping_allocator() = default;
  template <class U>
  explicit wiping_allocator(const wiping_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  friend bool operator==(const wiping_allocator&, const wiping_allocator&) = default;
};

/// Bytes the library keeps: what is secret (keys, sessions) is wiped when
/// freed; everything uses the same type so nothing is forgotten.
using bytes = std::vector<unsigned char, wiping_allocator<unsigned char>>;

inline bytes to_bytes(const void* p, std::size_t len) {
  const auto* b = static_cast<const unsigned char*>(p);
  return bytes(b, b + len);
}

// ---------------------------------------------------------------------------
// Errors: one slot per object, as libtls has.

class error_slot {
 public:
  /// The message, or null when there is none.
  [[nodiscard]] const char* message() const { return set_ ? text_.c_str() : nullptr; }
  /// Whether a message was set since the last clear (the most specific one
  /// wins: see set_ssl).
  [[nodiscard]] bool is_set() const { return set_; }
  void clear() noexcept {
    set_ = false;
    text_.clear();
  }
  /// Sets the message.
  void setx(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  /// Sets the message followed by ": " and errno's description.
  void set_errno(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void set_text(std::string text) {
    text_ = std::move(text);
    set_ = true;
  }

 private:
  std::string text_;
  bool set_ = false;
};

/// OpenSSL's newest error message on this thread, or `fallback`; the queue
/// is cleared, so that the library never leaves errors behind.
std::string take_openssl_error(const char* fallback = "unknown error");

// ---------------------------------------------------------------------------
// The config.

constexpr int min_session_lifetime = 4;
constexpr int max_session_lifetime = 24 * 60 * 60;
constexpr std::size_t ticket_key_slots = 4;

/// A certificate and its key, as the config holds them (PEM), with an
/// optional OCSP staple (DER).
struct keypair_data {
  std::optional<bytes> cert;
  std::optional<bytes> key;
  std::optional<bytes> ocsp_staple;

  void clear_key() noexcept { key.reset(); }
};

/// One ticket key: 16-byte name (the keyrev), AES-256 key, HMAC-SHA256 key.
struct ticket_key {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> aes{};
  std::array<unsigned char, 16> hmac{};
  std::time_t added = 0;

  void wipe() noexcept { OPENSSL_cleanse(this, sizeof *this); }
};

/// A client config's resumable sessions, by server name (session.cpp).
/// Thread-safe: every client made from the config shares it.
class session_cache {
 public:
  /// Per server name: one TLS 1.2 session (the newest replaces it) or a few
  /// TLS 1.3 tickets; and at most this many names, the least recently used
  /// going first.
  static constexpr std::size_t max_per_name = 4;
  static constexpr std::size_t max_names = 256;

  /// Keeps a reference to `session`, made with the server `name`.
  void put(const std::string& name, SSL_SESSION* session);
  /// The newest session for `name` that has not expired at `now`, or null.
  /// A TLS 1.3 one is removed (a ticket is used once); a TLS 1.2 one stays.
  session_ptr take(const std::string& name, std::time_t now);

 private:
  struct entry {
    std::vector<session_ptr> sessions;  ///< oldest first
    std::uint64_t last_used = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, entry> by_name_;
  std::uint64_t clock_ = 0;
};

struct built_server;
struct built_client;

}  // namespace tlspp_openssl

struct tls_config {
  tls_config();
  ~tls_config();
  tls_config(const tls_config&) = delete;
  tls_config& operator=(const tls_config&) = delete;

  std::atomic<int> refcount{1};
  tlspp_openssl::error_slot error;

  // --- options: every setter of these calls changed() ---
  std::optional<tlspp_openssl::bytes> alpn;  ///< wire format: length-prefixed names
  std::optional<tlspp_openssl::bytes> ca;
  std::optional<std::string> ca_path;
  std::string ciphers;
  /// The caller named libtls's "legacy", "all" or "insecure" cipher set.
  bool legacy_ciphers = false;
  bool ciphers_server = true;
  std::optional<tlspp_openssl::bytes> crl;
  int dheparams = 0;  ///< 0 none, -1 auto, 1024 legacy
  std::vector<int> groups;
  /// The first is the default identity, the rest are chosen by SNI.
  std::vector<std::unique_ptr<tlspp_openssl::keypair_data>> keypairs;
  bool ocsp_require_stapling = false;
  std::uint32_t protocols = TLS_PROTOCOLS_DEFAULT;
  std::array<unsigned char, TLS_MAX_SESSION_ID_LENGTH> session_id{};
  int session_lifetime = 0;
  bool verify_cert = true;
  bool verify_name = true;
  bool verify_time = true;
  int verify_client = 0;  ///< 0 no, 1 required, 2 optional
  int verify_depth = 6;

  // --- read per connection, so no rebuild ---
  int session_fd = -1;

  /// Marks the built contexts stale: the next tls_configure or connect
  /// builds new ones (contexts already made keep theirs).
  void changed() noexcept { ++generation; }

  // --- what is built from the options, once per role ---
  std::mutex build_mutex;
  std::uint64_t generation = 0;
  std::shared_ptr<tlspp_openssl::built_client> client;
  std::uint64_t client_generation = 0;
  std::shared_ptr<const tlspp_openssl::built_server> server;
  std::uint64_t server_generation = 0;

  // --- ticket keys, read by every server handshake ---
  std::mutex ticket_mutex;
  std::array<tlspp_openssl::ticket_key, tlspp_openssl::ticket_key_slots> ticket_keys{};
  std::uint32_t ticket_keyrev = 0;
  bool ticket_autorekey = true;

  tlspp_openssl::keypair_data& default_keypair() { return *keypairs.front(); }
};

namespace tlspp_openssl {

// ---------------------------------------------------------------------------
// What a server config builds: one SSL_CTX, and every identity it can
// present (the default first, then the SNI ones).

struct identity {
  x509_ptr cert;
  pkey_ptr key;
  x509_stack_ptr chain;  ///< intermediates, may be null
  bytes ocsp_staple;
};

struct built_server {
  ssl_ctx_ptr ctx;
  std::vector<identity> identities;
  bytes alpn;              ///< the server's preference, wire format
  bool resumable = false;  ///< session_lifetime > 0: tickets and session IDs
};

/// What a client config builds: one SSL_CTX, and the sessions its clients
/// may resume. A setter that changes the config makes a new one, so no
/// session crosses into a configuration (trust, identity, names) other than
/// the one that verified it.
struct built_client {
  ssl_ctx_ptr ctx;
  session_cache sessions;
};

// ---------------------------------------------------------------------------
// The context.

enum flag : std::uint32_t { client = 1u << 0, server = 1u << 1, server_conn = 1u << 2 };
enum state : std::uint32_t {
  eof_no_close_notify = 1u << 0,
  connected = 1u << 1,
  handshake_complete = 1u << 2,
  needs_shutdown = 1u << 3,
  ticket_pending = 1u << 4,  ///< a TLS 1.3 server owes its client a ticket
};

struct conninfo {
  std::optional<std::string> alpn;
  std::string cipher;
  int cipher_strength = 0;
  std::optional<std::string> servername;
  bool session_resumed = false;
  std::string version;
  std::optional<std::string> hash;  ///< made on the first tls_peer_cert_hash
  std::optional<std::string> issuer;
  std::optional<std::string> subject;
  bytes peer_chain_pem;  ///< made on the first tls_peer_cert_chain_pem
  std::time_t notbefore = -1;
  std::time_t notafter = -1;
};

struct ocsp_result {
  std::string message;
  int response_status = -1;
  int cert_status = -1;
  int crl_reason = -1;
  std::time_t this_update = -1;
  std::time_t next_update = -1;
  std::time_t revocation_time = -1;
};

struct ocsp_state {
  std::string url;
  std::optional<ocsp_result> result;
};

}  // namespace tlspp_openssl

struct tls {
  tls_config* config = nullptr;
  tlspp_openssl::error_slot error;
  std::uint32_t flags = 0;
  std::uint32_t state = 0;
  std::optional<std::string> servername;
  int socket = -1;

  /// A client keeps what its config built (its SSL_CTX and session cache).
  std::shared_ptr<tlspp_openssl::built_client> client;
  /// A server, and each connection it accepts, keep what the config built.
  std::shared_ptr<const tlspp_openssl::built_server> server;
  tlspp_openssl::ssl_ptr ssl;
  /// The identity a server connection presents (SNI picks it).
  const tlspp_openssl::identity* identity = nullptr;

  tlspp_openssl::x509_ptr peer_cert;
  std::unique_ptr<tlspp_openssl::conninfo> info;
  std::unique_ptr<tlspp_openssl::ocsp_state> ocsp;

  tls_read_cb read_cb = nullptr;
  tls_write_cb write_cb = nullptr;
  void* cb_arg = nullptr;
  bool read_eof = false;  ///< the read callback reported end of stream
};

namespace tlspp_openssl {

/// The tls context an SSL belongs to (set when the SSL is made).
inline ::tls* owner_of(const SSL* ssl) { return static_cast<::tls*>(SSL_get_app_data(ssl)); }

/// Clears the BIOs' retry flags before an SSL call, so that after it they
/// say whether the call's own I/O asked to wait (see ssl_failure).
inline void clear_wants(SSL* ssl) noexcept {
  BIO* rbio = SSL_get_rbio(ssl);
  BIO* wbio = SSL_get_wbio(ssl);
  if (rbio != nullptr) BIO_clear_retry_flags(rbio);
  if (wbio != rbio && wbio != nullptr) BIO_clear_retry_flags(wbio);
}

// config.cpp
/// A config with libtls's defaults (tls_config_new without tls_init).
tls_config* make_config();

// tls.cpp
::tls* new_context(std::uint32_t flags);
/// Takes a reference to `config` (null: the default config) for `ctx`.
int attach_config(::tls* ctx, tls_config* config);
/// Maps a failed SSL call (made after clear_wants) to TLS_WANT_POLLIN/
/// POLLOUT, 0 (end of stream) or -1 with ctx's error set, "<what> failed:
/// <reason>".
int ssl_failure(::tls* ctx, int ssl_ret, const char* what);
/// Options every SSL_CTX shares: protocols, ciphers, curves, ALPN list,
/// time checks, modes.
int configure_common(::tls* ctx, SSL_CTX* ssl_ctx);

// util.cpp
/// Makes OpenSSL fill its lazily computed extension cache of `cert` now,
/// while one thread builds the SSL_CTX that will share it: filled later, by
/// concurrent handshakes, it is a data race inside OpenSSL 3.0.
void settle(X509* cert);
int load_file(error_slot& error, const char* what, const char* path, bytes& out);
std::string hex(const unsigned char* p, std::size_t len);
/// "SHA256:<hex>" of the DER certificate.
std::optional<std::string> cert_hash(X509* cert);
/// X509 time to time_t (UTC); -1 when it does not parse.
std::time_t to_time_t(const ASN1_TIME* t);
int password_callback(char* buf, int size, int rwflag, void* password);

// keypair.cpp
/// Parses a keypair (PEM certificate chain, PEM key) into an identity.
int load_identity(::tls* ctx, const keypair_data& kp, identity& out);
/// Installs `id` as ssl_ctx's certificate, chain and key.
int use_identity(::tls* ctx, SSL_CTX* ssl_ctx, const identity& id);

// verify.cpp
/// Loads the trust anchors and CRLs into ssl_ctx and installs the verifier
/// with `mode` (SSL_VERIFY_*).
int configure_verify(::tls* ctx, SSL_CTX* ssl_ctx, int mode);
/// Whether `cert` is valid for `name` (a host name or an IP address), by
/// OpenSSL's own matching.
bool cert_matches_name(X509* cert, const char* name);
/// Whether `name` is an IPv4 or IPv6 literal.
bool is_ip_literal(const char* name);
/// After a handshake: the name check a client skipped in the chain check
/// (insecure_noverifycert with the name still checked).
int check_server_name(::tls* ctx);

// client.cpp
int client_handshake(::tls* ctx);
/// The client SSL_CTX and session cache of ctx's config, built on first use.
std::shared_ptr<built_client> client_context(::tls* ctx);

// server.cpp
int configure_server(::tls* ctx);
int server_handshake(::tls* ctx);

// bio_cb.cpp
int set_callbacks(::tls* ctx, tls_read_cb read_cb, tls_write_cb write_cb, void* cb_arg);

// conninfo.cpp
int populate_conninfo(::tls* ctx);

// ocsp.cpp
int ocsp_client_callback(SSL* ssl, void* arg);
int ocsp_server_callback(SSL* ssl, void* arg);
/// What the peer's certificate says about OCSP (its responder URL).
std::unique_ptr<ocsp_state> ocsp_from_peer(::tls* ctx);
int process_ocsp_response(::tls* ctx, const unsigned char* der, std::size_t len);

// session.cpp
/// Server: tickets under the config's keys (rotating), session-ID cache.
int configure_server_sessions(::tls* ctx, SSL_CTX* ssl_ctx);
/// Client: the callback that keeps each new session (TLS 1.3 tickets come
/// after the handshake).
void configure_client_sessions(SSL_CTX* ssl_ctx);
/// Client: offers the session kept in the session file, or else one from
/// the config's session cache.
int offer_client_session(::tls* ctx);
/// Server, TLS 1.3: queues the ticket to go out with the first write.
void issue_deferred_ticket(::tls* ctx);
void wipe_ticket_keys(tls_config* config) noexcept;

}  // namespace tlspp_openssl
