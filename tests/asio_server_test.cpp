// SPDX-License-Identifier: ISC
// A coroutine TLS server on tlspp::asio::stream, as an application runs one:
// many concurrent clients in one io_context and one thread, peers that reset
// the connection, peers that stall in the handshake. Real loopback TCP, with
// the io_context in the test thread under an asio::steady_timer deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <list>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "support/asio_loopback.hpp"
#include "support/pki.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

using namespace std::chrono_literals;
using net::awaitable;
using net::use_awaitable;

/// A 64-bit hash of a byte stream that does not depend on how the stream
/// was cut into chunks: both ends of an echo hash what they saw. Works a
/// word at a time, so that hundreds of MiB stay cheap in a debug build.
class stream_hash {
 public:
  void update(std::string_view bytes) {
    while (!bytes.empty()) {
      if (fill_ == 0 && bytes.size() >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, bytes.data(), 8);
        mix(word);
        bytes.remove_prefix(8);
        continue;
      }
      partial_[fill_++] = bytes.front();
      bytes.remove_prefix(1);
      if (fill_ == 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, partial_.data(), 8);
        mix(word);
        fill_ = 0;
      }
    }
  }
  [[nodiscard]] std::uint64_t value() const {
    std::uint64_t h = state_;
    for (std::size_t i = 0; i < fill_; ++i) {
      h = (h ^ static_cast<unsigned char>(partial_[i])) * 1099511628211ull;
    }
    return h;
  }

 private:
  void mix(std::uint64_t word) {
    state_ = (state_ ^ word) * 1099511628211ull;
    state_ ^= state_ >> 29;
  }
  std::uint64_t state_ = 14695981039346656037ull;
  std::array<char, 8> partial_{};
  std::size_t fill_ = 0;
};

/// Fills `chunk` with pseudo-random bytes, 8 at a time.
void fill_random(std::string& chunk, std::uint64_t& state) {
  for (std::size_t i = 0; i < chunk.size(); i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::memcpy(chunk.data() + i, &state, std::min<std::size_t>(8, chunk.size() - i));
  }
}

class AsioServer : public asio_loopback {};

/// The server's side of one echo connection: everything read is written
/// back until the client's close_notify, which is answered.
awaitable<void> echo_session(tls_stream s) {
  co_await s.async_handshake(s.server, use_awaitable);
  std::array<char, 16384> buffer{};
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
    if (ec == net::error::eof) break;
    if (ec) throw system_error{ec, "server read: " + s.last_error()};
    co_await net::async_write(s, net::buffer(buffer.data(), n), use_awaitable);
  }
  co_await s.async_shutdown(tls_asio::shutdown_mode::send_only, 5s, use_awaitable);
}

struct echo_outcome {
  std::size_t sent = 0;
  std::size_t received = 0;
  std::uint64_t sent_hash = 0;
  std::uint64_t received_hash = 0;
  bool closed_cleanly = false;
};

/// A client sending 256 KiB to 1 MiB in random-sized writes while it reads
/// the echo, hashing both, then closing with close_notify both ways.
awaitable<void> echo_client(tls_stream s, unsigned seed, echo_outcome& out) {
  co_await s.async_handshake(s.client, "localhost", use_awaitable);
  std::mt19937 rng{seed};
  const std::size_t total = (256u << 10) + rng() % ((768u << 10) + 1);

  auto writer = [&]() -> awaitable<void> {
    std::uint64_t bytes = 0x9e3779b97f4a7c15ull * seed;
    stream_hash hash;
    std::string chunk;
    while (out.sent < total) {
      // Mostly small writes, sometimes a large one: many record sizes.
      const std::size_t limit = rng() % 8 == 0 ? 200000 : 3000;
      chunk.resize(std::min<std::size_t>(1 + rng() % limit, total - out.sent));
      fill_random(chunk, bytes);
      hash.update(chunk);
      co_await net::async_write(s, net::buffer(chunk), use_awaitable);
      out.sent += chunk.size();
    }
    out.sent_hash = hash.value();
  };
  auto reader = [&]() -> awaitable<void> {
    stream_hash hash;
    std::array<char, 16384> buffer{};
    while (out.received < total) {
      const std::size_t n = co_await s.async_read_some(net::buffer(buffer), use_awaitable);
      hash.update({buffer.data(), n});
      out.received += n;
    }
    out.received_hash = hash.value();
  };
  co_await both(writer(), reader());

  auto [ec] = co_await s.async_shutdown(as_tuple_awaitable);
  if (ec) throw system_error{ec, "client shutdown: " + s.last_error()};
  out.closed_cleanly = true;
}

ASIO_TEST_F(AsioServer, ManyConcurrentClientsGetTheirRandomSizedWritesEchoed) {
  // 200 keeps the test within seconds under ASan; TLSPP_ASIO_CLIENTS=1000
  // runs the same scenario bigger (see docs/asio.md).
  const char* env = std::getenv("TLSPP_ASIO_CLIENTS");
  const int clients = env != nullptr ? std::atoi(env) : 200;
  std::vector<echo_outcome> outcomes(static_cast<std::size_t>(clients));
  int running = 2 * clients;
  auto one_ended = [&] {
    if (--running == 0) io.stop();
  };

  spawn([&]() -> awaitable<void> {
    for (int i = 0; i < clients; ++i) {
      tls_stream s{co_await acceptor.async_accept(use_awaitable), server};
      spawn([s = std::move(s)]() mutable { return echo_session(std::move(s)); }, one_ended);
    }
  });
  for (int i = 0; i < clients; ++i) {
    spawn(
        [this, i, &outcomes]() -> awaitable<void> {
          co_await echo_client(co_await connect_client(), static_cast<unsigned>(i) + 1,
                               outcomes[static_cast<std::size_t>(i)]);
        },
        one_ended);
  }
  const auto start = std::chrono::steady_clock::now();
  run_until_stopped(120s);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  std::size_t total = 0;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const echo_outcome& o = outcomes[i];
    EXPECT_GE(o.sent, 256u << 10) << "client " << i;
    EXPECT_EQ(o.received, o.sent) << "client " << i;
    EXPECT_EQ(o.received_hash, o.sent_hash) << "client " << i;
    EXPECT_TRUE(o.closed_cleanly) << "client " << i;
    total += o.sent;
  }
  std::printf(
      "[asio server] %d connections, %.1f MiB echoed in %.2f s: %.0f connections/s, "
      "%.0f MiB/s each way\n",
      clients, static_cast<double>(total) / (1 << 20), elapsed.count(), clients / elapsed.count(),
      static_cast<double>(total) / (1 << 20) / elapsed.count());
}

ASIO_TEST_F(AsioServer, PeerThatResetsTheConnectionFailsTheServersReadInsteadOfHanging) {
  error_code read_ec;
  error_code write_ec;
  bool server_done = false;
  bool client_done = false;
  auto check_done = [&] {
    if (server_done && client_done) io.stop();
  };
  spawn(
      [&]() -> awaitable<void> {
        tls_stream s{co_await acceptor.async_accept(use_awaitable), server};
        co_await s.async_handshake(s.server, use_awaitable);
        co_await net::async_write(s, net::buffer(std::string_view{"ready"}), use_awaitable);
        std::array<char, 64> buffer{};
        std::size_t n = 0;
        std::tie(read_ec, n) = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
        const std::string big(1 << 20, 'x');  // more than the socket buffers hold
        std::tie(write_ec, n) = co_await net::async_write(s, net::buffer(big), as_tuple_awaitable);
      },
      [&] {
        server_done = true;
        check_done();
      });
  spawn(
      [&]() -> awaitable<void> {
        tls_stream s = co_await connect_client();
        co_await s.async_handshake(s.client, "localhost", use_awaitable);
        std::string ready(5, '\0');
        co_await net::async_read(s, net::buffer(ready), use_awaitable);
        // SO_LINGER with a zero timeout: close() sends RST, not FIN.
        s.lowest_layer().set_option(tcp::socket::linger{true, 0});
        s.lowest_layer().close();
      },
      [&] {
        client_done = true;
        check_done();
      });
  run_until_stopped(10s);
  EXPECT_EQ(read_ec, net::error::connection_reset) << read_ec.message();
  EXPECT_TRUE(write_ec == net::error::connection_reset || write_ec == net::error::broken_pipe)
      << write_ec.message();
}

ASIO_TEST_F(AsioServer, ClientStalledInTheHandshakeDoesNotHoldUpOthers) {
  constexpr int good_clients = 5;
  // The server sessions still in their handshake; the test gives up on the
  // stalled one, once the others are served, by cancelling its socket's
  // operations (which every Asio has, per-operation cancellation or not).
  std::list<tls_stream*> in_handshake;
  std::vector<error_code> handshakes;
  int good_done = 0;
  bool stalled_pending_when_others_done = false;
  error_code stalled_client_read;

  spawn([&]() -> awaitable<void> {
    for (int i = 0; i < good_clients + 1; ++i) {
      tls_stream s{co_await acceptor.async_accept(use_awaitable), server};
      spawn([&, s = std::move(s)]() mutable -> awaitable<void> {
        const auto entry = in_handshake.insert(in_handshake.end(), &s);
        auto [ec] = co_await s.async_handshake(s.server, as_tuple_awaitable);
        in_handshake.erase(entry);
        handshakes.push_back(ec);
        if (ec) co_return;  // the stream closes the socket
        std::array<char, 64> buffer{};
        auto [read_ec, n] = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
        if (!read_ec) co_await net::async_write(s, net::buffer(buffer.data(), n), use_awaitable);
      });
    }
  });

  // The slowloris: connects, sends the first 3 bytes of a record header, waits.
  tcp::socket stalled{io};
  stalled.connect(acceptor.local_endpoint());
  net::write(stalled, net::buffer(std::string_view{"\x16\x03\x01"}));
  spawn([&]() -> awaitable<void> {
    std::array<char, 16> buffer{};
    std::size_t n = 0;
    std::tie(stalled_client_read, n) =
        co_await stalled.async_read_some(net::buffer(buffer), as_tuple_awaitable);
    io.stop();
  });

  for (int i = 0; i < good_clients; ++i) {
    spawn(
        [&]() -> awaitable<void> {
          tls_stream s = co_await connect_client();
          co_await s.async_handshake(s.client, "localhost", use_awaitable);
          co_await net::async_write(s, net::buffer(std::string_view{"ping"}), use_awaitable);
          std::string pong(4, '\0');
          co_await net::async_read(s, net::buffer(pong), use_awaitable);
          EXPECT_EQ(pong, "ping");
        },
        [&] {
          if (++good_done < good_clients) return;
          // Everyone else was served; the stalled handshake is still waiting.
          stalled_pending_when_others_done =
              handshakes.size() == good_clients && in_handshake.size() == 1;
          for (tls_stream* s : in_handshake) s->lowest_layer().cancel();
        });
  }
  run_until_stopped(10s);

  EXPECT_EQ(good_done, good_clients);
  EXPECT_TRUE(stalled_pending_when_others_done);
  ASSERT_EQ(handshakes.size(), static_cast<std::size_t>(good_clients + 1));
  // The last handshake to end is the stalled one, abandoned by the test.
  EXPECT_EQ(handshakes.back(), net::error::operation_aborted) << handshakes.back().message();
  for (int i = 0; i < good_clients; ++i) EXPECT_FALSE(handshakes[static_cast<std::size_t>(i)]);
  // Abandoning it closed its socket: the slowloris sees the end.
  EXPECT_EQ(stalled_client_read, net::error::eof) << stalled_client_read.message();
}

}  // namespace
}  // namespace tlspp::test
