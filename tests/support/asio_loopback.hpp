// SPDX-License-Identifier: ISC
// The Asio suites' fixture: an io_context run in the test thread under a
// deadline, a listening socket on 127.0.0.1, a TLS server and a client
// config over the build's PKI, on either Asio (support/asio_flavour.hpp).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <utility>
#include <vector>

#include "support/asio_flavour.hpp"
#include "support/pki.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
inline namespace TLSPP_TEST_ASIO_FLAVOUR {

using tcp = net::ip::tcp;
using tls_stream = tls_asio::stream<tcp::socket>;

class asio_loopback : public ::testing::Test {
 protected:
  explicit asio_loopback(const config_options& server_options = pki::server_options())
      : server{config{server_options}} {}

  net::io_context io;
  tcp::acceptor acceptor{io, {net::ip::address_v4::loopback(), 0}};
  tlspp::server server;
  config client_conf{pki::client_options()};
  /// What the coroutines threw; each fails the test in run_until_stopped().
  std::vector<std::exception_ptr> failures;

  /// Starts the coroutine `task()`; an exception out of it fails the test.
  /// `done`, if given, runs when the coroutine ends, however it ends.
  template <class Task, class Done = void (*)()>
  void spawn(
      Task task, Done done = [] {}) {
    net::co_spawn(io, std::move(task), [this, done](std::exception_ptr e) {
      if (e) failures.push_back(e);
      done();
    });
  }

  /// Runs the io_context until a scenario calls io.stop(); one still
  /// running at `limit` fails the test.
  void run_until_stopped(std::chrono::seconds limit = std::chrono::seconds{10}) {
    bool expired = false;
    net::steady_timer deadline{io, limit};
    deadline.async_wait([&](error_code ec) {
      if (ec) return;
      expired = true;
      io.stop();
    });
    io.run();
    EXPECT_FALSE(expired) << "the scenario was still running after " << limit.count() << " s";
    for (const std::exception_ptr& e : failures) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        ADD_FAILURE() << "a coroutine failed: " << ex.what();
      }
    }
  }

  net::awaitable<tls_stream> connect_client() {
    tcp::socket socket{io};
    co_await socket.async_connect(acceptor.local_endpoint(), net::use_awaitable);
    co_return tls_stream{std::move(socket), client_conf};
  }

  net::awaitable<tls_stream> accept_server() {
    co_return tls_stream{co_await acceptor.async_accept(net::use_awaitable), server};
  }
};

}  // namespace TLSPP_TEST_ASIO_FLAVOUR
}  // namespace tlspp::test
