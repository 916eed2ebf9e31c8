// SPDX-License-Identifier: ISC
// tlspp::asio::stream over real loopback TCP: completion tokens, composed
// operations, the zero-copy receive path, cancellation, end of stream and
// shutdown. Every scenario runs the io_context in the test thread under an
// asio::steady_timer deadline, so a bug fails the test instead of hanging it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "support/asio_loopback.hpp"
#include "support/backend.hpp"
#include "support/payload.hpp"
#include "support/pki.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

using namespace std::chrono_literals;
using net::awaitable;
using net::use_awaitable;

/// The loopback fixture with a server that accepts ALPN "http/1.1", and
/// scenarios that stop the io_context when they end.
class AsioStream : public asio_loopback {
 protected:
  AsioStream() : asio_loopback{server_options()} {}

  static config_options server_options() {
    config_options o = pki::server_options();
    o.alpn = {"http/1.1"};
    return o;
  }

  /// Runs the coroutine `scenario()` to its end; whatever else is still
  /// running then is dropped. (co_spawn keeps the callable, and so a
  /// lambda's captures, alive as long as its coroutine.)
  template <class Scenario>
  void run(Scenario scenario, std::chrono::seconds limit = 10s) {
    spawn(std::move(scenario), [this] { io.stop(); });
    run_until_stopped(limit);
  }

  /// Runs the coroutines `server_side()` and `client_side()` side by side
  /// until both have ended.
  template <class ServerSide, class ClientSide>
  void run_pair(ServerSide& server_side, ClientSide& client_side,
                std::chrono::seconds limit = 10s) {
    run([&]() -> awaitable<void> { co_await both(server_side(), client_side()); }, limit);
  }

  /// Accepts one connection and echoes it until the peer's close_notify,
  /// which it answers with its own.
  awaitable<void> echo_one() {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    std::array<char, 8192> buffer{};
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
      if (ec == net::error::eof) break;
      if (ec) throw system_error{ec, "echo read: " + s.last_error()};
      co_await net::async_write(s, net::buffer(buffer.data(), n), use_awaitable);
    }
    co_await s.async_shutdown(tls_asio::shutdown_mode::send_only, 5s, use_awaitable);
  }

  /// Runs the io_context until `f` is ready (bounded by `limit`).
  template <class Future>
  bool wait(Future& f, std::chrono::seconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (f.wait_for(0s) != std::future_status::ready && std::chrono::steady_clock::now() < end) {
      io.run_one_until(end);
    }
    return f.wait_for(0s) == std::future_status::ready;
  }
};

// ---------------------------------------------------------------------------
// Completion tokens

ASIO_TEST_F(AsioStream, HandshakeAndEchoWithCallbacks) {
  std::optional<tls_stream> server_side;
  std::optional<tls_stream> client_side;
  std::array<char, 64> server_buffer{};
  std::string reply(16, '\0');
  error_code client_ec;
  error_code server_ec;

  acceptor.async_accept([&](error_code ec, tcp::socket socket) {
    ASSERT_FALSE(ec) << ec.message();
    server_side.emplace(std::move(socket), server);
    server_side->async_handshake(tls_stream::server, [&](error_code ec) {
      server_ec = ec;
      if (ec) return;
      server_side->async_read_some(net::buffer(server_buffer), [&](error_code ec, std::size_t n) {
        server_ec = ec;
        if (ec) return;
        net::async_write(*server_side, net::buffer(server_buffer.data(), n),
                         [&](error_code ec, std::size_t) { server_ec = ec; });
      });
    });
  });

  tcp::socket socket{io};
  socket.async_connect(acceptor.local_endpoint(), [&](error_code ec) {
    ASSERT_FALSE(ec) << ec.message();
    client_side.emplace(std::move(socket), client_conf);
    client_side->async_handshake(tls_stream::client, "localhost", [&](error_code ec) {
      client_ec = ec;
      if (ec) return io.stop();
      net::async_write(*client_side, net::buffer(std::string_view{"hello, callbacks"}),
                       [&](error_code ec, std::size_t) {
                         client_ec = ec;
                         if (ec) return io.stop();
                         net::async_read(*client_side, net::buffer(reply),
                                         [&](error_code ec, std::size_t) {
                                           client_ec = ec;
                                           io.stop();
                                         });
                       });
    });
  });
  run_until_stopped();

  ASSERT_FALSE(client_ec) << client_ec.message() << ": " << client_side->last_error();
  EXPECT_FALSE(server_ec) << server_ec.message();
  EXPECT_EQ(reply, "hello, callbacks");
  const connection_info info = client_side->connection().info();
  // The newest version both sides have.
  EXPECT_EQ(info.version, get_backend_features().tls1_3 ? "TLSv1.3" : "TLSv1.2");
  ASSERT_TRUE(info.peer);
  EXPECT_EQ(info.peer->common_name, "localhost");
  EXPECT_EQ(server_side->connection().info().servername, "localhost");
}

ASIO_TEST_F(AsioStream, HandshakeAndEchoWithUseAwaitable) {
  spawn([this] { return echo_one(); });
  std::string reply(20, '\0');
  std::optional<connection_info> info;
  run([&]() -> awaitable<void> {
    config_options o = pki::client_options();
    o.alpn = {"h2", "http/1.1"};
    client_conf = config{o};
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    co_await net::async_write(s, net::buffer(std::string_view{"hello, use_awaitable"}),
                              use_awaitable);
    co_await net::async_read(s, net::buffer(reply), use_awaitable);
    info = s.connection().info();
    co_await s.async_shutdown(use_awaitable);
  });
  EXPECT_EQ(reply, "hello, use_awaitable");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->alpn, "http/1.1");
}

ASIO_TEST_F(AsioStream, HandshakeAndEchoWithDeferred) {
#if !TLSPP_TEST_HAS_DEFERRED
  GTEST_SKIP() << "this Asio (before 1.20, Boost 1.78) has no deferred completion token";
#else
  spawn([this] { return echo_one(); });
  std::optional<tls_stream> s;
  std::string reply(16, '\0');
  error_code result;
  tcp::socket socket{io};
  socket.connect(acceptor.local_endpoint());
  s.emplace(std::move(socket), client_conf);

  // Deferred operations are values: nothing starts until one is invoked.
  auto handshake = s->async_handshake(tls_stream::client, "localhost", TLSPP_TEST_DEFERRED);
  auto send =
      net::async_write(*s, net::buffer(std::string_view{"hello, deferred!"}), TLSPP_TEST_DEFERRED);
  auto receive = net::async_read(*s, net::buffer(reply), TLSPP_TEST_DEFERRED);
  std::move(handshake)([&](error_code ec) {
    result = ec;
    if (ec) return io.stop();
    std::move(send)([&](error_code ec, std::size_t) {
      result = ec;
      if (ec) return io.stop();
      std::move(receive)([&](error_code ec, std::size_t) {
        result = ec;
        io.stop();
      });
    });
  });
  run_until_stopped();
  ASSERT_FALSE(result) << result.message() << ": " << s->last_error();
  EXPECT_EQ(reply, "hello, deferred!");
#endif
}

ASIO_TEST_F(AsioStream, HandshakeAndEchoWithUseFuture) {
  spawn([this] { return echo_one(); });
  tcp::socket socket{io};
  socket.connect(acceptor.local_endpoint());
  tls_stream s{std::move(socket), client_conf};

  std::future<void> handshake = s.async_handshake(s.client, "localhost", net::use_future);
  ASSERT_TRUE(wait(handshake));
  ASSERT_NO_THROW(handshake.get()) << s.last_error();
  std::future<std::size_t> sent =
      net::async_write(s, net::buffer(std::string_view{"hello, use_future"}), net::use_future);
  ASSERT_TRUE(wait(sent));
  EXPECT_EQ(sent.get(), 17u);
  std::string reply(17, '\0');
  std::future<std::size_t> received = net::async_read(s, net::buffer(reply), net::use_future);
  ASSERT_TRUE(wait(received));
  EXPECT_EQ(received.get(), 17u);
  EXPECT_EQ(reply, "hello, use_future");
}

ASIO_TEST_F(AsioStream, BorrowedSocketStaysOpenAfterTheStreamIsGone) {
  spawn([this] { return echo_one(); });
  std::string reply(8, '\0');
  bool still_open = false;
  run([&]() -> awaitable<void> {
    tcp::socket socket{io};
    co_await socket.async_connect(acceptor.local_endpoint(), use_awaitable);
    {
      tls_asio::stream<tcp::socket&> s{socket, client_conf};
      co_await s.async_handshake(s.client, "localhost", use_awaitable);
      co_await net::async_write(s, net::buffer(std::string_view{"borrowed"}), use_awaitable);
      co_await net::async_read(s, net::buffer(reply), use_awaitable);
      co_await s.async_shutdown(use_awaitable);
    }
    still_open = socket.is_open();
  });
  EXPECT_EQ(reply, "borrowed");
  EXPECT_TRUE(still_open);
}

// ---------------------------------------------------------------------------
// Composition and the receive path

ASIO_TEST_F(AsioStream, ComposedReadWriteAndReadUntilWork) {
  std::string request_head;
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    std::string buffer;
    const std::size_t n =
        co_await net::async_read_until(s, net::dynamic_buffer(buffer), "\r\n\r\n", use_awaitable);
    request_head = buffer.substr(0, n);
    // Whatever came after the head belongs to the 1 MiB body; echo all of it.
    std::string body = buffer.substr(n);
    body.resize(1 << 20);
    co_await net::async_read(
        s, net::buffer(body.data() + (buffer.size() - n), body.size() - (buffer.size() - n)),
        use_awaitable);
    co_await net::async_write(s, net::buffer(body), use_awaitable);
  };

  const std::string body = pattern(1 << 20);
  std::string echoed(body.size(), '\0');
  auto client_side = [&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    co_await net::async_write(s, net::buffer(std::string_view{"PUT /x HTTP/1.1\r\n\r\n"}),
                              use_awaitable);
    co_await net::async_write(s, net::buffer(body), use_awaitable);
    co_await net::async_read(s, net::buffer(echoed), use_awaitable);
  };
  run_pair(server_side, client_side);
  EXPECT_EQ(request_head, "PUT /x HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(echoed == body) << "the 1 MiB echo differs";
}

ASIO_TEST_F(AsioStream, ReceivedCiphertextLandsInLibtlsBufferWithoutCopy) {
  const std::string data = pattern(1 << 20, 7);
  std::optional<memory_transport::statistics> server_stats;
  std::optional<memory_transport::statistics> client_stats;
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    std::string got(data.size(), '\0');
    co_await net::async_read(s, net::buffer(got), use_awaitable);
    co_await net::async_write(s, net::buffer(got), use_awaitable);
    server_stats = s.transport().stats();
  };
  auto client_side = [&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::string got(data.size(), '\0');
    co_await both(net::async_write(s, net::buffer(data), use_awaitable),
                  net::async_read(s, net::buffer(got), use_awaitable));
    EXPECT_TRUE(got == data);
    client_stats = s.transport().stats();
  };
  run_pair(server_side, client_side);
  ASSERT_TRUE(server_stats && client_stats);
  for (const auto& s : {*server_stats, *client_stats}) {
    // Every large record's body went from the socket into the buffer libtls
    // waited on, unless the backend changed buffers between retries (then
    // counted). What the stream copies is small: the handshake's records
    // and each record header, which come along with the previous read, and
    // at most one read-ahead (4 KiB) where the handshake's small records
    // give way to the data's large ones. One 16 KiB body copied would
    // already break the bound.
    EXPECT_GT(s.received_in_place + s.received_copied, data.size());
    if (s.buffer_changes == 0) {
      EXPECT_LT(s.received_copied, 16u * 1024);
      EXPECT_GT(s.received_in_place, data.size() - 16 * 1024);
    }
    std::printf("[asio receive path] in place %zu bytes, copied %zu, buffer changes %zu\n",
                s.received_in_place, s.received_copied, s.buffer_changes);
  }
}

ASIO_TEST_F(AsioStream, BlockingStreamTalksToAsyncPeer) {
  spawn([this] { return echo_one(); });
  const std::string message = pattern(100000, 3);
  std::string reply(message.size(), '\0');
  error_code after_shutdown;
  std::string failure;
  std::thread blocking_client{[&] {
    try {
      net::io_context client_io;
      tcp::socket socket{client_io};
      socket.connect(acceptor.local_endpoint());
      const timeval limit{10, 0};  // a broken test fails instead of blocking forever
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      tls_stream s{std::move(socket), client_conf};
      s.handshake(s.client, "localhost");
      net::write(s, net::buffer(message));
      net::read(s, net::buffer(reply));
      s.shutdown();
      std::array<char, 16> rest{};
      s.read_some(net::buffer(rest), after_shutdown);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    net::post(io, [this] { io.stop(); });
  }};
  run_until_stopped();
  blocking_client.join();
  EXPECT_EQ(failure, "");
  EXPECT_TRUE(reply == message);
  EXPECT_EQ(after_shutdown, net::error::eof) << after_shutdown.message();
}

ASIO_TEST_F(AsioStream, FullDuplexReadAndWriteInFlightAtOnce) {
  // Both ends send 4 MiB while receiving 4 MiB: neither could finish its
  // writes if its reads waited for them.
  const std::string to_server = pattern(4 << 20, 11);
  const std::string to_client = pattern(4 << 20, 12);
  std::string server_got(to_server.size(), '\0');
  std::string client_got(to_client.size(), '\0');
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    co_await both(net::async_write(s, net::buffer(to_client), use_awaitable),
                  net::async_read(s, net::buffer(server_got), use_awaitable));
  };
  auto client_side = [&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    co_await both(net::async_write(s, net::buffer(to_server), use_awaitable),
                  net::async_read(s, net::buffer(client_got), use_awaitable));
  };
  run_pair(server_side, client_side, 30s);
  EXPECT_EQ(first_difference(to_server, server_got), "");
  EXPECT_EQ(first_difference(to_client, client_got), "");
}

// ---------------------------------------------------------------------------
// Failures

ASIO_TEST_F(AsioStream, UntrustedCertificateFailsTheHandshakeWithLibtlsMessage) {
  error_code server_ec;
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    std::tie(server_ec) = co_await s.async_handshake(s.server, as_tuple_awaitable);
  };
  error_code client_ec;
  std::string message;
  auto client_side = [&]() -> awaitable<void> {
    config_options o;
    o.ca_file = pki::path("untrusted-ca.crt");
    client_conf = config{o};
    tls_stream s = co_await connect_client();
    std::tie(client_ec) = co_await s.async_handshake(s.client, "localhost", as_tuple_awaitable);
    message = s.last_error();
  };
  run_pair(server_side, client_side);
  EXPECT_EQ(client_ec, tls_asio::error::handshake_failed) << client_ec.message();
  EXPECT_TRUE(says_one_of(message, why::untrusted));
  // The client's alert fails the server's handshake; without one, the
  // client's hang-up does.
  if (backend_sends_fatal_alerts()) {
    EXPECT_EQ(server_ec, tls_asio::error::handshake_failed) << server_ec.message();
  } else {
    EXPECT_EQ(server_ec, errc::peer_closed_during_handshake) << server_ec.message();
  }
}

ASIO_TEST_F(AsioStream, HandshakeOfTheWrongRoleIsInvalidArgument) {
  spawn([&]() -> awaitable<void> { co_await acceptor.async_accept(use_awaitable); });
  error_code ec;
  run([&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    std::tie(ec) = co_await s.async_handshake(s.server, as_tuple_awaitable);
  });
  EXPECT_EQ(ec, net::error::invalid_argument) << ec.message();
}

// ---------------------------------------------------------------------------
// Cancellation

ASIO_TEST_F(AsioStream, CancelledHandshakeCompletesWithOperationAborted) {
#if !TLSPP_TEST_HAS_CANCELLATION
  GTEST_SKIP() << TLSPP_TEST_NO_CANCELLATION;
#else
  // The peer takes the ClientHello and never answers.
  tcp::socket silent_peer{io};
  std::array<char, 4096> hello{};
  net::cancellation_signal cancel;
  std::optional<error_code> result;
  acceptor.async_accept([&](error_code ec, tcp::socket socket) {
    ASSERT_FALSE(ec);
    silent_peer = std::move(socket);
    silent_peer.async_read_some(net::buffer(hello), [&](error_code ec, std::size_t n) {
      ASSERT_FALSE(ec);
      EXPECT_GT(n, 0u) << "no ClientHello";
      // The handshake is now waiting for the ServerHello: cancel it.
      cancel.emit(net::cancellation_type::terminal);
    });
  });
  tcp::socket socket{io};
  socket.connect(acceptor.local_endpoint());
  tls_stream s{std::move(socket), client_conf};
  s.async_handshake(s.client, "localhost",
                    net::bind_cancellation_slot(cancel.slot(), [&](error_code ec) {
                      result = ec;
                      io.stop();
                    }));
  run_until_stopped();
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, net::error::operation_aborted) << result->message();
  EXPECT_FALSE(s.connection().handshake_done());
#endif
}

ASIO_TEST_F(AsioStream, CancelledReadCompletesWithOperationAbortedAndStreamStaysUsable) {
  std::optional<tls_stream> server_side;
  error_code cancelled_read;
  std::string after;
  spawn([&]() -> awaitable<void> {
    server_side.emplace(co_await accept_server());
    co_await server_side->async_handshake(tls_stream::server, use_awaitable);
  });
  run([&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);

    // A read with nothing to read, cancelled while its socket read waits.
    std::array<char, 64> buffer{};
    net::steady_timer done{io, std::chrono::steady_clock::time_point::max()};
    auto read_done = [&](error_code ec, std::size_t) {
      cancelled_read = ec;
      done.cancel();
    };
#if TLSPP_TEST_HAS_CANCELLATION
    net::cancellation_signal cancel;
    s.async_read_some(net::buffer(buffer), net::bind_cancellation_slot(cancel.slot(), read_done));
    net::post(io, [&] { cancel.emit(net::cancellation_type::terminal); });
#else
    // No per-operation cancellation: the way left is to cancel the socket's
    // operations, which ends the read the same way.
    s.async_read_some(net::buffer(buffer), read_done);
    net::post(io, [&] { s.lowest_layer().cancel(); });
#endif
    co_await done.async_wait(as_tuple_awaitable);

    // The same stream still reads what the peer sends next.
    co_await net::async_write(*server_side, net::buffer(std::string_view{"still here"}),
                              use_awaitable);
    after.resize(10);
    co_await net::async_read(s, net::buffer(after), use_awaitable);
  });
  EXPECT_EQ(cancelled_read, net::error::operation_aborted) << cancelled_read.message();
  EXPECT_EQ(after, "still here");
}

ASIO_TEST_F(AsioStream, ReadRacedAgainstATimerIsCancelledByIt) {
#if !TLSPP_TEST_HAS_CANCELLATION
  GTEST_SKIP() << TLSPP_TEST_NO_CANCELLATION << " (nor awaitable operators to race with)";
#else
  using namespace net::experimental::awaitable_operators;
  std::optional<tls_stream> server_side;
  spawn([&]() -> awaitable<void> {
    server_side.emplace(co_await accept_server());
    co_await server_side->async_handshake(tls_stream::server, use_awaitable);
  });
  std::size_t winner = 0;
  run([&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::array<char, 64> buffer{};
    net::steady_timer timeout{io, 50ms};
    // The peer sends nothing: the timer wins and cancels the read.
    auto outcome = co_await (s.async_read_some(net::buffer(buffer), use_awaitable) ||
                             timeout.async_wait(use_awaitable));
    winner = outcome.index();
  });
  EXPECT_EQ(winner, 1u);
#endif
}

ASIO_TEST_F(AsioStream, DestroyingTheStreamAbortsItsRead) {
  spawn([&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    std::array<char, 16> buffer{};
    co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
  });
  std::optional<tls_stream> s;
  std::optional<error_code> result;
  std::array<char, 16> buffer{};
  run([&]() -> awaitable<void> {
    s.emplace(co_await connect_client());
    co_await s->async_handshake(tls_stream::client, "localhost", use_awaitable);
    net::steady_timer done{io, std::chrono::steady_clock::time_point::max()};
    s->async_read_some(net::buffer(buffer), [&](error_code ec, std::size_t) {
      result = ec;
      done.cancel();
    });
    s.reset();
    co_await done.async_wait(as_tuple_awaitable);
  });
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, net::error::operation_aborted) << result->message();
}

// ---------------------------------------------------------------------------
// End of stream

ASIO_TEST_F(AsioStream, ReadAfterPeerCloseNotifyIsEof) {
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    co_await net::async_write(s, net::buffer(std::string_view{"last words"}), use_awaitable);
    co_await s.async_shutdown(tls_asio::shutdown_mode::send_only, 5s, use_awaitable);
    s.next_layer().close();
  };
  std::string got;
  error_code first;
  error_code second;
  auto client_side = [&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::size_t n = 0;
    std::tie(first, n) = co_await net::async_read(s, net::dynamic_buffer(got), as_tuple_awaitable);
    std::array<char, 16> buffer{};
    std::tie(second, n) = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
  };
  run_pair(server_side, client_side);
  EXPECT_EQ(got, "last words");
  EXPECT_EQ(first, net::error::eof) << first.message();
  EXPECT_EQ(second, net::error::eof) << second.message();
}

ASIO_TEST_F(AsioStream, ReadAfterRawTcpCloseIsStreamTruncated) {
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    co_await net::async_write(s, net::buffer(std::string_view{"cut"}), use_awaitable);
    s.next_layer().close();  // no close_notify
  };
  std::string got;
  error_code ec;
  std::string message;
  auto client_side = [&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::size_t n = 0;
    std::tie(ec, n) = co_await net::async_read(s, net::dynamic_buffer(got), as_tuple_awaitable);
    message = s.last_error();
  };
  run_pair(server_side, client_side);
  EXPECT_EQ(got, "cut");
  EXPECT_EQ(ec, tls_asio::error::stream_truncated) << ec.message();
  EXPECT_NE(message.find("recv"), std::string::npos) << message;
}

ASIO_TEST_F(AsioStream, ShutdownAfterATruncatedReadReportsStreamTruncated) {
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    s.next_layer().close();  // no close_notify
  };
  error_code read_ec;
  error_code async_shutdown_ec;
  error_code blocking_shutdown_ec;
  auto client_side = [&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::array<char, 16> buffer{};
    std::size_t n = 0;
    std::tie(read_ec, n) = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
    std::tie(async_shutdown_ec) = co_await s.async_shutdown(as_tuple_awaitable);
    s.shutdown(blocking_shutdown_ec);
  };
  run_pair(server_side, client_side);
  EXPECT_EQ(read_ec, tls_asio::error::stream_truncated) << read_ec.message();
  // The cut is what ended the connection, not a protocol error.
  EXPECT_EQ(async_shutdown_ec, tls_asio::error::stream_truncated) << async_shutdown_ec.message();
  EXPECT_EQ(blocking_shutdown_ec, tls_asio::error::stream_truncated)
      << blocking_shutdown_ec.message();
}

// ---------------------------------------------------------------------------
// Shutdown

ASIO_TEST_F(AsioStream, ShutdownCompletesWhenThePeerAnswersCloseNotify) {
  spawn([this] { return echo_one(); });
  std::optional<error_code> result;
  run([&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::tie(result.emplace()) = co_await s.async_shutdown(as_tuple_awaitable);
  });
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result) << result->message();
}

ASIO_TEST_F(AsioStream, ShutdownGivesUpAtItsDeadlineWhenThePeerNeverAnswers) {
  std::optional<tls_stream> silent;  // handshakes, then neither reads nor answers
  spawn([&]() -> awaitable<void> {
    silent.emplace(co_await accept_server());
    co_await silent->async_handshake(tls_stream::server, use_awaitable);
  });
  std::optional<error_code> result;
  run([&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::tie(result.emplace()) = co_await s.async_shutdown(tls_asio::shutdown_mode::wait_for_peer,
                                                           200ms, as_tuple_awaitable);
  });
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, net::error::timed_out) << result->message();
}

ASIO_TEST_F(AsioStream, ShutdownAfterAHandshakeCancelledByItsDeadlineSucceedsAndSendsNothing) {
  // The peer takes the ClientHello and never answers; it records what else
  // arrives until the client's side of the TCP stream ends.
  std::vector<unsigned char> received;
  error_code peer_end;
  spawn([&]() -> awaitable<void> {
    tcp::socket peer = co_await acceptor.async_accept(use_awaitable);
    std::array<unsigned char, 4096> chunk{};
    for (;;) {
      auto [ec, n] = co_await peer.async_read_some(net::buffer(chunk), as_tuple_awaitable);
      received.insert(received.end(), chunk.begin(),
                      chunk.begin() + static_cast<std::ptrdiff_t>(n));
      if (ec) {
        peer_end = ec;
        break;
      }
    }
  });
  std::size_t winner = 0;
  std::optional<error_code> shutdown_ec;
  bool handshake_done = true;
  run([&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    net::steady_timer deadline{io, 100ms};
#if TLSPP_TEST_HAS_CANCELLATION
    using namespace net::experimental::awaitable_operators;
    auto outcome = co_await (s.async_handshake(s.client, "localhost", use_awaitable) ||
                             deadline.async_wait(use_awaitable));
    winner = outcome.index();
#else
    // No per-operation cancellation: the deadline cancels the socket's
    // operations instead, which ends the handshake the same way.
    deadline.async_wait([&](error_code ec) {
      if (!ec) s.lowest_layer().cancel();
    });
    auto [ec] = co_await s.async_handshake(s.client, "localhost", as_tuple_awaitable);
    winner = ec == net::error::operation_aborted ? 1 : 0;
#endif
    handshake_done = s.connection().handshake_done();
    std::tie(shutdown_ec.emplace()) = co_await s.async_shutdown(as_tuple_awaitable);
    // Wait for the peer to see the end of the client's side.
    net::steady_timer poll{io};
    while (!peer_end) {
      poll.expires_after(10ms);
      co_await poll.async_wait(use_awaitable);
    }
  });
  EXPECT_EQ(winner, 1u) << "the deadline should have cancelled the handshake";
  EXPECT_FALSE(handshake_done);
  ASSERT_TRUE(shutdown_ec);
  EXPECT_FALSE(*shutdown_ec) << shutdown_ec->message();
  // The peer got the ClientHello, one handshake record, and nothing after
  // it (no alert, no close_notify): then the end of the stream.
  EXPECT_EQ(peer_end, net::error::eof) << peer_end.message();
  ASSERT_GE(received.size(), 5u);
  EXPECT_EQ(received[0], 0x16);
  EXPECT_EQ(received.size(), 5u + (std::size_t{received[3]} << 8 | received[4]));
}

ASIO_TEST_F(AsioStream, ShutdownReportsTruncationWhenThePeerHangsUpWithoutCloseNotify) {
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    // Ends its side of the TCP connection, with no close_notify. (Reading
    // the client's close_notify through TLS first would not do: some
    // backends, BearSSL's among them, answer it on their own.) The socket
    // stays open for reading, so the client's close_notify meets no reset.
    s.next_layer().shutdown(tcp::socket::shutdown_send);
    std::array<char, 64> ignored{};
    for (;;) {
      auto [ec, n] =
          co_await s.next_layer().async_read_some(net::buffer(ignored), as_tuple_awaitable);
      if (ec) break;  // the client is gone
    }
  };
  std::optional<error_code> result;
  auto client_side = [&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::tie(result.emplace()) = co_await s.async_shutdown(as_tuple_awaitable);
  };
  run_pair(server_side, client_side);
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, tls_asio::error::stream_truncated) << result->message();
}

ASIO_TEST_F(AsioStream, ShutdownWhileAReadIsOutstandingCompletesBoth) {
  spawn([this] { return echo_one(); });
  error_code read_ec;
  error_code shutdown_ec;
  run([&]() -> awaitable<void> {
    tls_stream s = co_await connect_client();
    co_await s.async_handshake(s.client, "localhost", use_awaitable);
    std::array<char, 16> buffer{};
    auto reader = [&]() -> awaitable<void> {
      std::size_t n = 0;
      std::tie(read_ec, n) = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
    };
    auto closer = [&]() -> awaitable<void> {
      std::tie(shutdown_ec) = co_await s.async_shutdown(as_tuple_awaitable);
    };
    co_await both(reader(), closer());
  });
  EXPECT_EQ(read_ec, net::error::eof) << read_ec.message();
  EXPECT_FALSE(shutdown_ec) << shutdown_ec.message();
}

// ---------------------------------------------------------------------------
// A failed connection delivers its alert

ASIO_TEST_F(AsioStream, FailedConnectionDeliversItsAlertBeforeClosingWithPeerBytesUnread) {
  // TLS 1.2, so the alert's record type shows on the wire (TLS 1.3 hides it
  // in an application_data record).
  config_options o = server_options();
  o.protocols = "tlsv1.2";
  server = tlspp::server{config{o}};
  error_code server_ec;
  auto server_side = [&]() -> awaitable<void> {
    tls_stream s = co_await accept_server();
    co_await s.async_handshake(s.server, use_awaitable);
    std::array<char, 64> buffer{};
    std::size_t n = 0;
    std::tie(server_ec, n) = co_await s.async_read_some(net::buffer(buffer), as_tuple_awaitable);
  };  // the stream is destroyed there, as an application drops a failed one

  std::vector<unsigned char> after_garbage;
  error_code client_end;
  auto client_side = [&]() -> awaitable<void> {
    tcp::socket socket{io};
    co_await socket.async_connect(acceptor.local_endpoint(), use_awaitable);
    {
      tls_asio::stream<tcp::socket&> s{socket, client_conf};
      co_await s.async_handshake(s.client, "localhost", use_awaitable);
    }
    // Past TLS, onto the socket: an application_data record whose MAC
    // cannot verify, then 64 KiB the server will never read.
    std::vector<unsigned char> garbage(5 + 32 + (64 << 10), 0);
    garbage[0] = 0x17;
    garbage[1] = 0x03;
    garbage[2] = 0x03;
    garbage[4] = 32;
    co_await net::async_write(socket, net::buffer(garbage), use_awaitable);
    std::array<unsigned char, 4096> chunk{};
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(net::buffer(chunk), as_tuple_awaitable);
      after_garbage.insert(after_garbage.end(), chunk.begin(),
                           chunk.begin() + static_cast<std::ptrdiff_t>(n));
      if (ec) {
        client_end = ec;
        break;
      }
    }
    socket.close();  // ends the server's drain
  };
  run_pair(server_side, client_side);
  EXPECT_EQ(server_ec, tls_asio::error::protocol_error) << server_ec.message();
  // The alert record, then a clean end of stream: a reset instead would
  // show the server closed with the garbage unread, and could have
  // destroyed the alert on its way. A backend that sends no alerts must
  // still end the stream cleanly.
  if (backend_sends_fatal_alerts()) {
    ASSERT_FALSE(after_garbage.empty()) << "no alert, then " << client_end.message();
    EXPECT_EQ(after_garbage[0], 0x15) << "not an alert record";
  } else {
    EXPECT_TRUE(after_garbage.empty())
        << after_garbage.size() << " bytes, then " << client_end.message();
  }
  EXPECT_EQ(client_end, net::error::eof) << client_end.message();
}

// ---------------------------------------------------------------------------
// A moved-from stream

/// Whether `call` throws tlspp::error with errc::moved_from.
template <class Call>
::testing::AssertionResult throws_moved_from(Call call) {
  try {
    call();
  } catch (const tlspp::error& e) {
    if (e.code() == errc::moved_from) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "threw " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

ASIO_TEST_F(AsioStream, MovedFromStreamThrowsMovedFromFromEveryOperation) {
  tls_stream s{tcp::socket{io}, client_conf};
  tls_stream taker{std::move(s)};
  std::array<char, 8> buffer{};
  error_code ec;
  auto ignore = [](auto&&...) {};
  EXPECT_TRUE(throws_moved_from([&] { (void)s.get_executor(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)s.next_layer(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)s.lowest_layer(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)s.connection(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)s.transport(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)s.last_error(); }));
  EXPECT_TRUE(throws_moved_from([&] { s.async_handshake(s.client, "localhost", ignore); }));
  EXPECT_TRUE(throws_moved_from([&] { s.async_read_some(net::buffer(buffer), ignore); }));
  EXPECT_TRUE(throws_moved_from([&] { s.async_write_some(net::buffer(buffer), ignore); }));
  EXPECT_TRUE(throws_moved_from([&] { s.async_shutdown(ignore); }));
  EXPECT_TRUE(throws_moved_from([&] { s.handshake(s.client, "localhost", ec); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)s.read_some(net::buffer(buffer), ec); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)s.write_some(net::buffer(buffer), ec); }));
  EXPECT_TRUE(throws_moved_from([&] { s.shutdown(ec); }));
  // The stream it moved to works, and a moved-from stream can take a new one.
  EXPECT_FALSE(taker.connection().handshake_done());
  s = std::move(taker);
  EXPECT_FALSE(s.connection().handshake_done());
  EXPECT_TRUE(throws_moved_from([&] { (void)taker.connection(); }));
}

}  // namespace
}  // namespace tlspp::test
