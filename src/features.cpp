// SPDX-License-Identifier: ISC
#include "tlspp/features.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "backend_calls.hpp"
#include "libtls.hpp"

namespace tlspp {
namespace {

namespace backend = detail::backend;

struct config_deleter {
  void operator()(::tls_config* c) const noexcept { tls_config_free(c); }
};
using scratch_config = std::unique_ptr<::tls_config, config_deleter>;

struct context_deleter {
  void operator()(::tls* t) const noexcept { tls_free(t); }
};
using scratch_context = std::unique_ptr<::tls, context_deleter>;

scratch_config fresh() { return scratch_config{tls_config_new()}; }

const auto* bytes(const char* s) { return reinterpret_cast<const std::uint8_t*>(s); }
const auto* bytes(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

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

struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
/// An anonymous temporary file, for a client's session.
using scratch_file = std::unique_ptr<std::FILE, file_closer>;

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

  /// Both sides negotiate only `version` (a TLS_PROTOCOL_* bit).
  void only(std::uint32_t version) {
    if (!usable) return;
    require(version != 0 ? 0 : -1);
    require(tls_config_set_protocols(client_conf.get(), version));
    require(tls_config_set_protocols(server_conf.get(), version));
  }

  /// Configures both contexts and starts both handshakes.
  void start() {
    if (!usable) return;
    server_.reset(tls_server());
    require(server_ ? 0 : -1);
    if (!usable) return;
    require(tls_configure(server_.get(), server_conf.get()));
    next_connection();
  }

  /// A new client context (a new process, as far as the client is concerned)
  /// connecting to the same server context, over emptied pipes.
  void next_connection() {
    if (!usable) return;
    accepted_.reset();
    client_.reset(tls_client());
    to_server_ = {};
    to_client_ = {};
    require(client_ ? 0 : -1);
    if (!usable) return;
    require(tls_configure(client_.get(), client_conf.get()));
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

  /// After the handshake: the server sends a byte and the client reads it,
  /// taking in whatever the server sent before it (TLS 1.3 session tickets);
  /// then both sides close. True when the byte arrived.
  bool exchange_and_close() {
    if (!usable) return false;
    const char one = 'x';
    if (tls_write(accepted_.get(), &one, 1) != 1) return false;
    char got = 0;
    ssize_t n = TLS_WANT_POLLIN;
    for (int round = 0; round < 100 && n == TLS_WANT_POLLIN; ++round) {
      n = tls_read(client_.get(), &got, 1);
    }
    // close_notify is not waited for: the probe only needs it sent.
    (void)tls_close(client_.get());
    (void)tls_close(accepted_.get());
    return n == 1 && got == one;
  }

  /// TLS records the server has sent on the current connection.
  [[nodiscard]] int server_records() const {
    int records = 0;
    const std::vector<unsigned char>& d = to_client_.data;
    for (std::size_t at = 0; at + 5 <= d.size(); ++records) {
      at += 5 + (std::size_t{d[at + 3]} << 8 | d[at + 4]);
    }
    return records;
  }

  [[nodiscard]] ::tls* client() const { return client_.get(); }
  [[nodiscard]] ::tls* accepted() const { return accepted_.get(); }

 private:
  byte_pipe to_server_;
  byte_pipe to_client_;
  pipe_end client_end_{&to_client_, &to_server_};
  pipe_end server_end_{&to_server_, &to_client_};
  scratch_context server_;
  scratch_context client_;
  scratch_context accepted_;
};

// ---------------------------------------------------------------------------
// Resumption probes: a backend may accept every session option and still
// never resume (libretls 3.7 on OpenSSL 3 issues no ticket and no session ID
// a client could resume from), so only a resumed handshake counts.

/// Server session lifetime for the probes (within every backend's range).
constexpr int probe_lifetime = 300;

/// Where a client keeps the session it offers again: in the config's
/// session file, or only in the client config itself (its own cache).
enum class kept_in { session_file, client_config };

/// Whether a second client context resumes on both sides the session its
/// predecessor kept (`where`), against a server whose config `setup`
/// completes. Both sides negotiate only `version`.
template <class Setup>
bool resumes(std::uint32_t version, Setup&& setup, kept_in where = kept_in::session_file) {
  using namespace probe_pki;
  const scratch_file file{where == kept_in::session_file ? std::tmpfile() : nullptr};
  if (where == kept_in::session_file && !file) return false;
  probe_link link{server_cert, server_key, server_cert};
  link.only(version);
  if (where == kept_in::session_file) {
    link.require(backend::set_session_fd(link.client_conf.get(), fileno(file.get())));
  }
  if (link.usable) link.require(setup(link.server_conf.get()));
  link.start();
  if (!link.handshake() || !link.exchange_and_close()) return false;
  struct stat st {};
  if (where == kept_in::session_file &&
      (::fstat(fileno(file.get()), &st) != 0 || st.st_size == 0)) {
    return false;  // nothing kept
  }
  link.next_connection();
  return link.handshake() && backend::conn_session_resumed(link.client()) == 1 &&
         backend::conn_session_resumed(link.accepted()) == 1;
}

/// resumes() over TLS 1.2, or else over TLS 1.3 where the backend has it.
template <class Setup>
bool resumes_over_any(const backend_features& f, Setup&& setup,
                      kept_in where = kept_in::session_file) {
  return resumes(TLS_PROTOCOL_TLSv1_2, setup, where) ||
         (f.tls1_3 && resumes(backend::protocol_tlsv1_3, setup, where));
}

/// Whether the client half of resumption happens where no server of the
/// backend resumes: the client writes its session to the file after a full
/// handshake, and a new client reads it back and connects with it.
bool client_keeps_session() {
  using namespace probe_pki;
  const scratch_file file{std::tmpfile()};
  if (!file) return false;
  probe_link link{server_cert, server_key, server_cert};
  // Over TLS 1.2 the session is complete when the handshake ends.
  link.only(TLS_PROTOCOL_TLSv1_2);
  link.require(backend::set_session_fd(link.client_conf.get(), fileno(file.get())));
  link.start();
  if (!link.handshake() || !link.exchange_and_close()) return false;
  struct stat st {};
  if (::fstat(fileno(file.get()), &st) != 0 || st.st_size == 0) return false;
  link.next_connection();
  return link.handshake();
}

/// The session lifetime that stops the backend's servers from sending TLS
/// 1.3 session tickets, where they never resume: 0 when that does not hold
/// (no tickets are sent anyway, or the lifetime changes nothing, or a server
/// with it fails a handshake). `plain` is a default server's finished TLS
/// 1.3 handshake and exchange, to compare with. libretls sends two tickets
/// after every TLS 1.3 handshake unless a lifetime is set; with one it sends
/// none, and over TLS 1.2 it then answers a client offering tickets with an
/// empty one.
int lifetime_that_stops_unusable_tickets(const probe_link& plain) {
  using namespace probe_pki;
  constexpr int lifetime = 60;  // libtls's smallest; nothing resumes anyway
  probe_link quiet{server_cert, server_key, server_cert};
  quiet.only(backend::protocol_tlsv1_3);
  quiet.require(backend::set_session_lifetime(quiet.server_conf.get(), lifetime));
  quiet.start();
  if (!quiet.handshake() || !quiet.exchange_and_close() ||
      quiet.server_records() >= plain.server_records()) {
    return 0;
  }
  // A TLS 1.2 client that offers tickets (one with a session file) must
  // still get through.
  const scratch_file file{std::tmpfile()};
  if (!file) return 0;
  probe_link tls12{server_cert, server_key, server_cert};
  tls12.only(TLS_PROTOCOL_TLSv1_2);
  tls12.require(backend::set_session_lifetime(tls12.server_conf.get(), lifetime));
  tls12.require(backend::set_session_fd(tls12.client_conf.get(), fileno(file.get())));
  tls12.start();
  return tls12.handshake() && tls12.exchange_and_close() ? lifetime : 0;
}

/// What the probes found beyond backend_features.
struct probe_results {
  backend_features features;
  int quiet_server_lifetime = 0;
};

void probe_sessions(probe_results& r, probe_link& plain);

/// Fills the flags only a handshake shows. Each probe is compared with a
/// plain handshake that must succeed first; if even that fails, the flags
/// keep what the calls on scratch configs showed and this returns false.
bool probe_handshakes(probe_results& r) {
  using namespace probe_pki;
  backend_features& f = r.features;
  probe_link plain{server_cert, server_key, server_cert};
  plain.start();
  if (!plain.handshake()) return false;
  ::tls* client = plain.client();
  // Both sides offer every version they have: the newest one wins.
  const char* version = tls_conn_version(client);
  f.tls1_3 = backend::protocol_tlsv1_3 != 0 && version != nullptr &&
             std::string_view{version} == "TLSv1.3";
  const char* issuer = tls_peer_cert_issuer(client);
  f.peer_cert_issuer = issuer != nullptr && *issuer != '\0';
  f.peer_cert_times = tls_peer_cert_notbefore(client) != -1 && tls_peer_cert_notafter(client) != -1;
  f.ip_address_names = tls_peer_cert_contains_name(client, "127.0.0.1") == 1;
  f.cipher_strength = backend::conn_cipher_strength(client) > 0;
  const char* common_name = backend::peer_cert_common_name(client);
  f.peer_cert_common_name = common_name != nullptr && *common_name != '\0';

  if (f.insecure_noverifytime) {
    // An expired certificate from the CA the client trusts: only its
    // validity time is wrong.
    probe_link expired{expired_cert, expired_key, server_cert};
    expired.require(backend::insecure_noverifytime(expired.client_conf.get()));
    expired.start();
    f.insecure_noverifytime = expired.handshake();
  }

  if (f.clear_keys) {
    // Keys cleared once the server is configured and has accepted.
    probe_link cleared{server_cert, server_key, server_cert};
    cleared.start();
    if (cleared.usable) cleared.require(backend::clear_keys(cleared.server_conf.get()));
    f.clear_keys = cleared.handshake();
  }

  if (f.verify_client_optional) {
    // A client certificate the server cannot verify must fail the handshake,
    // never pass as the peer's.
    probe_link optional{server_cert, server_key, server_cert};
    optional.require(
        tls_config_set_ca_mem(optional.server_conf.get(), bytes(server_cert), server_cert.size()));
    optional.require(tls_config_set_keypair_mem(optional.client_conf.get(), bytes(client_cert),
                                                client_cert.size(), bytes(client_key),
                                                client_key.size()));
    optional.require(backend::verify_client_optional(optional.server_conf.get()));
    optional.start();
    if (optional.usable && optional.handshake() &&
        tls_peer_cert_provided(optional.accepted()) == 1) {
      f.verify_client_optional = false;
    }
  }

  probe_sessions(r, plain);
  return true;
}

/// The session flags: ticket_keys and session_id each alone beside the
/// lifetime that enables sessions in libtls, so that each flag stands for its
/// own option.
/// A server with all of them is tried first: where even it never resumes
/// (libretls), so does every one alone.
void probe_sessions(probe_results& r, probe_link& plain) {
  backend_features& f = r.features;
  unsigned char ticket_key[48] = {1, 2, 3};
  auto with_ticket_key = [&](::tls_config* c) {
    return backend::add_ticket_key(c, 1, ticket_key, sizeof ticket_key);
  };
  auto with_session_id = [](::tls_config* c) {
    return backend::set_session_id(c, bytes("tlspp probe"), 11);
  };
  auto with_lifetime = [](::tls_config* c) {
    return backend::set_session_lifetime(c, probe_lifetime);
  };
  auto with_every_option = [&](::tls_config* c) {
    if (f.session_tickets && with_ticket_key(c) != 0) return -1;
    if (f.session_id && with_session_id(c) != 0) return -1;
    return with_lifetime(c);
  };
  const bool any = (f.session_tickets || f.session_id || f.session_lifetime) &&
                   resumes_over_any(f, with_every_option);
  f.client_session_cache = any && resumes_over_any(f, with_every_option, kept_in::client_config);
  if (f.session_tickets) {
    f.session_tickets = any && resumes_over_any(f, [&](::tls_config* c) {
                          return with_ticket_key(c) != 0 ? -1 : with_lifetime(c);
                        });
  }
  if (f.session_id) {
    f.session_id = any && resumes_over_any(f, [&](::tls_config* c) {
                     return with_session_id(c) != 0 ? -1 : with_lifetime(c);
                   });
  }
  // libtls enables sessions only with a lifetime: it is part of every
  // resumption, never refused where one happens.
  f.session_lifetime = f.session_lifetime && any;
  if (f.session_file) f.session_file = any || client_keeps_session();
  // The default server's handshake compared with, over TLS 1.3.
  if (!any && f.tls1_3 && plain.exchange_and_close()) {
    r.quiet_server_lifetime = lifetime_that_stops_unusable_tickets(plain);
  }
}

/// Without a handshake: whether a TLS 1.3-only client gets as far as
/// connecting (some backends accept the config and fail there). Only a
/// fallback: libtls-bearssl leaks a connection object on that failure.
bool tls13_client_starts() {
  if (backend::protocol_tlsv1_3 == 0) return false;
  scratch_config c = fresh();
  if (!c || tls_config_set_protocols(c.get(), backend::protocol_tlsv1_3) != 0) return false;
  const scratch_context ctx{tls_client()};
  if (!ctx) return false;
  auto never = [](::tls*, void*, size_t, void*) -> ssize_t { return -1; };
  auto never_w = [](::tls*, const void*, size_t, void*) -> ssize_t { return -1; };
  return tls_configure(ctx.get(), c.get()) == 0 &&
         tls_connect_cbs(ctx.get(), never, never_w, nullptr, "probe.invalid") == 0;
}

/// Some backends export a function that only fails ("not supported"): ask
/// each one on a scratch config with an argument a real implementation
/// accepts without parsing it. The handshake probes then check what the
/// accepted ones do.
probe_results probe() {
  detail::ensure_libtls_initialized();
  probe_results r;
  backend_features& f = r.features;
  f.api_version = TLS_API;
  f.crl = backend::set_crl_mem(fresh().get(), bytes("x"), 1) == 0;
  // Serving staples is half of it: the client must be able to check them.
  const scratch_context unconnected{tls_client()};
  f.ocsp_stapling = backend::set_ocsp_staple_mem(fresh().get(), bytes("x"), 1) == 0 &&
                    unconnected &&
                    backend::peer_ocsp_cert_status(unconnected.get()) != backend::not_provided;
  unsigned char key[48] = {};
  f.session_tickets = backend::add_ticket_key(fresh().get(), 1, key, sizeof key) == 0;
  f.session_id = backend::set_session_id(fresh().get(), bytes("x"), 1) == 0;
  f.session_lifetime = backend::set_session_lifetime(fresh().get(), 60) == 0;
  if (const scratch_file file{std::tmpfile()}) {
    f.session_file = backend::set_session_fd(fresh().get(), fileno(file.get())) == 0;
  }
  f.ca_path = backend::set_ca_path(fresh().get(), "/") == 0;
  f.dheparams = backend::set_dheparams(fresh().get(), "auto") == 0;
  f.ecdhecurves = backend::set_ecdhecurves(fresh().get(), "default") == 0;
  f.verify_client_optional = backend::verify_client_optional(fresh().get()) == 0;
  f.insecure_noverifytime = backend::insecure_noverifytime(fresh().get()) == 0;
  f.clear_keys = backend::clear_keys(fresh().get()) == 0;
  f.peer_cert_issuer = true;
  f.peer_cert_times = true;
  f.ip_address_names = true;
  // A backend that decrypts keys tries to open the file (ENOENT); one that
  // cannot gives up before touching it.
  size_t len = 0;
  char password[] = "probe";
  errno = 0;
  std::uint8_t* loaded = backend::load_file("/nonexistent/tlspp-probe", &len, password);
  f.encrypted_keys = loaded == nullptr && errno == ENOENT;
  if (loaded != nullptr) backend::unload_file(loaded, len);
  if (!probe_handshakes(r)) f.tls1_3 = tls13_client_starts();
  return r;
}

const probe_results& probed() {
  static const probe_results results = probe();
  return results;
}

}  // namespace

namespace detail {
int quiet_server_session_lifetime() { return probed().quiet_server_lifetime; }
}  // namespace detail

const backend_features& get_backend_features() { return probed().features; }

std::string describe(const backend_features& f) {
  std::string s;
#ifdef TLSPP_OPENSSL
  // tlspp's own libtls names itself first: "tlspp-openssl 0.2.0 over OpenSSL 3.0.19, ".
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
  add(f.client_session_cache, "client session cache");
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
