// SPDX-License-Identifier: ISC
// One config, and one server, shared by many threads at once: the promises
// of tlspp::config and tlspp::server::accept. CI runs this under
// ThreadSanitizer with TLSPP_THREAD_HANDSHAKES=1000.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/backend.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

int handshakes_per_thread() {
  const char* configured = std::getenv("TLSPP_THREAD_HANDSHAKES");
  return configured != nullptr ? std::atoi(configured) : 50;
}

/// Runs `per_thread` connections on each of `threads` threads at once: each
/// thread makes its client config with `client_config()`, each connection
/// is a memory_link on it that `prepare` may change before the handshake,
/// then data moves both ways. Every connection must succeed.
template <class ClientConfig, class Prepare>
void connect_on_threads(int threads, int per_thread, const config& server_conf,
                        ClientConfig client_config, Prepare prepare) {
  std::atomic<int> succeeded{0};
  std::mutex failure_mutex;
  std::string first_failure;
  auto record_failure = [&](const std::string& why) {
    const std::scoped_lock lock{failure_mutex};
    if (first_failure.empty()) first_failure = why;
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      const config client_conf = client_config();
      for (int i = 0; i < per_thread; ++i) {
        try {
          memory_link link{client_conf, server_conf};
          prepare(link);
          if (!link.handshake()) {
            record_failure(link.describe());
          } else if (memory_link::pump(link.client, link.accepted, "ping") != "ping" ||
                     memory_link::pump(link.accepted, link.client, "pong") != "pong") {
            record_failure("data did not arrive intact");
          } else {
            ++succeeded;
          }
        } catch (const std::exception& e) {
          record_failure(e.what());
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(succeeded.load(), threads * per_thread) << first_failure;
}

TEST(Threads, EightThreadsHandshakeOnOneSharedConfigPair) {
  // New contexts every time: configure, accept and free all touch the
  // shared configs' reference counts.
  const config server_conf{pki::server_options()};
  const config client_conf{pki::client_options()};
  connect_on_threads(
      8, handshakes_per_thread(), server_conf, [&] { return client_conf; }, [](memory_link&) {});
}

TEST(Threads, FourThreadsAcceptFromOneServer) {
  // One server, as an io_context run by a thread pool shares it: accept()
  // from every thread at once, each connection then handshaking, resuming
  // where the backend can (its session cache and ticket keys are shared
  // too), and moving data.
  config_options server_opts = pki::server_options();
  if (get_backend_features().session_lifetime) {
    server_opts.session_lifetime = std::chrono::minutes{5};
  }
  const config server_conf{server_opts};
  tlspp::server shared{server_conf};
  connect_on_threads(
      4, std::max(1, handshakes_per_thread() / 2), server_conf,
      [] { return config{pki::client_options()}; },  // each its own session cache
      [&](memory_link& link) { link.accepted = shared.accept(link.server_io); });
}

}  // namespace
}  // namespace tlspp::test
