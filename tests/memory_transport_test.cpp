// SPDX-License-Identifier: ISC
// The sans-I/O transport: queues the caller pumps, zero copy on receive.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "support/pki.hpp"
#include "tlspp/memory_transport.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

/// Moves what `from` has to send into `to` the way an event loop moves a
/// socket's bytes: when `to`'s connection waits for data (want_recv), read
/// straight into receive_buffer(), which is then libtls's own buffer.
/// Until then the bytes stay where they are, as in a socket's buffer.
std::size_t deliver(memory_transport& from, memory_transport& to) {
  std::size_t moved = 0;
  while (!from.to_send().empty() && to.read_pending()) {
    const auto out = from.to_send();
    const auto in = to.receive_buffer(out.size());
    const std::size_t n = std::min(out.size(), in.size());
    std::memcpy(in.data(), out.data(), n);
    to.commit_received(n);
    from.consume_sent(n);
    moved += n;
  }
  return moved;
}

struct pumped_pair {
  memory_transport client_io;
  memory_transport server_io;
  tlspp::server server;
  tlspp::server_connection accepted;
  tlspp::client client;

  explicit pumped_pair(std::size_t outbox_limit = 64 * 1024)
      : client_io{outbox_limit},
        server_io{outbox_limit},
        server{config{pki::server_options()}},
        accepted{server.accept(server_io)},
        client{config{pki::client_options()}} {
    client.connect("localhost", client_io);
  }

  /// One round of an event loop: run each side once, then move bytes.
  template <class ClientStep, class ServerStep>
  void run(ClientStep client_step, ServerStep server_step, int rounds = 100000) {
    for (int i = 0; i < rounds; ++i) {
      const bool client_done = client_step();
      const bool server_done = server_step();
      if (client_done && server_done) return;
      const std::size_t moved = deliver(client_io, server_io) + deliver(server_io, client_io);
      (void)moved;
    }
    FAIL() << "pumped pair did not finish";
  }

  void handshake() {
    run([&] { return check(client.handshake(), client); },
        [&] { return check(accepted.handshake(), accepted); });
  }

  bool check(const io_result& r, const connection& conn) {
    EXPECT_TRUE(r.ok() || r.want_io()) << to_string(r.status) << ": " << conn.error_message();
    return r.ok();
  }
};

std::string payload(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 + i / 977);
  return s;
}

/// Sends `data` from `from` and reads it at `to` through the pumped pair.
std::string transfer_through(pumped_pair& p, connection& from, connection& to,
                             const std::string& data) {
  std::string got;
  std::size_t sent = 0;
  std::vector<std::byte> buf(16384);
  auto sender = [&] {
    if (sent < data.size()) {
      const io_result r = from.send(std::string_view{data}.substr(sent));
      EXPECT_TRUE(r.ok() || r.want_io()) << from.error_message();
      if (r.ok()) sent += r.bytes;
    }
    return sent == data.size();
  };
  auto receiver = [&] {
    while (got.size() < data.size()) {
      const io_result r = to.recv(buf);
      EXPECT_TRUE(r.ok() || r.want_io()) << to_string(r.status) << " " << to.error_message();
      if (!r.ok()) break;
      got.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
    }
    return got.size() == data.size();
  };
  if (&from == &p.client) {
    p.run(sender, receiver);
  } else {
    p.run(receiver, sender);
  }
  return got;
}

TEST(MemoryTransport, ReceivedCiphertextLandsInLibtlsBufferWithoutCopy) {
  pumped_pair p;
  p.handshake();
  const std::string data = payload(1 << 20);
  EXPECT_EQ(transfer_through(p, p.client, p.accepted, data), data);
  EXPECT_EQ(transfer_through(p, p.accepted, p.client, data), data);

  // Every byte the pump delivered, handshake included, went into the
  // buffer libtls was waiting on: tlspp copied nothing on the receive path.
  // A backend that changes its buffer between retries gets its bytes
  // through the counted copy instead.
  for (const memory_transport* io : {&p.client_io, &p.server_io}) {
    const auto& s = io->stats();
    EXPECT_GT(s.received_in_place + s.received_copied, data.size());
    if (s.buffer_changes == 0) {
      EXPECT_EQ(s.received_copied, 0u);
    }
    std::printf("[receive path] in place %zu bytes, copied %zu bytes, buffer changes %zu\n",
                s.received_in_place, s.received_copied, s.buffer_changes);
  }
}

/// One socket read of an event loop that pays a system call per read: what
/// `from` has to send fills to.receive_buffers() in order, as readv would,
/// up to `max_read` bytes (a socket that has only that many yet).
std::size_t scatter_read(memory_transport& from, memory_transport& to,
                         std::size_t max_read = SIZE_MAX) {
  const memory_transport::receive_spans in = to.receive_buffers();
  std::size_t n = 0;
  for (const std::span<std::byte> part : {in.in_place, in.ahead}) {
    const auto out = from.to_send().subspan(n);
    const std::size_t k = std::min({out.size(), part.size(), max_read - n});
    if (k > 0) std::memcpy(part.data(), out.data(), k);  // an empty span may have no data()
    n += k;
  }
  to.commit_received(n);
  from.consume_sent(n);
  return n;
}

/// Receives `size` bytes at `to`, reading with scatter_read() whenever
/// libtls wants input; returns how many reads that took.
int receive_with_read_ahead(memory_transport& from, memory_transport& to, connection& receiver,
                            std::size_t size, std::size_t max_read = SIZE_MAX) {
  std::vector<std::byte> buf(16384);
  int reads = 0;
  for (std::size_t got = 0; got < size;) {
    const io_result r = receiver.recv(buf);
    if (r.ok()) {
      got += r.bytes;
      continue;
    }
    EXPECT_EQ(r.status, io_status::want_recv) << receiver.error_message();
    if (r.status != io_status::want_recv || from.to_send().empty()) return -1;
    scatter_read(from, to, max_read);
    ++reads;
  }
  return reads;
}

TEST(MemoryTransport, SmallRecordsQueuedTogetherTakeOneReadWithReadAhead) {
  pumped_pair p;
  p.handshake();
  constexpr int records = 20;
  const std::string message(64, 'm');
  for (int i = 0; i < records; ++i) ASSERT_TRUE(p.client.send(message).ok());

  // libtls first asks for a 5-byte header; the read brings every record.
  EXPECT_EQ(receive_with_read_ahead(p.client_io, p.server_io, p.accepted, records * 64), 1);
}

TEST(MemoryTransport, LargeRecordBodiesLandInPlaceWithReadAhead) {
  pumped_pair p{1 << 20};
  p.handshake();
  constexpr int records = 8;
  const std::string chunk = payload(16384);
  for (int i = 0; i < records; ++i) ASSERT_TRUE(p.client.send(chunk).ok());
  const auto before = p.server_io.stats();

  const int reads =
      receive_with_read_ahead(p.client_io, p.server_io, p.accepted, records * chunk.size());
  // The first header's read reads ahead (the handshake's records were
  // small) and so copies part of the first body; every later body lands in
  // place and brings the next header along: one read per record.
  EXPECT_LE(reads, records + 1);
  const auto& after = p.server_io.stats();
  EXPECT_LE(after.received_copied - before.received_copied,
            memory_transport::read_ahead + records * memory_transport::record_header_size);
  EXPECT_GE(after.received_in_place - before.received_in_place,
            records * chunk.size() - memory_transport::read_ahead);
  std::printf("[read ahead] %d records of 16 KiB: %d reads, %zu bytes copied\n", records, reads,
              after.received_copied - before.received_copied);
}

TEST(MemoryTransport, RecordHeadersSplitAcrossReadsAreFollowedLikeWholeOnes) {
  // The transport follows the record headers to size its read-ahead: after
  // a large record a header's read brings nothing along (the next body will
  // land in place), after a small one it reads ahead. A header cut at any
  // byte must leave it where a whole one would.
  const std::string large = payload(16384);
  for (std::size_t max_read = 1; max_read <= 7; ++max_read) {
    SCOPED_TRACE("reads of at most " + std::to_string(max_read) + " bytes");
    for (const bool last_is_large : {true, false}) {
      SCOPED_TRACE(last_is_large ? "the last record was large" : "the last record was small");
      pumped_pair p{1 << 20};
      p.handshake();
      std::vector<std::string> records{payload(64), large, payload(65), large, payload(66)};
      if (last_is_large) records.push_back(large);
      std::size_t sent = 0;
      for (const std::string& r : records) {
        ASSERT_TRUE(p.client.send(r).ok());
        sent += r.size();
      }
      ASSERT_GT(receive_with_read_ahead(p.client_io, p.server_io, p.accepted, sent, max_read), 0);

      ASSERT_TRUE(p.client.send(large).ok());
      const auto before = p.server_io.stats();
      ASSERT_EQ(receive_with_read_ahead(p.client_io, p.server_io, p.accepted, large.size()), 2);
      const std::size_t copied = p.server_io.stats().received_copied - before.received_copied;
      if (last_is_large) {
        EXPECT_EQ(copied, 0u);
      } else {
        EXPECT_EQ(copied, memory_transport::read_ahead);
      }
    }
  }
}

TEST(MemoryTransport, BufferChangeBetweenRetriesFallsBackToACopy) {
  pumped_pair p;
  p.handshake();
  // Make the server's next in-place retry look like libtls moved buffers.
  std::vector<std::byte> buf(64);
  ASSERT_EQ(p.accepted.recv(buf).status, io_status::want_recv);
  ASSERT_TRUE(p.server_io.read_pending());
  p.server_io.simulate_buffer_change_for_testing();
  ASSERT_TRUE(p.client.send(std::string_view{"through the fallback"}).ok());
  deliver(p.client_io, p.server_io);

  std::string got;
  for (int i = 0; i < 100 && got.size() < 20; ++i) {
    const io_result r = p.accepted.recv(buf);
    ASSERT_TRUE(r.ok() || r.want_io()) << p.accepted.error_message();
    if (r.ok()) got.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
    deliver(p.client_io, p.server_io);
  }
  EXPECT_EQ(got, "through the fallback");
  EXPECT_EQ(p.server_io.stats().buffer_changes, 1u);
  EXPECT_GT(p.server_io.stats().received_copied, 0u);
}

TEST(MemoryTransport, CopyingReceiveFormWorksToo) {
  pumped_pair p;
  // Deliver with receive(): the simple form, every byte copied once.
  auto deliver_copying = [](memory_transport& from, memory_transport& to) {
    const auto out = from.to_send();
    to.receive(out);
    from.consume_sent(out.size());
  };
  for (int i = 0; i < 100 && !(p.client.handshake_done() && p.accepted.handshake_done()); ++i) {
    ASSERT_FALSE(p.client.handshake().status == io_status::failed);
    ASSERT_FALSE(p.accepted.handshake().status == io_status::failed);
    deliver_copying(p.client_io, p.server_io);
    deliver_copying(p.server_io, p.client_io);
  }
  ASSERT_TRUE(p.client.handshake_done() && p.accepted.handshake_done());
  EXPECT_EQ(p.server_io.stats().received_in_place, 0u);
  EXPECT_GT(p.server_io.stats().received_copied, 0u);
}

TEST(MemoryTransport, FullOutboxAnswersWantSendUntilDrained) {
  pumped_pair p{1024};
  p.handshake();
  const std::string data = payload(20000);
  const io_result first = p.client.send(data);
  // 20000 bytes of plaintext cannot fit a 1 KiB outbox in one go.
  ASSERT_TRUE(first.status == io_status::want_send || (first.ok() && first.bytes < data.size()))
      << to_string(first.status);
  EXPECT_LE(p.client_io.to_send().size(), 1024u + 0u);
  EXPECT_EQ(transfer_through(p, p.client, p.accepted, data), data);
}

TEST(MemoryTransport, EndOfStreamWithoutCloseNotifyIsTruncation) {
  pumped_pair p;
  p.handshake();
  p.server_io.receive_end_of_stream();
  std::vector<std::byte> buf(64);
  const io_result r = p.accepted.recv(buf);
  EXPECT_EQ(r.status, io_status::truncated) << p.accepted.error_message();
  EXPECT_EQ(p.accepted.error_code(), errc::truncated);
}

TEST(MemoryTransport, CloseNotifyThenEndOfStreamIsClean) {
  pumped_pair p;
  p.handshake();
  ASSERT_TRUE(p.client.close().ok());
  std::vector<std::byte> buf(64);
  io_result r = p.accepted.recv(buf);
  for (int i = 0; i < 10 && r.want_io(); ++i) {
    deliver(p.client_io, p.server_io);
    // The client's socket closes once its close_notify is on the wire.
    if (p.client_io.to_send().empty()) p.server_io.receive_end_of_stream();
    r = p.accepted.recv(buf);
  }
  EXPECT_EQ(r.status, io_status::closed) << p.accepted.error_message();
}

TEST(MemoryTransport, CommittingMoreThanTheBufferHeldIsAnError) {
  memory_transport io;
  const auto space = io.receive_buffer(16);
  EXPECT_THROW(io.commit_received(space.size() + 1), tlspp::error);
  EXPECT_THROW(io.consume_sent(1), tlspp::error);
  const auto spans = io.receive_buffers();
  EXPECT_THROW(io.commit_received(spans.in_place.size() + spans.ahead.size() + 1), tlspp::error);
}

TEST(MemoryTransport, ZeroLimitIsRefusedAndTheLimitIsReachedExactly) {
  try {
    const memory_transport nothing_could_be_sent{0};
    ADD_FAILURE() << "memory_transport{0} was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
  }
  // The outbox takes bytes until it holds the limit, then wants to send.
  memory_transport io{10};
  const std::vector<std::byte> data(25, std::byte{7});
  EXPECT_EQ(io.write(std::span{data}.first(4)), transfer::bytes(4));
  EXPECT_EQ(io.write(data), transfer::bytes(6));
  EXPECT_EQ(io.to_send().size(), 10u);
  EXPECT_EQ(io.write(data), transfer::want_send());
  io.consume_sent(1);
  EXPECT_EQ(io.write(data), transfer::bytes(1));
}

/// The ways a connection can leave a memory_transport while libtls waits
/// for bytes in its own buffer.
enum class goes_away { client_destroyed, client_reset, server_connection_destroyed };

TEST(MemoryTransport, ConnectionGoneWhileWaitingLeavesNoBufferOfLibtlsBehind) {
  for (const goes_away how : {goes_away::client_destroyed, goes_away::client_reset,
                              goes_away::server_connection_destroyed}) {
    SCOPED_TRACE(static_cast<int>(how));
    memory_transport io;
    server srv{config{pki::server_options()}};
    std::optional<client> c;
    std::optional<server_connection> s;
    if (how == goes_away::server_connection_destroyed) {
      s.emplace(srv.accept(io));
      ASSERT_EQ(s->handshake().status, io_status::want_recv);
    } else {
      c.emplace(config{pki::client_options()});
      c->connect("localhost", io);
      ASSERT_EQ(c->handshake().status, io_status::want_recv);
    }
    ASSERT_TRUE(io.read_pending()) << "libtls waits in its own buffer";

    switch (how) {
      case goes_away::client_destroyed:
        c.reset();
        break;
      case goes_away::client_reset:
        c->reset(config{pki::client_options()});
        break;
      case goes_away::server_connection_destroyed:
        s.reset();
        break;
    }
    EXPECT_FALSE(io.read_pending());
    // What the socket delivers now lands in the transport's own inbox,
    // where a read finds it (ASan would see a write to freed memory).
    const std::string arriving = "bytes from the socket";
    const std::span<std::byte> room = io.receive_buffer(arriving.size());
    ASSERT_GE(room.size(), arriving.size());
    std::memcpy(room.data(), arriving.data(), arriving.size());
    io.commit_received(arriving.size());
    std::vector<std::byte> out(64);
    ASSERT_EQ(io.read(out), transfer::bytes(arriving.size()));
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(out.data()), arriving.size()),
              arriving);
  }
}

TEST(MemoryTransport, ResetForgetsEverythingAndServesTheNextConnection) {
  memory_transport client_io;
  memory_transport server_io;
  server srv{config{pki::server_options()}};
  {
    // A first connection leaves a ClientHello in the outbox, libtls's
    // buffer pending, stray bytes in the inbox and the end of the stream.
    client first{config{pki::client_options()}};
    first.connect("localhost", client_io);
    ASSERT_EQ(first.handshake().status, io_status::want_recv);
  }
  client_io.receive(std::as_bytes(std::span{"stale", 5}));
  client_io.receive_end_of_stream();
  ASSERT_FALSE(client_io.to_send().empty());

  client_io.reset();
  EXPECT_TRUE(client_io.to_send().empty());
  EXPECT_FALSE(client_io.read_pending());
  EXPECT_EQ(client_io.stats().sent_copied, 0u);
  EXPECT_EQ(client_io.stats().received_copied, 0u);
  std::vector<std::byte> out(16);
  EXPECT_EQ(client_io.read(out), transfer::want_recv()) << "neither bytes nor end of stream";
  client_io.reset();  // that read left `out` pending, as libtls's buffer

  // A second connection over it handshakes: nothing of the first reaches the server.
  client second{config{pki::client_options()}};
  second.connect("localhost", client_io);
  server_connection accepted = srv.accept(server_io);
  for (int i = 0; i < 100 && !(second.handshake_done() && accepted.handshake_done()); ++i) {
    ASSERT_NE(second.handshake().status, io_status::failed) << second.error_message();
    ASSERT_NE(accepted.handshake().status, io_status::failed) << accepted.error_message();
    deliver(client_io, server_io);
    deliver(server_io, client_io);
  }
  EXPECT_TRUE(second.handshake_done() && accepted.handshake_done());
}

}  // namespace
}  // namespace tlspp::test
