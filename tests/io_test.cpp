// The I/O calls at their edges: garbage and cut streams, close_notify versus
// truncation, empty buffers, calls in the wrong state.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "support/assertions.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

/// `n` deterministic pseudo-random bytes.
std::vector<std::byte> garbage(std::size_t n, unsigned seed) {
  std::mt19937 gen{seed};
  std::vector<std::byte> v(n);
  for (std::byte& b : v) b = static_cast<std::byte>(gen());
  return v;
}

/// The first call of `call` (retried while it wants I/O, a bounded number
/// of times) that does not want I/O.
template <class Call>
io_result until_settled(Call&& call) {
  io_result r;
  for (int i = 0; i < 100; ++i) {
    r = call();
    if (!r.want_io()) break;
  }
  return r;
}

/// A handshaken memory link.
struct connected_link : memory_link {
  connected_link() : memory_link{config{pki::client_options()}, config{pki::server_options()}} {
    EXPECT_TRUE(handshake()) << client_result.error << " / " << server_result.error;
  }
  /// One recv() on `conn` into a fresh buffer; the text lands in `text`.
  static io_result recv_text(connection& conn, std::string& text) {
    std::vector<std::byte> buf(4096);
    io_result r = conn.recv(buf);
    text.assign(reinterpret_cast<const char*>(buf.data()), r.bytes);
    return r;
  }
};

// 32 KiB of garbage: more than the longest record a header could announce,
// so the peer cannot wait for more of it.
constexpr std::size_t garbage_size = 32 * 1024;

TEST(Garbage, RandomBytesInsteadOfClientHelloFailTheServerHandshake) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  const auto noise = garbage(garbage_size, 1);
  link.to_server.pending().assign(noise.begin(), noise.end());
  const io_result r = until_settled([&] { return link.accepted.handshake(); });
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_TRUE(contains(r.error, "handshake: "));
  EXPECT_GT(r.error.size(), std::string_view{"handshake: "}.size());
}

TEST(Garbage, RandomBytesInsteadOfServerHelloFailTheClientHandshake) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_EQ(link.client.handshake().status, io_status::want_recv);
  const auto noise = garbage(garbage_size, 2);
  link.to_client.pending().assign(noise.begin(), noise.end());
  const io_result r = until_settled([&] { return link.client.handshake(); });
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_TRUE(contains(r.error, "handshake: "));
}

TEST(Garbage, RandomBytesAfterTheHandshakeFailRecv) {
  connected_link link;
  const auto noise = garbage(garbage_size, 3);
  link.to_server.pending().assign(noise.begin(), noise.end());
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_TRUE(contains(r.error, "recv: "));
}

TEST(Garbage, TamperedRecordFailsRecvAndDeliversNothing) {
  connected_link link;
  ASSERT_TRUE(link.client.send("attack at dawn").ok());
  std::vector<std::byte>& record = link.to_server.pending();
  ASSERT_GT(record.size(), 20u);
  record[record.size() / 2] ^= std::byte{0x01};
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_TRUE(contains(r.error, "recv: "));
}

TEST(Garbage, ClientHelloCutInHalfThenEndOfStreamFailsTheHandshake) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_EQ(link.client.handshake().status, io_status::want_recv);
  std::vector<std::byte>& hello = link.to_server.pending();
  ASSERT_GT(hello.size(), 100u);
  hello.resize(hello.size() / 2);
  link.to_server.eof = true;
  const io_result r = until_settled([&] { return link.accepted.handshake(); });
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_TRUE(contains(r.error, "handshake: "));
  EXPECT_FALSE(link.accepted.handshake_done());
}

TEST(EndOfStream, PeerVanishingWithoutCloseNotifyIsTruncatedNotClosed) {
  connected_link link;
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "all the data"), "all the data");
  link.to_server.eof = true;  // the client's process died: no close_notify
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::truncated) << r.error;
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_FALSE(r.error.empty());
}

TEST(EndOfStream, TruncationIsStickyAndKeepsItsReason) {
  connected_link link;
  link.to_server.eof = true;
  std::string text;
  const io_result first = connected_link::recv_text(link.accepted, text);
  ASSERT_EQ(first.status, io_status::truncated) << first.error;

  // libtls is not called again: the reason stays, no "...: Success".
  const io_result again = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(again.status, io_status::truncated) << again.error;
  EXPECT_EQ(again.error, first.error);
  const io_result send = link.accepted.send("too late");
  EXPECT_EQ(send.status, io_status::failed) << to_string(send.status);
  EXPECT_TRUE(contains(send.error, "send: connection unusable: " + first.error)) << send.error;
}

TEST(EndOfStream, TransportEndingMidHandshakeFailsTheHandshakeNotTheRead) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_EQ(link.client.handshake().status, io_status::want_recv);
  link.to_client.eof = true;  // the server vanished before answering
  std::byte buf[16];
  const io_result r = until_settled([&] { return link.client.recv(buf); });
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status) << ": " << r.error;
  EXPECT_TRUE(contains(r.error, "handshake: ")) << r.error;
  EXPECT_TRUE(contains(r.error, "the peer closed the transport")) << r.error;
  EXPECT_FALSE(link.client.handshake_done());
}

TEST(EndOfStream, StreamCutInsideARecordIsTruncated) {
  connected_link link;
  ASSERT_TRUE(link.client.send("a record cut in two").ok());
  std::vector<std::byte>& record = link.to_server.pending();
  record.resize(record.size() / 2);
  link.to_server.eof = true;
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::truncated) << to_string(r.status) << ": " << r.error;
  EXPECT_EQ(text, "");
}

TEST(EndOfStream, ClientCloseNotifyEndsServerRecvAsClosedAfterTheData) {
  connected_link link;
  ASSERT_TRUE(link.client.send("last words").ok());
  const io_result closing = link.client.close();
  ASSERT_TRUE(closing.ok()) << to_string(closing.status) << ": " << closing.error;

  std::string text;
  io_result r = connected_link::recv_text(link.accepted, text);
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
  EXPECT_EQ(text, "last words");
  r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::closed) << r.error;
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_TRUE(r.error.empty()) << r.error;
  // The server answers with its own close_notify.
  r = link.accepted.close();
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
  r = connected_link::recv_text(link.client, text);
  EXPECT_EQ(r.status, io_status::closed) << r.error;
}

TEST(EndOfStream, ServerCloseNotifyEndsClientRecvAsClosedAfterTheData) {
  connected_link link;
  ASSERT_TRUE(link.accepted.send("goodbye").ok());
  const io_result closing = link.accepted.close();
  ASSERT_TRUE(closing.ok()) << to_string(closing.status) << ": " << closing.error;

  std::string text;
  io_result r = connected_link::recv_text(link.client, text);
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
  EXPECT_EQ(text, "goodbye");
  r = connected_link::recv_text(link.client, text);
  EXPECT_EQ(r.status, io_status::closed) << r.error;
  EXPECT_TRUE(r.error.empty()) << r.error;
  // Closed stays closed.
  r = connected_link::recv_text(link.client, text);
  EXPECT_EQ(r.status, io_status::closed) << to_string(r.status) << ": " << r.error;
}

TEST(EndOfStream, CloseNotifyThenEndOfStreamIsStillClosed) {
  connected_link link;
  ASSERT_TRUE(link.client.close().ok());
  link.to_server.eof = true;  // the client also shut the transport down
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::closed) << to_string(r.status) << ": " << r.error;
}

TEST(Close, SecondCloseReturnsOkAndSendsNothing) {
  connected_link link;
  ASSERT_TRUE(link.client.close().ok());
  const std::size_t written = link.to_server.written;
  EXPECT_GT(written, 0u);
  const io_result again = link.client.close();
  EXPECT_TRUE(again.ok()) << to_string(again.status) << ": " << again.error;
  EXPECT_EQ(link.to_server.written, written);
}

TEST(Close, BeforeTheHandshakeSendsNothingAndEndsTheConnection) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  const io_result r = link.client.close();
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
  EXPECT_EQ(link.to_server.written, 0u) << "no session, so no close_notify to send";
  // Closed means closed: no handshake starts afterwards.
  std::vector<std::byte> buf(16);
  for (const io_result& later :
       {link.client.handshake(), link.client.send("x"), link.client.recv(buf)}) {
    EXPECT_EQ(later.status, io_status::failed) << to_string(later.status);
    EXPECT_TRUE(contains(later.error, "closed before the handshake completed"));
  }
  EXPECT_EQ(link.to_server.written, 0u);
  EXPECT_TRUE(link.client.close().ok());
}

TEST(EmptyBuffers, RecvIntoAnEmptyBufferIsOkWithZeroBytesAndNoIo) {
  connected_link link;
  ASSERT_TRUE(link.accepted.send("waiting").ok());
  const std::size_t queued = link.to_client.pending().size();
  const io_result r = link.client.recv(std::span<std::byte>{});
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(link.to_client.pending().size(), queued) << "the record must not be consumed";
  std::string text;
  ASSERT_TRUE(connected_link::recv_text(link.client, text).ok());
  EXPECT_EQ(text, "waiting");
}

TEST(EmptyBuffers, SendOfNothingIsOkWithZeroBytesAndSendsNothing) {
  connected_link link;
  const std::size_t written = link.to_server.written;
  io_result r = link.client.send(std::string_view{});
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.bytes, 0u);
  r = link.client.send(std::span<const std::byte>{});
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(link.to_server.written, written);
}

TEST(WrongState, IoOnAClientNeverConnectedFailsNotConnected) {
  client c{config{pki::client_options()}};
  std::vector<std::byte> buf(16);
  for (const io_result& r : {c.handshake(), c.recv(buf), c.send("data"), c.close()}) {
    EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
    EXPECT_TRUE(contains(r.error, "not connected"));
  }
  EXPECT_FALSE(c.handshake_done());
  EXPECT_THROW((void)c.info(), error);
}

TEST(WrongState, ConnectingTwiceThrowsAlreadyConnectedAndKeepsTheFirstConnection) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  byte_queue other_in;
  byte_queue other_out;
  queue_transport other{other_in, other_out};
  try {
    link.client.connect("localhost", other);
    FAIL() << "connect() twice did not throw";
  } catch (const error& e) {
    EXPECT_TRUE(contains(e.what(), "already connected"));
  }
  ASSERT_TRUE(link.handshake()) << link.client_result.error << " / " << link.server_result.error;
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "still here"), "still here");
  EXPECT_EQ(other_out.written, 0u);
}

/// Checks that `call` throws tlspp::error saying the object was moved from.
template <class Call>
AssertionResult throws_moved_from(Call&& call) {
  try {
    call();
    return AssertionFailure() << "no exception";
  } catch (const error& e) {
    return contains(e.what(), "moved from");
  }
}

TEST(WrongState, UsingAMovedFromClientThrows) {
  connected_link link;
  client moved_to = std::move(link.client);
  client& gone = link.client;
  std::vector<std::byte> buf(16);
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.handshake(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.recv(buf); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.send("x"); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.close(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.info(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.peer_cert_contains_name("localhost"); }));
  EXPECT_TRUE(throws_moved_from([&] { gone.connect("localhost", link.client_io); }));
  EXPECT_TRUE(throws_moved_from([&] { gone.reset(config{pki::client_options()}); }));
  EXPECT_FALSE(gone.handshake_done());
  EXPECT_EQ(gone.native_handle(), nullptr);
  // The moved-to client carries on.
  EXPECT_EQ(memory_link::pump(moved_to, link.accepted, "moved"), "moved");
}

TEST(WrongState, UsingAMovedFromConnectionOrServerThrows) {
  connected_link link;
  connection moved_to = std::move(link.accepted);
  std::vector<std::byte> buf(16);
  EXPECT_TRUE(throws_moved_from([&] { (void)link.accepted.recv(buf); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)link.accepted.send("x"); }));

  server moved_server = std::move(link.server);
  byte_queue in;
  byte_queue out;
  queue_transport io{in, out};
  EXPECT_TRUE(throws_moved_from([&] { (void)link.server.accept(io); }));
  EXPECT_EQ(link.server.native_handle(), nullptr);
  EXPECT_EQ(memory_link::pump(link.client, moved_to, "moved"), "moved");
}

}  // namespace
}  // namespace tlspp::test
