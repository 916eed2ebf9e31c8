// What the libtls backend tlspp was built against can do.
#pragma once

#include <string>

namespace tlspp {

/// Capabilities of the linked libtls, detected when tlspp was built (which
/// functions its header declares and its library exports) and confirmed at
/// run time (a backend may export a function that only says "not supported").
/// An option that needs a missing capability fails with tlspp::error.
struct backend_features {
  long api_version = 0;  ///< TLS_API
  bool tls1_3 = false;
  bool crl = false;
  bool ocsp_stapling = false;   ///< serve and check stapled OCSP responses
  bool session_tickets = false;  ///< server ticket keys
  bool session_id = false;
  bool session_lifetime = false;
  bool session_file = false;  ///< client session file
  bool ca_path = false;
  bool dheparams = false;
  bool ecdhecurves = false;
  bool verify_client_optional = false;
  bool cipher_strength = false;
  bool encrypted_keys = false;  ///< key_password (tls_load_file)
  bool peer_cert_common_name = false;  ///< from libtls itself; else parsed from the subject
};

/// The linked backend's capabilities (computed once, thread-safe).
const backend_features& get_backend_features();

/// A one-line description, e.g. "libtls API 20200120, TLS 1.3, CRL, OCSP...".
std::string describe(const backend_features& features);

}  // namespace tlspp
