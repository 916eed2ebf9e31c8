#include "tlspp/features.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "libtls.hpp"

namespace tlspp {
namespace {

struct config_deleter {
  void operator()(::tls_config* c) const noexcept { tls_config_free(c); }
};
using scratch_config = std::unique_ptr<::tls_config, config_deleter>;

struct context_deleter {
  void operator()(::tls* t) const noexcept { tls_free(t); }
};
using scratch_context = std::unique_ptr<::tls, context_deleter>;

[[maybe_unused]] scratch_config fresh() { return scratch_config{tls_config_new()}; }

[[maybe_unused]] const auto* bytes(const char* s) {
  return reinterpret_cast<const std::uint8_t*>(s);
}
[[maybe_unused]] const auto* bytes(std::string_view s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

// ---------------------------------------------------------------------------
// Handshake probes: what a backend does, where its API cannot say.

/// Throwaway EC P-256 identities for the handshake probes; they guard
/// nothing. `server` (self-signed CA, CN=probe.invalid, SAN DNS:probe.invalid
/// and IP:127.0.0.1) and `client` (self-signed, trusted by no one) are valid
/// 2020-2120; `expired` (same SANs, issued by `server`) was valid for one day
/// in 2000.
namespace probe_pki {
constexpr std::string_view server_cert = R"(-----BEGIN CERTIFICATE-----
MIIBsTCCAVagAwIBAgICEAEwCgYIKoZIzj0EAwIwLjEUMBIGA1UECgwLdGxzcHAg
cHJvYmUxFjAUBgNVBAMMDXByb2JlLmludmFsaWQwIBcNMjAwMTAxMDAwMDAwWhgP
MjEyMDAxMDEwMDAwMDBaMC4xFDASBgNVBAoMC3Rsc3BwIHByb2JlMRYwFAYDVQQD
DA1wcm9iZS5pbnZhbGlkMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwlLe96+D
SEkIfli47VdndwLdn3Fy2TSqsQsXI/s7A6DdPu9wCxZaTCAjEVAw2EflU5gRbkLf
UgGE3+zZ0Ou2GqNiMGAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAoQw
HgYDVR0RBBcwFYINcHJvYmUuaW52YWxpZIcEfwAAATAdBgNVHQ4EFgQUUxbxIsTu
w8Cm1eyDzXmnLG1wHbcwCgYIKoZIzj0EAwIDSQAwRgIhAIPU5TnNAHEpezN53BNm
EPyDtbAL3lDAoqofsuAq6SEoAiEAkCFlxQWYM0sas8sIwl4xzDk0QvJ4unFhGML1
9Sd5baw=
-----END CERTIFICATE-----
)";
constexpr std::string_view server_key = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggvCDhai2vukxvODv
sC2+ofZMRhnx2B79xHDRovS2CtWhRANCAATCUt73r4NISQh+WLjtV2d3At2fcXLZ
NKqxCxcj+zsDoN0+73ALFlpMICMRUDDYR+VTmBFuQt9SAYTf7NnQ67Ya
-----END PRIVATE KEY-----
)";
constexpr std::string_view client_cert = R"(-----BEGIN CERTIFICATE-----
MIIBqTCCAU6gAwIBAgICEAIwCgYIKoZIzj0EAwIwMTEUMBIGA1UECgwLdGxzcHAg
cHJvYmUxGTAXBgNVBAMMEHVudHJ1c3RlZCBjbGllbnQwIBcNMjAwMTAxMDAwMDAw
WhgPMjEyMDAxMDEwMDAwMDBaMDExFDASBgNVBAoMC3Rsc3BwIHByb2JlMRkwFwYD
VQQDDBB1bnRydXN0ZWQgY2xpZW50MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
a+/xqfpfJQob1ZeW02zZfgNYT/XTxbLImMs900V07qN5Erq11RqNzn6WURqzUS7i
gGBIE3WLzBuLIeOdHhwhE6NUMFIwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMC
B4AwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0OBBYEFO4j/JZbpMLvBSDtG2VX
c6pMr300MAoGCCqGSM49BAMCA0kAMEYCIQCQZinHD/wlCRbD7/krJAIocHRykuEi
Cpf+jwLgxlrUoAIhAL/Rz14o7MmCqP4FthbOgxEcqdMAiafqrB2b/9xkfvHs
-----END CERTIFICATE-----
)";
constexpr std::string_view client_key = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsmJ8qlSkrIJ0Xtks
3ufQd2ibe/32IGJY7xPEnAl172mhRANCAARr7/Gp+l8lChvVl5bTbNl+A1hP9dPF
ssiYyz3TRXTuo3kSurXVGo3OfpZRGrNRLuKAYEgTdYvMG4sh450eHCET
-----END PRIVATE KEY-----
)";
constexpr std::string_view expired_cert = R"(-----BEGIN CERTIFICATE-----
MIIBxzCCAW2gAwIBAgICEAQwCgYIKoZIzj0EAwIwLjEUMBIGA1UECgwLdGxzcHAg
cHJvYmUxFjAUBgNVBAMMDXByb2JlLmludmFsaWQwHhcNMDAwMTAxMDAwMDAwWhcN
MDAwMTAyMDAwMDAwWjAoMRQwEgYDVQQKDAt0bHNwcCBwcm9iZTEQMA4GA1UEAwwH
ZXhwaXJlZDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFeAt0hyYrlp2XXMr2+D
e1mE92GndsxR0itjfHgdHMtD7nUvHCJosperLe1FGzCAWUS6UfacVw+dXz5nmnNY
ldWjgYAwfjAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIHgDAeBgNVHREEFzAV
gg1wcm9iZS5pbnZhbGlkhwR/AAABMB0GA1UdDgQWBBSJdGX12ra9bO/+rbFEVVCh
BhjHJjAfBgNVHSMEGDAWgBRTFvEixO7DwKbV7IPNeacsbXAdtzAKBggqhkjOPQQD
AgNIADBFAiEAueDZQC2EA9LQ8vHUDNLbiimliInaN84f4u24SBZJI5wCIBzVC0yW
njug/xMeZDmE+DZv9li/wVAcaLLVLWoNFdGV
-----END CERTIFICATE-----
)";
constexpr std::string_view expired_key = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmIeO3+hb2/DxhtUD
8SNmQR22XcHREyB41+wM/5eGDr6hRANCAARXgLdIcmK5adl1zK9vg3tZhPdhp3bM
UdIrY3x4HRzLQ+51LxwiaLKXqy3tRRswgFlEulH2nFcPnV8+Z5pzWJXV
-----END PRIVATE KEY-----
)";
}  // namespace probe_pki

/// One direction of an in-memory link between two probe contexts.
struct byte_pipe {
  std::vector<unsigned char> data;
  std::size_t head = 0;
};

struct pipe_end {
  byte_pipe* in;
  byte_pipe* out;
};

ssize_t pipe_read(::tls*, void* buf, size_t len, void* arg) {
  byte_pipe& in = *static_cast<pipe_end*>(arg)->in;
  const std::size_t n = std::min(len, in.data.size() - in.head);
  if (n == 0) return TLS_WANT_POLLIN;
  std::memcpy(buf, in.data.data() + in.head, n);
  in.head += n;
  return static_cast<ssize_t>(n);
}

ssize_t pipe_write(::tls*, const void* buf, size_t len, void* arg) {
  byte_pipe& out = *static_cast<pipe_end*>(arg)->out;
  const auto* b = static_cast<const unsigned char*>(buf);
  out.data.insert(out.data.end(), b, b + len);
  return static_cast<ssize_t>(len);
}

/// A client and a server of the backend joined in memory. The client reaches
/// the server by address (127.0.0.1), so it sends no SNI and a server never
/// checks its own certificate against a name. Any setup call that fails
/// leaves `usable` false: the probe then says nothing.
class probe_link {
 public:
  scratch_config client_conf = fresh();
  scratch_config server_conf = fresh();
  bool usable = client_conf && server_conf;

  /// The server presents `cert`; the client trusts `ca` and checks no name.
  probe_link(std::string_view cert, std::string_view key, std::string_view ca) {
    if (!usable) return;
    require(tls_config_set_keypair_mem(server_conf.get(), bytes(cert), cert.size(), bytes(key),
                                       key.size()));
    require(tls_config_set_ca_mem(client_conf.get(), bytes(ca), ca.size()));
    tls_config_insecure_noverifyname(client_conf.get());
  }

  void require(int rc) { usable = usable && rc == 0; }

  /// Configures both contexts and starts both handshakes.
  void start() {
    if (!usable) return;
    client_.reset(tls_client());
    server_.reset(tls_server());
    require(client_ && server_ ? 0 : -1);
    if (!usable) return;
    require(tls_configure(client_.get(), client_conf.get()));
    require(tls_configure(server_.get(), server_conf.get()));
    if (!usable) return;
    ::tls* accepted = nullptr;
    require(tls_accept_cbs(server_.get(), &accepted, pipe_read, pipe_write, &server_end_));
    accepted_.reset(accepted);
    if (!usable) return;
    require(tls_connect_cbs(client_.get(), pipe_read, pipe_write, &client_end_, "127.0.0.1"));
  }

  /// Drives both handshakes; true when both complete.
  bool handshake() {
    if (!usable) return false;
    bool client_done = false;
    bool server_done = false;
    for (int round = 0; round < 100 && !(client_done && server_done); ++round) {
      if (!client_done) {
        const int rc = tls_handshake(client_.get());
        if (rc == -1) return false;
        client_done = rc == 0;
      }
      if (!server_done) {
        const int rc = tls_handshake(accepted_.get());
        if (rc == -1) return false;
        server_done = rc == 0;
      }
    }
    return client_done && server_done;
  }

  [[nodiscard]] ::tls* client() const { return client_.get(); }
  [[nodiscard]] ::tls* accepted() const { return accepted_.get(); }

 private:
  byte_pipe to_server_;
  byte_pipe to_client_;
  pipe_end client_end_{&to_client_, &to_server_};
  pipe_end server_end_{&to_server_, &to_client_};
  scratch_context client_;
  scratch_context server_;
  scratch_context accepted_;
};

/// Fills the flags only a handshake shows. Each probe is compared with a
/// plain handshake that must succeed first; if even that fails, the flags
/// keep what the build detected and this returns false.
bool probe_handshakes(backend_features& f) {
  using namespace probe_pki;
  probe_link plain{server_cert, server_key, server_cert};
  plain.start();
  if (!plain.handshake()) return false;
  ::tls* client = plain.client();
#if TLSPP_HAVE_TLS_PROTOCOL_TLSV1_3
  // Both sides offer every version they have: the newest one wins.
  const char* version = tls_conn_version(client);
  f.tls1_3 = version != nullptr && std::string_view{version} == "TLSv1.3";
#endif
  const char* issuer = tls_peer_cert_issuer(client);
  f.peer_cert_issuer = issuer != nullptr && *issuer != '\0';
  f.peer_cert_times = tls_peer_cert_notbefore(client) != -1 && tls_peer_cert_notafter(client) != -1;
  f.ip_address_names = tls_peer_cert_contains_name(client, "127.0.0.1") == 1;

#if TLSPP_HAVE_TLS_CONFIG_INSECURE_NOVERIFYTIME
  // An expired certificate from the CA the client trusts: only its validity
  // time is wrong.
  probe_link expired{expired_cert, expired_key, server_cert};
  if (expired.usable) tls_config_insecure_noverifytime(expired.client_conf.get());
  expired.start();
  f.insecure_noverifytime = expired.handshake();
#endif

#if TLSPP_HAVE_TLS_CONFIG_CLEAR_KEYS
  // Keys cleared once the server is configured and has accepted.
  probe_link cleared{server_cert, server_key, server_cert};
  cleared.start();
  if (cleared.usable) tls_config_clear_keys(cleared.server_conf.get());
  f.clear_keys = cleared.handshake();
#endif

#if TLSPP_HAVE_TLS_CONFIG_VERIFY_CLIENT_OPTIONAL
  // A client certificate the server cannot verify must fail the handshake,
  // never pass as the peer's.
  probe_link optional{server_cert, server_key, server_cert};
  optional.require(
      tls_config_set_ca_mem(optional.server_conf.get(), bytes(server_cert), server_cert.size()));
  optional.require(tls_config_set_keypair_mem(optional.client_conf.get(), bytes(client_cert),
                                              client_cert.size(), bytes(client_key),
                                              client_key.size()));
  if (optional.usable) tls_config_verify_client_optional(optional.server_conf.get());
  optional.start();
  if (optional.usable && optional.handshake() && tls_peer_cert_provided(optional.accepted()) == 1) {
    f.verify_client_optional = false;
  }
#endif
  return true;
}

/// Without a handshake: whether a TLS 1.3-only client gets as far as
/// connecting (some backends accept the config and fail there). Only a
/// fallback: libtls-bearssl leaks a connection object on that failure.
bool tls13_client_starts() {
#if TLSPP_HAVE_TLS_PROTOCOL_TLSV1_3
  scratch_config c = fresh();
  if (!c || tls_config_set_protocols(c.get(), TLS_PROTOCOL_TLSv1_3) != 0) return false;
  const scratch_context ctx{tls_client()};
  if (!ctx) return false;
  auto never = [](::tls*, void*, size_t, void*) -> ssize_t { return -1; };
  auto never_w = [](::tls*, const void*, size_t, void*) -> ssize_t { return -1; };
  return tls_configure(ctx.get(), c.get()) == 0 &&
         tls_connect_cbs(ctx.get(), never, never_w, nullptr, "probe.invalid") == 0;
#else
  return false;
#endif
}

/// Some backends export a function that only fails ("not supported"): ask
/// each one on a scratch config with an argument a real implementation
/// accepts without parsing it.
backend_features probe() {
  detail::ensure_libtls_initialized();
  backend_features f;
  f.api_version = TLS_API;
#if TLSPP_HAVE_TLS_CONFIG_SET_CRL_MEM
  f.crl = tls_config_set_crl_mem(fresh().get(), bytes("x"), 1) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_MEM && TLSPP_HAVE_TLS_PEER_OCSP_CERT_STATUS
  f.ocsp_stapling = tls_config_set_ocsp_staple_mem(fresh().get(), bytes("x"), 1) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_ADD_TICKET_KEY
  unsigned char key[48] = {};
  f.session_tickets = tls_config_add_ticket_key(fresh().get(), 1, key, sizeof key) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_ID
  f.session_id = tls_config_set_session_id(fresh().get(), bytes("x"), 1) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_LIFETIME
  f.session_lifetime = tls_config_set_session_lifetime(fresh().get(), 60) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_FD
  if (std::FILE* file = std::tmpfile(); file != nullptr) {
    f.session_file = tls_config_set_session_fd(fresh().get(), fileno(file)) == 0;
    std::fclose(file);
  }
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_CA_PATH
  f.ca_path = tls_config_set_ca_path(fresh().get(), "/") == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_DHEPARAMS
  f.dheparams = tls_config_set_dheparams(fresh().get(), "auto") == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVES
  f.ecdhecurves = tls_config_set_ecdhecurves(fresh().get(), "default") == 0;
#endif
  f.verify_client_optional = TLSPP_HAVE_TLS_CONFIG_VERIFY_CLIENT_OPTIONAL;
  f.insecure_noverifytime = TLSPP_HAVE_TLS_CONFIG_INSECURE_NOVERIFYTIME;
  f.clear_keys = TLSPP_HAVE_TLS_CONFIG_CLEAR_KEYS;
  f.cipher_strength = TLSPP_HAVE_TLS_CONN_CIPHER_STRENGTH;
  f.peer_cert_common_name = TLSPP_HAVE_TLS_PEER_CERT_COMMON_NAME;
  f.peer_cert_issuer = true;
  f.peer_cert_times = true;
  f.ip_address_names = true;
#if TLSPP_HAVE_TLS_LOAD_FILE
  // A backend that decrypts keys tries to open the file (ENOENT); one that
  // cannot gives up before touching it.
  size_t len = 0;
  char password[] = "probe";
  errno = 0;
  std::uint8_t* loaded = tls_load_file("/nonexistent/tlspp-probe", &len, password);
  f.encrypted_keys = loaded == nullptr && errno == ENOENT;
  if (loaded != nullptr) tls_unload_file(loaded, len);
#endif
  if (!probe_handshakes(f)) f.tls1_3 = tls13_client_starts();
  return f;
}

}  // namespace

const backend_features& get_backend_features() {
  static const backend_features features = probe();
  return features;
}

std::string describe(const backend_features& f) {
  std::string s;
#ifdef TLSPP_OPENSSL
  // tlspp's own libtls names itself first: "tlspp-openssl 0.1.0 over OpenSSL 3.0.19, ".
  s.append(tlspp_openssl_version()).append(", ");
#endif
  s += "libtls API " + std::to_string(f.api_version);
  auto add = [&](bool have, const char* what) { s.append(have ? ", " : ", no ").append(what); };
  add(f.tls1_3, "TLS 1.3");
  add(f.crl, "CRL");
  add(f.ocsp_stapling, "OCSP stapling");
  add(f.session_tickets, "session tickets");
  add(f.session_id, "session IDs");
  add(f.session_lifetime, "session lifetime");
  add(f.session_file, "session file");
  add(f.ca_path, "CA path");
  add(f.encrypted_keys, "encrypted keys");
  add(f.verify_client_optional, "verify_client_optional");
  add(f.insecure_noverifytime, "insecure_noverifytime");
  add(f.clear_keys, "clear_keys");
  add(f.ip_address_names, "IP address names");
  add(f.peer_cert_issuer, "peer issuer");
  add(f.peer_cert_times, "peer validity times");
  return s;
}

}  // namespace tlspp
