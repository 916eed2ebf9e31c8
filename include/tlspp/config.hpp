// SPDX-License-Identifier: ISC
// tlspp::config: a libtls configuration, built once and shared by contexts.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlspp/export.hpp"
#include "tlspp/protocols.hpp"

namespace tlspp {

namespace detail {
struct config_state;
}

/// One certificate/key pair (with an optional OCSP staple) for a server that
/// serves several names (SNI), or a client presenting a certificate. Each item
/// comes either from memory (PEM; DER for the OCSP staple) or from a file,
/// never both.
struct TLSPP_API keypair {
  std::optional<std::string> cert{};                 ///< Certificate chain (PEM), leaf first.
  std::optional<std::filesystem::path> cert_file{};  ///< The same, from a file.
  std::optional<std::string> key{};                  ///< Private key (PEM).
  std::optional<std::filesystem::path> key_file{};   ///< The same, from a file.
  /// Password of an encrypted `key_file` (PEM/PKCS#8).
  std::optional<std::string> key_password{};
  std::optional<std::string> ocsp_staple{};                 ///< OCSP response (DER) to staple.
  std::optional<std::filesystem::path> ocsp_staple_file{};  ///< The same, from a file.
};

/// Size of a session ticket key, fixed by libtls.
inline constexpr std::size_t ticket_key_size = 48;

/// A session ticket key with its revision, as tls_config_add_ticket_key(3)
/// takes them.
struct TLSPP_API ticket_key {
  /// Revision number: names the key in the tickets it protects.
  std::uint32_t keyrev = 0;
  /// The secret; libtls copies it and wipes its copy when freed.
  std::array<std::byte, ticket_key_size> key{};
};

/// Every option of a libtls configuration, as an aggregate meant for
/// designated initializers, named in the order they are declared here (C++
/// requires it):
///
/// \code
/// #include <tlspp/config.hpp>
///
/// tlspp::config make_client_config() {
///   return tlspp::config{{.alpn = {"h2", "http/1.1"}, .ca_file = "ca.pem"}};
/// }
/// \endcode
///
/// An unset optional or a false flag leaves libtls's default, and libtls's
/// default verifies the peer's certificate, its name and its validity time:
/// only an explicit `insecure_*` flag turns a check off. Options that name the
/// same thing twice (`cert` and `cert_file`...) are rejected, never silently
/// merged.
///
/// Every value is checked before it reaches libtls's C API, which would
/// silently stop reading a string at a NUL byte: a NUL in a string, a path or
/// PEM text, an empty one, or one over a limit given below is a tlspp::error
/// (errc::invalid_argument) whose where() names the option, e.g. "config
/// option keypairs[1].key_file". Paths must be shorter than PATH_MAX. Key material stays the
/// caller's: tlspp hands it to libtls, which copies it and wipes its copy when the config is freed;
/// keys that tlspp loads from files itself are wiped as soon as libtls has them.
struct TLSPP_API config_options {
  /// ALPN protocols to offer (client) or accept (server), in preference order.
  /// Each name is 1 to 255 bytes without a comma; the list, each name behind
  /// its length byte, at most 65535 bytes (RFC 7301).
  std::vector<std::string> alpn{};

  /// Trusted CA certificates (PEM). Default: the system's CA file. PEM given
  /// in memory (`ca`, `cert`, `key`, `crl`) is text: empty or with a NUL byte
  /// it is refused (libtls would drop the certificates after the NUL, or fail
  /// with an unrelated message). `ca` and `ca_file` must hold at least one
  /// `-----BEGIN CERTIFICATE-----` block: without one some backends trust
  /// nothing and others the system's roots, so tlspp refuses it.
  std::optional<std::string> ca{};
  std::optional<std::filesystem::path> ca_file{};  ///< Trusted CA certificates, from a file.
  /// A directory of CA certificates named by subject hash (`openssl rehash`),
  /// read during each handshake. Exclusive with `ca` and `ca_file`: libtls
  /// would ignore it beside them.
  std::optional<std::filesystem::path> ca_path{};

  /// Own private key: a server's, or a client's for mutual TLS.
  std::optional<std::string> key{};
  std::optional<std::filesystem::path> key_file{};  ///< Own private key, from a file.
  /// Password of an encrypted `key_file`: 1 to 1023 bytes (libtls passes no
  /// more to OpenSSL), no NUL byte.
  std::optional<std::string> key_password{};

  /// Own certificate chain (PEM): the leaf first, then intermediates.
  std::optional<std::string> cert{};
  std::optional<std::filesystem::path> cert_file{};  ///< Own certificate chain, from a file.

  /// OCSP response (DER) a server staples to its handshake; never empty.
  std::optional<std::string> ocsp_staple{};
  std::optional<std::filesystem::path> ocsp_staple_file{};  ///< OCSP response, from a file.

  /// Certificate revocation lists (PEM) checked against the peer's chain.
  std::optional<std::string> crl{};
  std::optional<std::filesystem::path> crl_file{};  ///< Revocation lists, from a file.

  /// More keypairs, chosen by SNI. When neither `cert` nor `key` is set the
  /// first keypair becomes the default one.
  std::vector<keypair> keypairs{};

  /// Session ticket keys (server), the newest last; enables ticket resumption.
  /// This and the other server session options (`session_id`, a non-zero
  /// `session_lifetime`) are refused, saying why, on a backend whose servers
  /// never resume a session (backend_features::session_tickets...): Debian's
  /// libretls accepts them and resumes nothing. With none of them set, tlspp
  /// gives such a backend's config a session lifetime, which stops its
  /// servers from sending TLS 1.3 session tickets they could never honour
  /// (over TLS 1.2 a client offering tickets then gets an empty one).
  std::vector<ticket_key> ticket_keys{};

  /// Cipher list: "secure" (default), "compat", "legacy", "insecure", "all"
  /// or an OpenSSL-style cipher string. This and the other strings below are
  /// never empty.
  std::optional<std::string> ciphers{};
  /// DHE parameters: "none" (default), "auto" or "legacy".
  std::optional<std::string> dheparams{};
  /// A single ECDHE curve; deprecated by libtls in favour of `ecdhecurves`.
  std::optional<std::string> ecdhecurve{};
  /// ECDHE curves in preference order: "X25519,P-256", "default"...
  std::optional<std::string> ecdhecurves{};
  /// Protocol versions; default: TLS 1.2 and 1.3.
  std::optional<protocol_set> protocols{};
  /// Maximum depth of the peer's certificate chain.
  std::optional<int> verify_depth{};

  /// Server: pick the cipher by the client's preference order (less secure).
  bool prefer_ciphers_client = false;
  /// Server: pick the cipher by its own preference order (libtls's default).
  bool prefer_ciphers_server = false;
  /// Don't verify the peer's certificate chain. Insecure. libtls then also
  /// skips the stapled OCSP check: a "revoked" staple passes unseen.
  bool insecure_noverifycert = false;
  /// Don't verify that the server's certificate matches its name. Insecure.
  bool insecure_noverifyname = false;
  /// Don't check certificate validity times. Insecure. libtls then skips
  /// the stapled OCSP check entirely, revocation included. Rejected on a
  /// backend that would check the times anyway.
  bool insecure_noverifytime = false;
  /// Client: fail the handshake unless the server staples a valid OCSP response.
  bool ocsp_require_stapling = false;
  /// Server: require a client certificate signed by `ca`.
  bool verify_client = false;
  /// Server: verify a client certificate if the client sends one. Rejected
  /// on a backend that would let a certificate it cannot verify through.
  bool verify_client_optional = false;

  /// Server: session ID context, 1 to 32 bytes (binary: NUL bytes are fine);
  /// enables session-ID resumption.
  std::optional<std::string> session_id{};
  /// Server: lifetime of sessions and tickets; zero disables resumption, and is
  /// accepted on every backend.
  std::optional<std::chrono::seconds> session_lifetime{};
  /// Client: file where libtls keeps the session for resumption across
  /// contexts and processes. Created with mode 0600 if missing. Whether the
  /// next connection resumes is the server's choice (libretls saves the
  /// session when the handshake ends, before a TLS 1.3 server's tickets
  /// arrive: it resumes over TLS 1.2 only).
  std::optional<std::filesystem::path> session_file{};
};

/// A validated libtls configuration.
///
/// Thread safety: a config is immutable once built (except `clear_keys`), and
/// copies share it, so one config may serve any number of contexts in any
/// number of threads at once. A moved-from config throws tlspp::error
/// (errc::moved_from) wherever it is used.
class TLSPP_API config {
 public:
  /// The defaults of libtls: verify everything against the system's CAs.
  config();
  /// Applies every option; throws tlspp::error naming the first option
  /// libtls (or tlspp's own consistency checks) rejected, or that the
  /// backend cannot honour (see tlspp::backend_features): its message then
  /// says "not supported by the libtls backend".
  explicit config(const config_options& options);

  /// Wipes private keys from the config. Contexts configured before keep
  /// working; a server context configured after this has no key. Call it
  /// once every server context that needs the keys exists. Throws
  /// tlspp::error, and wipes nothing, on a backend whose servers keep reading
  /// the keys from the config (backend_features::clear_keys is false there).
  void clear_keys();

  /// The libtls object (`struct tls_config*`), for calls tlspp does not
  /// wrap; null for a moved-from config.
  [[nodiscard]] void* native_handle() const noexcept;

 private:
  friend struct detail::config_state;
  std::shared_ptr<detail::config_state> state_;
};

}  // namespace tlspp
