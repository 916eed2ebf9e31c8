// SPDX-License-Identifier: ISC
// What the libtls backend tlspp was built against can do.
#pragma once

#include <string>

#include "tlspp/export.hpp"

namespace tlspp {

/// Capabilities of the linked libtls, detected when tlspp was built (which
/// functions its header declares and its library exports) and confirmed at
/// run time: a backend may export a function that only says "not supported",
/// or accept an option and ignore it. A capability means the behaviour
/// happens: the first call probes the backend once, with scratch configs and
/// handshakes between in-memory contexts (certificates built into tlspp, no
/// I/O), resumed ones included. An option that needs a missing capability
/// fails with tlspp::error (errc::unsupported) when the config is built,
/// saying what the backend lacks.
struct TLSPP_API backend_features {
  long api_version = 0;        ///< TLS_API
  bool tls1_3 = false;         ///< TLS 1.3 can be negotiated
  bool crl = false;            ///< `crl` and `crl_file` are accepted
  bool ocsp_stapling = false;  ///< serve and check stapled OCSP responses
  /// A server given ticket_keys (and a lifetime) resumes a client's session:
  /// a second connection with the first one's session file resumes on both
  /// sides, over TLS 1.2 or TLS 1.3. The server session flags are false on
  /// Debian's libretls, which accepts every session option and resumes
  /// nothing.
  bool session_tickets = false;
  /// A server given a session_id (and a lifetime) resumes a session.
  bool session_id = false;
  /// A server given a session_lifetime (which libtls needs for any
  /// resumption) resumes a session with it.
  bool session_lifetime = false;
  /// The client keeps its session in session_file and offers it again.
  /// Where a server of the backend resumes, that resumption proves it;
  /// elsewhere the client's half is checked: a full TLS 1.2 handshake fills
  /// the file and a new client connects with it (libretls clients resume this
  /// way over TLS 1.2 with OpenSSL and GnuTLS servers).
  bool session_file = false;
  /// Clients made from one config resume without a session file: the config
  /// keeps each server name's latest session in memory and offers it on the
  /// next connection (tlspp-openssl; no libtls does). A config never shares
  /// its sessions with another, and a session file replaces the cache.
  bool client_session_cache = false;
  bool ca_path = false;      ///< `ca_path` is accepted
  bool dheparams = false;    ///< `dheparams` is accepted
  bool ecdhecurves = false;  ///< `ecdhecurves` is accepted
  /// verify_client_optional verifies the certificate a client sends. False
  /// also where the backend would let a certificate it cannot verify through
  /// and report it as the peer's: tlspp refuses the option there.
  bool verify_client_optional = false;
  /// insecure_noverifytime really turns the validity-time check off (some
  /// backends accept the flag and check anyway).
  bool insecure_noverifytime = false;
  /// config::clear_keys() leaves the servers configured before it working
  /// (some backends' servers read the keys from the config at each handshake).
  bool clear_keys = false;
  bool cipher_strength = false;        ///< connection_info::cipher_strength is reported
  bool encrypted_keys = false;         ///< key_password (tls_load_file)
  bool peer_cert_common_name = false;  ///< from libtls itself; else parsed from the subject
  bool peer_cert_issuer = false;       ///< peer_certificate::issuer is reported
  bool peer_cert_times = false;        ///< peer_certificate::not_before/not_after are reported
  /// Certificates are matched against IP addresses (IP subjectAltNames): a
  /// client verifies a server it reached by address, and
  /// connection::peer_cert_contains_name("192.0.2.1") can be true.
  bool ip_address_names = false;
};

/// The linked backend's capabilities (computed once, thread-safe).
TLSPP_API const backend_features& get_backend_features();

/// A one-line description for logs and bug reports, naming each capability
/// and each one missing, e.g. "libtls API 20200120, TLS 1.3, CRL, OCSP
/// stapling, no session tickets...". tlspp-openssl names itself first.
TLSPP_API std::string describe(const backend_features& features);

}  // namespace tlspp
