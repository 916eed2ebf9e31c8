// SPDX-License-Identifier: ISC
// Writes the seed corpus: real handshakes between tlspp clients and servers
// (in memory, over the test PKI), each direction recorded and wrapped in the
// handshake targets' script format; and hand-written option lists for
// fuzz_config. Usage: make_corpus CORPUS_DIR (normally fuzz/corpus).
//
// The seeds carry certificates with validity dates: that is fine for inputs,
// which only have to reach deep into the parsers, never to verify.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_configs.hpp"
#include "fuzz_support.hpp"

namespace tlspp::fuzz {
namespace {

/// One direction of an in-memory link that keeps everything written to it.
struct recorded_pipe {
  std::string data;
  std::size_t head = 0;

  transfer read(std::span<std::byte> out) {
    const std::size_t n = std::min(out.size(), data.size() - head);
    if (n == 0) return transfer::want_recv();
    std::copy_n(reinterpret_cast<const std::byte*>(data.data()) + head, n, out.begin());
    head += n;
    return transfer::bytes(n);
  }
  transfer write(std::span<const std::byte> in) {
    data.append(reinterpret_cast<const char*>(in.data()), in.size());
    return transfer::bytes(in.size());
  }
};

struct recording {
  std::string client_hello;   // the client's first flight
  std::string server_flight;  // the server's first flight
  std::string client_stream;  // everything the client sent, to its close_notify
  std::string server_stream;  // everything the server sent, to its close_notify
};

[[noreturn]] void die(std::string_view scenario, std::string_view what, const connection& c,
                      const io_result& r) {
  throw std::runtime_error{std::string{scenario} + ": " + std::string{what} + ": " +
                           to_string(r.status) + " " + c.error_message()};
}

/// Runs a real handshake, one message each way and both close_notify.
recording record(std::string_view scenario, const config_options& client_options,
                 const config_options& server_options, std::string_view servername) {
  recorded_pipe to_server;
  recorded_pipe to_client;
  client c{config{client_options}};
  server s{config{server_options}};
  server_connection accepted =
      s.accept([&](std::span<std::byte> b) { return to_server.read(b); },
               [&](std::span<const std::byte> b) { return to_client.write(b); });
  c.connect(
      servername, [&](std::span<std::byte> b) { return to_client.read(b); },
      [&](std::span<const std::byte> b) { return to_server.write(b); });

  recording rec;
  io_result cr = c.handshake();
  if (cr.status != io_status::want_recv) die(scenario, "client hello", c, cr);
  rec.client_hello = to_server.data;
  io_result sr = accepted.handshake();
  if (sr.status != io_status::want_recv) die(scenario, "server flight", accepted, sr);
  rec.server_flight = to_client.data;
  for (int round = 0; round < 100 && !(cr.ok() && sr.ok()); ++round) {
    if (!cr.ok()) cr = c.handshake();
    if (!sr.ok()) sr = accepted.handshake();
    if (cr.status == io_status::failed) die(scenario, "client handshake", c, cr);
    if (sr.status == io_status::failed) die(scenario, "server handshake", accepted, sr);
  }
  if (!cr.ok() || !sr.ok()) die(scenario, "handshake did not finish", c, cr);

  std::byte buffer[256];
  if (const io_result r = c.send(std::string_view{"GET / HTTP/1.0\r\n\r\n"}); !r.ok()) {
    die(scenario, "client send", c, r);
  }
  if (const io_result r = accepted.recv(buffer); !r.ok()) die(scenario, "server recv", accepted, r);
  if (const io_result r = accepted.send(std::string_view{"HTTP/1.0 200 OK\r\n\r\nhello"});
      !r.ok()) {
    die(scenario, "server send", accepted, r);
  }
  if (const io_result r = c.recv(buffer); !r.ok()) die(scenario, "client recv", c, r);
  if (const io_result r = c.close(); !r.ok()) die(scenario, "client close", c, r);
  if (const io_result r = accepted.close(); !r.ok()) die(scenario, "server close", accepted, r);
  rec.client_stream = to_server.data;
  rec.server_stream = to_client.data;
  return rec;
}

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error{"cannot write " + path.string()};
  std::printf("%6zu  %s\n", bytes.size(), path.c_str());
}

/// Seeds from one recorded handshake: the client's side for the server
/// target (in server variant `server_variant`, none when negative) and the
/// server's side for the client target.
void write_handshake_seeds(const std::filesystem::path& root, std::string_view scenario,
                           const recording& rec, int server_variant, int client_variant) {
  const std::string name{scenario};
  if (server_variant >= 0) {
    const auto dir = root / "fuzz_server_handshake";
    write_file(dir / (name + "-client-hello"),
               script::encode(server_variant, 0, {}, rec.client_hello));
    write_file(dir / (name + "-client-stream"),
               script::encode(server_variant, 0, {}, rec.client_stream));
  }
  if (client_variant >= 0) {
    const auto dir = root / "fuzz_client_handshake";
    write_file(dir / (name + "-server-flight"),
               script::encode(client_variant, 0, {}, rec.server_flight));
    write_file(dir / (name + "-server-stream"),
               script::encode(client_variant, 0, {}, rec.server_stream));
  }
}

/// fuzz_config's option lists (its format is in fuzz_config.cpp).
void write_config_seeds(const std::filesystem::path& root) {
  const auto dir = root / "fuzz_config";
  const auto fields = [](std::initializer_list<std::string_view> list) {
    std::string out;
    for (const std::string_view f : list) {
      if (!out.empty()) out += '\0';
      out.append(f);
    }
    return out;
  };
  write_file(dir / "server-files", fields({"cert_file=server-ecdsa-chain.pem",
                                           "key_file=server-ecdsa.key", "handshake=server"}));
  write_file(
      dir / "server-memory-rich",
      fields({"cert=@server-rsa-chain.pem", "key=@server-rsa.key", "alpn=h2", "alpn=http/1.1",
              "ocsp_staple=@ocsp-good-rsa.der", "ca=@ca-bundle.pem",
              "verify_client_optional=", "ciphers=compat", "protocols=tlsv1.2,tlsv1.3",
              "dheparams=auto", "ecdhecurves=X25519,P-256", "session_id=fuzz",
              "session_lifetime=300", "ticket_keys=\x01\x02\x03\x04key", "handshake=server"}));
  write_file(dir / "server-sni-keypairs",
             fields({"keypairs=", "kp.cert_file=sni-other-chain.pem", "kp.key_file=sni-other.key",
                     "keypairs=", "kp.cert=@server-ecdsa-chain.pem", "kp.key=@server-ecdsa.key",
                     "kp.ocsp_staple_file=ocsp-good.der", "handshake=server"}));
  write_file(dir / "server-encrypted-key",
             fields({"cert_file=server-ecdsa-chain.pem", "key_file=encrypted.key",
                     "key_password=tlspp-test-password", "handshake=server"}));
  write_file(dir / "server-corrupt-cert",
             fields({"cert=@server-ecdsa-chain.pem#100:AAAA!!", "key=@server-ecdsa.key#64:x"}));
  write_file(dir / "client-verifying",
             fields({"ca=@ca-bundle.pem", "crl=@crl.pem", "verify_depth=3",
                     "ocsp_require_stapling=", "alpn=h2", "protocols=secure", "ecdhecurve=auto",
                     "session_file=", "handshake=client"}));
  write_file(
      dir / "client-mtls",
      fields({"ca_file=ca-bundle.pem", "cert_file=client-chain.pem", "key_file=client.key",
              "crl_file=crl.pem", "ciphers=HIGH:!aNULL", "protocol_bits=24", "handshake=client"}));
  write_file(dir / "client-insecure",
             fields({"ca_path=.", "insecure_noverifycert=", "insecure_noverifyname=",
                     "insecure_noverifytime=", "prefer_ciphers_client=", "protocols=all,!tlsv1.0",
                     "verify_depth=-1", "handshake=client"}));
  write_file(dir / "bad-values",
             fields({"ca_file=empty.pem", "cert=@garbage.pem", "key_file=key-mismatch.key",
                     "alpn=a,b", "alpn=", "protocols=tlsv9", "dheparams=weird",
                     "session_lifetime=-5", "session_id=0123456789abcdef0123456789abcdef!",
                     "prefer_ciphers_server=", "prefer_ciphers_client="}));
}

}  // namespace
}  // namespace tlspp::fuzz

int main(int argc, char** argv) {
  using namespace tlspp::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root{argv[1]};
  try {
    // Each scenario: a real handshake, recorded, then the seeds for the
    // variants whose config matches the recording side's.
    const recording tls13 =
        record("tls13-plain", client_options(0), server_options(0), "localhost");
    write_handshake_seeds(root, "tls13-plain", tls13, 0, 0);

    // A server limited to TLS 1.2 (so no downgrade sentinel in its random).
    tlspp::config_options tls12_server = server_options(0);
    tls12_server.protocols = tlspp::protocol::tlsv1_2;
    const recording tls12 = record("tls12-plain", client_options(0), tls12_server, "localhost");
    write_handshake_seeds(root, "tls12-plain", tls12, -1, 0);
    write_handshake_seeds(root, "tls12-insecure", tls12, -1, 2);

    write_handshake_seeds(root, "tls12-rich",
                          record("tls12-rich", client_options(1), server_options(1), "localhost"),
                          1, 1);

    tlspp::config_options sni_client = client_options(0);
    sni_client.alpn = {"h2"};
    write_handshake_seeds(root, "sni-alpn",
                          record("sni-alpn", sni_client, server_options(1), "other.test"), 1, -1);

    tlspp::config_options mtls_client = client_options(0);
    mtls_client.key_file = pki_path("client.key");
    mtls_client.cert_file = pki_path("client-chain.pem");
    write_handshake_seeds(root, "tls12-mtls",
                          record("tls12-mtls", mtls_client, server_options(2), "localhost"), 2, 0);

    const recording rsa =
        record("tls12-legacy-rsa", client_options(3), server_options(3), "localhost");
    write_handshake_seeds(root, "tls12-legacy-rsa", rsa, 3, 3);
    tlspp::config_options dhe_server = server_options(3);
    dhe_server.ciphers = "DHE-RSA-AES128-GCM-SHA256";
    write_handshake_seeds(root, "tls12-legacy-dhe",
                          record("tls12-legacy-dhe", client_options(3), dhe_server, "localhost"),
                          -1, 3);

    // The same bytes through the other entry points, in small chunks with
    // wants, and ending with a transport failure.
    const std::uint8_t chunks[] = {0, 7, 255};
    using entry = script::entry;
    const auto with_entry = [](std::uint8_t flags, entry e) {
      return static_cast<std::uint8_t>(flags | (static_cast<std::uint8_t>(e) << 6));
    };
    const auto server_dir = root / "fuzz_server_handshake";
    const auto client_dir = root / "fuzz_client_handshake";
    write_file(server_dir / "tls13-plain-chunked-recv",
               script::encode(0, with_entry(script::chunked_writes, entry::recv), chunks,
                              tls13.client_stream));
    write_file(server_dir / "tls12-legacy-rsa-reset-send",
               script::encode(3, with_entry(script::ends_with_failure, entry::send), {},
                              rsa.client_stream));
    write_file(client_dir / "tls12-insecure-chunked-recv",
               script::encode(2, with_entry(script::chunked_writes, entry::recv), chunks,
                              tls12.server_stream));
    write_file(
        client_dir / "tls13-plain-reset-empty-send",
        script::encode(0, with_entry(script::ends_with_failure, entry::empty_send_then_handshake),
                       {}, tls13.server_flight));
    write_config_seeds(root);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
