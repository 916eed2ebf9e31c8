// SPDX-License-Identifier: ISC
// How many socket calls tlspp::asio::stream makes: small records that
// arrived together take one read, a large record's body is read in place
// with the next header, and one send carries several records. The stream
// under test sits on a counting_stream over loopback TCP; every count is
// taken once all the bytes are queued in the socket, so it cannot flake.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "support/asio_loopback.hpp"
#include "support/counting_stream.hpp"
#include "support/payload.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

using namespace std::chrono_literals;
using net::awaitable;
using net::use_awaitable;
using counted_stream = tls_asio::stream<counting_stream<tcp::socket>>;

class AsioSocketCalls : public asio_loopback {
 protected:
  /// Runs `scenario(client, server)` on a connected, handshaken pair whose
  /// server side counts its socket calls, then stops the io_context.
  template <class Scenario>
  void run_pair(Scenario scenario) {
    spawn(
        [&]() -> awaitable<void> {
          tcp::socket socket{io};
          co_await socket.async_connect(acceptor.local_endpoint(), use_awaitable);
          tls_stream client{std::move(socket), client_conf};
          counted_stream server{co_await acceptor.async_accept(use_awaitable), this->server};
          co_await both(client.async_handshake(client.client, "localhost", use_awaitable),
                        server.async_handshake(server.server, use_awaitable));
          co_await scenario(client, server);
        },
        [this] { io.stop(); });
    run_until_stopped();
  }

  /// Waits until the socket under `s` holds at least `bytes` unread.
  static awaitable<void> queued(counted_stream& s, std::size_t bytes) {
    net::steady_timer pause{s.get_executor()};
    while (s.next_layer().lowest_layer().available() < bytes) {
      pause.expires_after(1ms);
      co_await pause.async_wait(use_awaitable);
    }
  }
};

}  // namespace

ASIO_TEST_F(AsioSocketCalls, SmallRecordsThatArrivedTogetherTakeFewReads) {
  constexpr std::size_t records = 100;
  const std::string message = pattern(64, 1);
  std::size_t reads = 0;
  run_pair([&](tls_stream& client, counted_stream& server) -> awaitable<void> {
    for (std::size_t i = 0; i < records; ++i) {
      co_await net::async_write(client, net::buffer(message), use_awaitable);
    }
    // A 64-byte record is at least 85 bytes of ciphertext.
    co_await queued(server, records * 85);
    const std::size_t before = server.next_layer().reads;
    std::string got(records * message.size(), '\0');
    co_await net::async_read(server, net::buffer(got), use_awaitable);
    reads = server.next_layer().reads - before;
    EXPECT_EQ(got.substr(0, 64), message);
  });
  // Without read-ahead each record costs two reads (its header, its body).
  EXPECT_LT(reads, records / 4);
  std::printf("[socket calls] %zu records of 64 B queued together: %zu reads\n", records, reads);
}

ASIO_TEST_F(AsioSocketCalls, LargeRecordsAreReadInPlaceOneReadEach) {
  constexpr std::size_t records = 3;
  const std::string data = pattern(records * 16384, 2);
  std::size_t reads = 0;
  std::size_t copied = 0;
  std::size_t in_place = 0;
  run_pair([&](tls_stream& client, counted_stream& server) -> awaitable<void> {
    // One 16 KiB write is one record.
    for (std::size_t i = 0; i < records; ++i) {
      co_await client.async_write_some(net::buffer(data.data() + i * 16384, 16384), use_awaitable);
    }
    co_await queued(server, data.size());
    const std::size_t before = server.next_layer().reads;
    const auto stats = server.transport().stats();
    std::string got(data.size(), '\0');
    co_await net::async_read(server, net::buffer(got), use_awaitable);
    reads = server.next_layer().reads - before;
    copied = server.transport().stats().received_copied - stats.received_copied;
    in_place = server.transport().stats().received_in_place - stats.received_in_place;
    EXPECT_TRUE(got == data);
  });
  // The first header reads ahead (the handshake's records were small), so
  // part of the first body is copied; every body after it lands in libtls's
  // buffer and brings the next record's header along: one read per record.
  EXPECT_LE(reads, records + 1);
  if (copied > 0 || in_place > 0) {  // a backend that changes buffers copies more
    EXPECT_LE(copied,
              memory_transport::read_ahead + records * memory_transport::record_header_size);
    EXPECT_GE(in_place, data.size() - memory_transport::read_ahead);
  }
  std::printf("[socket calls] %zu records of 16 KiB queued together: %zu reads, %zu B copied\n",
              records, reads, copied);
}

ASIO_TEST_F(AsioSocketCalls, OneWriteOfSeveralRecordsIsOneSend) {
  // 48 KiB is three records: libtls takes one per call, the stream gathers
  // them in its outbox and sends them at once.
  const std::string data = pattern(48 * 1024, 3);
  std::size_t sends = 0;
  std::size_t written = 0;
  spawn(
      [&]() -> awaitable<void> {
        tcp::socket socket{io};
        co_await socket.async_connect(acceptor.local_endpoint(), use_awaitable);
        // Room for the whole write in the kernel: one send takes it all.
        const int sndbuf = 1 << 20;
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        counted_stream client{std::move(socket), client_conf};
        tls_stream server{co_await acceptor.async_accept(use_awaitable), this->server};
        co_await both(client.async_handshake(client.client, "localhost", use_awaitable),
                      server.async_handshake(server.server, use_awaitable));
        const std::size_t before = client.next_layer().writes;
        written = co_await client.async_write_some(net::buffer(data), use_awaitable);
        sends = client.next_layer().writes - before;
        std::string got(written, '\0');
        co_await net::async_read(server, net::buffer(got), use_awaitable);
        EXPECT_TRUE(got == data.substr(0, written));
      },
      [this] { io.stop(); });
  run_until_stopped();
  EXPECT_EQ(written, data.size());
  EXPECT_EQ(sends, 1u);
}

}  // namespace tlspp::test
