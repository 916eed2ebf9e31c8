// SPDX-License-Identifier: ISC
// The memory-pipe implementations behind one interface, so that the
// workloads run each of them the same way, interleaved.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "profile.h"

namespace bench {

/// What a connection negotiated.
struct negotiated {
  std::string version;
  std::string cipher;
};

/// Heap per idle established connection, from mallinfo2 deltas over many
/// connections: each side's TLS objects, and the transport's buffers apart.
struct heap_figures {
  double client = 0;
  double server = 0;
  double transport = 0;  // per connection (one side's share of the pipe)
};

/// One implementation of a client/server pair joined in memory. Every call
/// throws std::runtime_error with the library's message on failure.
class pipe_impl {
 public:
  virtual ~pipe_impl() = default;
  /// Opens the long-lived pair the bulk workloads use and runs its handshake.
  virtual void connect() = 0;
  /// Frees that pair (connect() frees it too): the harness shuffles the
  /// heap in between, so the next pair's buffers do not simply take the
  /// old ones' places.
  virtual void disconnect() = 0;
  [[nodiscard]] virtual negotiated info() = 0;
  /// Client to server: `total` plaintext bytes in `chunk`-byte writes, in
  /// batches of BENCH_BATCH bytes that the server then drains.
  virtual void bulk(std::size_t chunk, std::size_t total) = 0;
  /// `count` full handshakes, each with a new client context and a new
  /// accepted connection, over the shared configs.
  virtual void handshakes(int count) = 0;
  /// Opens `count` pairs, handshakes them, exchanges a byte each way, and
  /// frees the clients, the servers, then the transports, measuring each.
  virtual heap_figures idle_heap(int count) = 0;
  /// With bench_profile::resume: handshakes() ran so far, and how many of
  /// them resumed a session.
  struct resumption_count {
    long handshakes = 0;
    long resumed = 0;
  };
  [[nodiscard]] virtual resumption_count resumptions() const = 0;
};

/// tlspp, its connections over a tlspp::transport reading and writing the
/// same byte queues as the raw libtls code.
std::unique_ptr<pipe_impl> make_tlspp(const bench_profile& profile);
/// tlspp over tlspp::memory_transport, the sans-I/O transport an event loop
/// pumps: ciphertext is moved from one side's outbox into the other's
/// receive buffer.
std::unique_ptr<pipe_impl> make_tlspp_memory_transport(const bench_profile& profile);
/// libtls's C API (raw_libtls.c), on the build's backend.
std::unique_ptr<pipe_impl> make_raw_libtls(const bench_profile& profile);
#if TLSPP_BENCH_HAVE_SYSTEM_LIBTLS
/// The same C code on the system's libtls, beside tlspp-openssl.
std::unique_ptr<pipe_impl> make_raw_system_libtls(const bench_profile& profile);
#endif
/// OpenSSL directly over a BIO pair (openssl_direct.c).
std::unique_ptr<pipe_impl> make_openssl(const bench_profile& profile);

}  // namespace bench
