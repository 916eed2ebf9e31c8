// SPDX-License-Identifier: ISC
// The one list of tlspp's config options. The library's error names
// ("config option ca_file"), tlscat's flags and their help, and the config
// fuzzer's field names all come from it, so adding an option here is what
// makes the three agree; the static_asserts below fail the build when a
// field of config_options (or keypair) is missing from it.
//
// Private: src/, tools/, fuzz/ and tests/ include it (CMake target
// tlspp_option_table); it is never installed.
#pragma once

#include <string_view>
#include <utility>

#include "tlspp/config.hpp"

namespace tlspp::options {

/// What an option's value is, which says how a front end reads it.
enum class kind {
  flag,         ///< on or off
  text,         ///< a string libtls parses (cipher list, curves...)
  names,        ///< a list of names (tlscat: comma-separated)
  pem,          ///< PEM text in memory
  der,          ///< DER bytes in memory
  file,         ///< a file or directory name
  password,     ///< a key password (tlscat reads it from a file)
  bytes,        ///< binary bytes
  number,       ///< an integer
  seconds,      ///< a duration in seconds
  protocols,    ///< a protocol_set, from libtls's protocol string
  keypairs,     ///< more keypairs (tlscat: CERT,KEY[,STAPLE])
  ticket_keys,  ///< session ticket keys (tlscat: a 48-byte key file)
};

/// The heading tlscat -h lists an option under.
enum class group { trust, identity, negotiation, resumption };

struct option {
  std::string_view name;  ///< the field of config_options, as errors name it
  options::kind kind;
  options::group group;
  std::string_view flag;  ///< tlscat's long option without "--"; empty: none
  std::string_view arg;   ///< the argument in tlscat's help; empty: a flag
  std::string_view help;  ///< tlscat's one-line help
};

// Every field of config_options, in declaration order:
// X(field, kind, group, tlscat flag, argument, help)
#define TLSPP_CONFIG_OPTIONS(X)                                                                  \
  X(alpn, names, negotiation, "alpn", "LIST", "comma-separated ALPN protocols, preferred first") \
  X(ca, pem, trust, "", "", "")                                                                  \
  X(ca_file, file, trust, "ca", "FILE", "trusted CA certificates (PEM); default: the system's")  \
  X(ca_path, file, trust, "ca-path", "DIR", "directory of hashed CA certificates")               \
  X(key, pem, identity, "", "", "")                                                              \
  X(key_file, file, identity, "key", "FILE", "own private key (PEM)")                            \
  X(key_password, password, identity, "key-password-file", "FILE",                               \
    "password of an encrypted --key (first line of FILE)")                                       \
  X(cert, pem, identity, "", "", "")                                                             \
  X(cert_file, file, identity, "cert", "FILE", "own certificate chain (PEM), leaf first")        \
  X(ocsp_staple, der, identity, "", "", "")                                                      \
  X(ocsp_staple_file, file, identity, "ocsp-staple", "FILE",                                     \
    "server: OCSP response (DER) to staple")                                                     \
  X(crl, pem, trust, "", "", "")                                                                 \
  X(crl_file, file, trust, "crl", "FILE", "certificate revocation lists (PEM)")                  \
  X(keypairs, keypairs, identity, "keypair", "CERT,KEY[,STAPLE]",                                \
    "server: another keypair, chosen by SNI (repeatable)")                                       \
  X(ticket_keys, ticket_keys, resumption, "ticket-key-file", "FILE",                             \
    "server: 48-byte session ticket key (enables tickets)")                                      \
  X(ciphers, text, negotiation, "ciphers", "STR",                                                \
    "\"secure\" (default), \"compat\", \"legacy\" or OpenSSL syntax")                            \
  X(dheparams, text, negotiation, "dheparams", "STR",                                            \
    "\"none\" (default), \"auto\" or \"legacy\"")                                                \
  X(ecdhecurve, text, negotiation, "", "", "")                                                   \
  X(ecdhecurves, text, negotiation, "ecdhecurves", "LIST", "e.g. \"X25519,P-256\"")              \
  X(protocols, protocols, negotiation, "protocols", "STR",                                       \
    "e.g. \"tlsv1.3\", \"tlsv1.2,tlsv1.3\", \"secure\" (default)")                               \
  X(verify_depth, number, trust, "verify-depth", "N",                                            \
    "maximum depth of the peer's certificate chain")                                             \
  X(prefer_ciphers_client, flag, negotiation, "prefer-ciphers-client", "",                       \
    "server: prefer the client's cipher order")                                                  \
  X(prefer_ciphers_server, flag, negotiation, "prefer-ciphers-server", "",                       \
    "server: prefer its own cipher order")                                                       \
  X(insecure_noverifycert, flag, trust, "insecure-noverifycert", "",                             \
    "don't verify the peer's certificate (insecure)")                                            \
  X(insecure_noverifyname, flag, trust, "insecure-noverifyname", "",                             \
    "don't verify the server's name (insecure)")                                                 \
  X(insecure_noverifytime, flag, trust, "insecure-noverifytime", "",                             \
    "don't check validity times (insecure)")                                                     \
  X(ocsp_require_stapling, flag, trust, "ocsp-require-stapling", "",                             \
    "client: require a valid stapled OCSP response")                                             \
  X(verify_client, flag, trust, "verify-client", "", "server: require a client certificate")     \
  X(verify_client_optional, flag, trust, "verify-client-optional", "",                           \
    "server: verify a client certificate if one is sent")                                        \
  X(session_id, bytes, resumption, "session-id", "STR",                                          \
    "server: session ID context (enables ID resumption)")                                        \
  X(session_lifetime, seconds, resumption, "session-lifetime", "SECS",                           \
    "server: lifetime of sessions and tickets")                                                  \
  X(session_file, file, resumption, "session-file", "FILE",                                      \
    "client: keep the session in FILE to resume later")

// Every field of keypair, in declaration order: X(field, kind). Errors name
// them "keypairs[N].field", the fuzzer "kp.field".
#define TLSPP_KEYPAIR_OPTIONS(X) \
  X(cert, pem)                   \
  X(cert_file, file)             \
  X(key, pem)                    \
  X(key_file, file)              \
  X(key_password, password)      \
  X(ocsp_staple, der)            \
  X(ocsp_staple_file, file)

#define TLSPP_OPTION_ENTRY(field, kind_, group_, flag, arg, help) \
  option{#field, kind::kind_, group::group_, flag, arg, help},
inline constexpr option config_option_table[] = {TLSPP_CONFIG_OPTIONS(TLSPP_OPTION_ENTRY)};
#undef TLSPP_OPTION_ENTRY

struct keypair_option {
  std::string_view name;
  options::kind kind;
};
#define TLSPP_KEYPAIR_ENTRY(field, kind_) keypair_option{#field, kind::kind_},
inline constexpr keypair_option keypair_option_table[] = {
    TLSPP_KEYPAIR_OPTIONS(TLSPP_KEYPAIR_ENTRY)};
#undef TLSPP_KEYPAIR_ENTRY

/// Each option's name as a constant (`field::ca_file` is "ca_file"), for the
/// library's error messages: a name that is not in the table does not compile.
namespace field {
#define TLSPP_FIELD_NAME(field, ...) inline constexpr std::string_view field = #field;
TLSPP_CONFIG_OPTIONS(TLSPP_FIELD_NAME)
}  // namespace field
namespace keypair_field {
TLSPP_KEYPAIR_OPTIONS(TLSPP_FIELD_NAME)
#undef TLSPP_FIELD_NAME
}  // namespace keypair_field

/// The entry named `name`, or null.
constexpr const option* find(std::string_view name) {
  for (const option& o : config_option_table) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

/// Calls `f(entry, member)` with the field of `o` named `name`; false when
/// no field has that name.
template <class F>
bool visit(config_options& o, std::string_view name, F&& f) {
#define TLSPP_VISIT(field, ...) \
  if (name == #field) {         \
    f(*find(#field), o.field);  \
    return true;                \
  }
  TLSPP_CONFIG_OPTIONS(TLSPP_VISIT)
#undef TLSPP_VISIT
  return false;
}

/// The same for the fields of a keypair.
template <class F>
bool visit(keypair& kp, std::string_view name, F&& f) {
#define TLSPP_VISIT(field, kind_) \
  if (name == #field) {           \
    f(kind::kind_, kp.field);     \
    return true;                  \
  }
  TLSPP_KEYPAIR_OPTIONS(TLSPP_VISIT)
#undef TLSPP_VISIT
  return false;
}

// The tables cover every field: an aggregate takes one initializer per
// field, so config_options must take the table's fields and no more.
namespace check {
template <class T, class... Fields>
concept takes = requires {
  T{std::declval<Fields>()...};
};
template <class T, class... Fields>
concept takes_more = requires {
  T{std::declval<Fields>()..., {}};
};
}  // namespace check
#define TLSPP_FIELD_TYPE(field, ...) , decltype(config_options::field)
static_assert(check::takes<config_options TLSPP_CONFIG_OPTIONS(TLSPP_FIELD_TYPE)>,
              "TLSPP_CONFIG_OPTIONS must list config_options' fields in declaration order");
static_assert(!check::takes_more<config_options TLSPP_CONFIG_OPTIONS(TLSPP_FIELD_TYPE)>,
              "a field of config_options is missing from TLSPP_CONFIG_OPTIONS");
#undef TLSPP_FIELD_TYPE
#define TLSPP_FIELD_TYPE(field, ...) , decltype(keypair::field)
static_assert(check::takes<keypair TLSPP_KEYPAIR_OPTIONS(TLSPP_FIELD_TYPE)>,
              "TLSPP_KEYPAIR_OPTIONS must list keypair's fields in declaration order");
static_assert(!check::takes_more<keypair TLSPP_KEYPAIR_OPTIONS(TLSPP_FIELD_TYPE)>,
              "a field of keypair is missing from TLSPP_KEYPAIR_OPTIONS");
#undef TLSPP_FIELD_TYPE

}  // namespace tlspp::options
