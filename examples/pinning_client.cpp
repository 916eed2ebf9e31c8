// SPDX-License-Identifier: ISC
// A client that accepts one server certificate only: its SHA-256 hash is
// pinned, as `nc -H` does. Connects, completes the handshake, compares the
// certificate's hash with the pin, and only then would it send anything.
// On a mismatch it sends close_notify and fails, before one byte of
// application data has left.
//
// Usage: tlspp-pinning-client HOST PORT --pin SHA256:<hex> [--ca CA_FILE] [--pin-only]
//   --pin       the hash of the server's certificate (DER), as
//               connection_info::peer->hash spells it; for a PEM file:
//               openssl x509 -in cert.pem -outform DER | sha256sum
//   --ca        the CA certificates to trust (default: the system's)
//   --pin-only  do not verify the chain: trust the pin alone (see below)
// Prints "pin ok: SHA256:..." and exits 0 when the server presented the
// pinned certificate; exits 1 with one line on stderr otherwise.
//
// Two sensible ways to pin:
// - Pin in addition to CA verification (the default here): the certificate
//   must chain to a trusted CA, name HOST, be within its validity dates,
//   and be the pinned one. A CA that issued a certificate for HOST to
//   someone else cannot fool this client.
// - Pin instead of CA verification (--pin-only: insecure_noverifycert):
//   for a self-signed certificate or a private CA the client cannot load.
//   Turning verification off is safe here only because of the pin: the
//   handshake proves the server holds the private key of the certificate it
//   presented, and the pin proves that certificate is the one expected, so
//   nobody else can pass. Without the pin any certificate would do, and any
//   man in the middle could read everything. The name is still checked, but
//   expiry and revocation are not: replacing the certificate means updating
//   the pin, and a stolen key stays trusted until then.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "tlspp/tlspp.hpp"

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tlspp-pinning-client: " << why << "\n"
            << "Usage: tlspp-pinning-client HOST PORT --pin SHA256:<hex> [--ca CA_FILE] "
               "[--pin-only]\n";
  std::exit(2);
}

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "tlspp-pinning-client: " << what << "\n";
  std::exit(1);
}

struct arguments {
  std::string host, port;
  std::string pin;      // "SHA256:" and lowercase hex, as libtls writes it
  std::string ca_file;  // empty: the system's CA certificates
  bool pin_only = false;
};

/// "SHA256:" followed by 64 hex digits, in lowercase (libtls's spelling);
/// an empty string if `text` is not one.
std::string normalized_pin(std::string_view text) {
  constexpr std::string_view prefix = "SHA256:";
  if (!text.starts_with(prefix) || text.size() != prefix.size() + 64) return {};
  std::string pin{text};
  for (std::size_t i = prefix.size(); i < pin.size(); ++i) {
    const auto c = static_cast<unsigned char>(pin[i]);
    if (!std::isxdigit(c)) return {};
    pin[i] = static_cast<char>(std::tolower(c));
  }
  return pin;
}

arguments parse(int argc, char** argv) {
  arguments a;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--pin-only") {
      a.pin_only = true;
    } else if (arg == "--pin" || arg == "--ca") {
      if (i + 1 == argc) usage("missing value after " + std::string{arg});
      const std::string_view value = argv[++i];
      if (arg == "--ca") {
        a.ca_file = value;
      } else if ((a.pin = normalized_pin(value)).empty()) {
        usage("--pin wants SHA256: and 64 hex digits, not " + std::string{value});
      }
    } else if (positional < 2 && !arg.starts_with("--")) {
      (positional++ == 0 ? a.host : a.port) = arg;
    } else {
      usage("unexpected argument " + std::string{arg});
    }
  }
  if (positional != 2) usage("HOST and PORT are required");
  if (a.pin.empty()) usage("--pin is required");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const arguments args = parse(argc, argv);
  try {
    tlspp::config_options options;
    if (!args.ca_file.empty()) options.ca_file = args.ca_file;
    // Only with a pin: the pin check below is then the whole of the trust.
    options.insecure_noverifycert = args.pin_only;
    tlspp::client client{tlspp::config{options}};
    client.connect(args.host, args.port, args.host,
                   tlspp::socket_timeouts{.connect = std::chrono::seconds{10},
                                          .io = std::chrono::seconds{10}});

    // Complete the handshake explicitly: libtls has no callback in the
    // middle of it, so the certificate is checked once the handshake is
    // done and before any data is sent (send() would run the handshake and
    // send at once).
    if (!client.handshake()) fail(client.error_message());

    const tlspp::connection_info info = client.info();
    const std::string presented = info.peer ? info.peer->hash : "no certificate";
    if (presented != args.pin) {
      // Fail closed: tell the server we are done (close_notify), send nothing else.
      (void)client.close();
      fail("certificate pin mismatch for " + args.host + ": expected " + args.pin +
           ", the server presented " + presented);
    }
    std::cout << "pin ok: " << presented << " (" << info.peer->subject << ", " << info.version
              << ")\n";

    // From here on the connection is trusted: this is where a real client
    // sends its request. This one only says goodbye.
    (void)client.close();
    return 0;
  } catch (const tlspp::error& e) {
    fail(e.what());
  }
}
