// SPDX-License-Identifier: ISC
// The fixed configs the handshake targets choose from (the script's
// variant), and that make_corpus records its seeds with, so that a seed and
// the config it meets agree.
#pragma once

#include "fuzz_support.hpp"

namespace tlspp::fuzz {

/// Server variants:
///   0 plain   the ECDSA localhost certificate, libtls's defaults;
///   1 rich    RSA, a second name by SNI, ALPN, an OCSP staple, optional
///             client certificates (required where the backend cannot make
///             them optional), "compat" ciphers, TLS 1.2;
///   2 mtls    client certificates required and checked against the CRL with
///             verify_depth 2, TLS 1.2 (the client's certificate travels in
///             clear, so the fuzzer's certificates reach verification);
///   3 legacy  RSA with static-RSA and DHE key exchange, TLS 1.2.
/// Options the backend lacks are left out.
inline config_options server_options(int variant) {
  const backend_features& f = get_backend_features();
  config_options o{.key_file = pki_path("server-ecdsa.key"),
                   .cert_file = pki_path("server-ecdsa-chain.pem")};
  switch (variant) {
    case 1:
      o.alpn = {"h2", "http/1.1"};
      o.ca_file = pki_path("ca-bundle.pem");
      o.key_file = pki_path("server-rsa.key");
      o.cert_file = pki_path("server-rsa-chain.pem");
      o.keypairs = {keypair{.cert_file = pki_path("sni-other-chain.pem"),
                            .key_file = pki_path("sni-other.key")}};
      o.ciphers = "compat";
      o.protocols = protocol::tlsv1_2;
      if (f.ocsp_stapling) o.ocsp_staple_file = pki_path("ocsp-good-rsa.der");
      if (f.verify_client_optional) {
        o.verify_client_optional = true;
      } else {
        o.verify_client = true;
      }
      break;
    case 2:
      o.ca_file = pki_path("ca-bundle.pem");
      if (f.crl) o.crl_file = pki_path("crl.pem");
      o.verify_client = true;
      o.verify_depth = 2;
      o.protocols = protocol::tlsv1_2;
      break;
    case 3:
      o.key_file = pki_path("server-rsa.key");
      o.cert_file = pki_path("server-rsa-chain.pem");
      o.ciphers = "AES128-SHA:DHE-RSA-AES128-GCM-SHA256";
      if (f.dheparams) o.dheparams = "auto";
      o.protocols = protocol::tlsv1_2;
      break;
    default:
      break;
  }
  return o;
}

/// Client variants, all connecting to "localhost":
///   0 plain     trusts the test root, verifies everything;
///   1 rich      ALPN, a client certificate, a CRL and a required OCSP
///               staple (where the backend has them), TLS 1.2;
///   2 insecure  no certificate, name or time checks, so the fuzzer's
///               certificates get past verification to key exchange;
///   3 legacy    insecure too, "legacy" ciphers (static RSA, DHE), TLS 1.2.
inline config_options client_options(int variant) {
  const backend_features& f = get_backend_features();
  config_options o{.ca_file = pki_path("ca-bundle.pem")};
  switch (variant) {
    case 1:
      o.alpn = {"h2", "http/1.1"};
      o.key_file = pki_path("client.key");
      o.cert_file = pki_path("client-chain.pem");
      o.protocols = protocol::tlsv1_2;
      if (f.crl) o.crl_file = pki_path("crl.pem");
      if (f.ocsp_stapling) o.ocsp_require_stapling = true;
      break;
    case 2:
    case 3:
      o.insecure_noverifycert = true;
      o.insecure_noverifyname = true;
      if (f.insecure_noverifytime) o.insecure_noverifytime = true;
      if (variant == 2) {
        o.alpn = {"h2"};
        if (f.ecdhecurves) o.ecdhecurves = "X25519,P-256,P-384";
      } else {
        o.ciphers = "legacy";
        o.protocols = protocol::tlsv1_2;
      }
      break;
    default:
      break;
  }
  return o;
}

inline constexpr int config_variants = 4;

}  // namespace tlspp::fuzz
