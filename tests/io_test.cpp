// SPDX-License-Identifier: ISC
// The I/O calls at their edges: garbage and cut streams, close_notify versus
// truncation, empty buffers, calls in the wrong state.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/assertions.hpp"
#include "support/backend.hpp"
#include "support/memory_link.hpp"
#include "support/openssl_server.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

// A result is two words a caller copies freely; why a call failed lives on
// the connection.
static_assert(std::is_trivially_copyable_v<io_result>);
static_assert(sizeof(io_result) <= 2 * sizeof(std::size_t));

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
    EXPECT_TRUE(handshake()) << describe();
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
  EXPECT_EQ(link.accepted.error_code(), errc::handshake_failed) << link.accepted.error_message();
  EXPECT_TRUE(contains(link.accepted.error_message(), "handshake: "));
  EXPECT_GT(link.accepted.error_message().size(), std::string_view{"handshake: "}.size());
}

TEST(Garbage, RandomBytesInsteadOfServerHelloFailTheClientHandshake) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_EQ(link.client.handshake().status, io_status::want_recv);
  const auto noise = garbage(garbage_size, 2);
  link.to_client.pending().assign(noise.begin(), noise.end());
  const io_result r = until_settled([&] { return link.client.handshake(); });
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(link.client.error_code(), errc::handshake_failed) << link.client.error_message();
  EXPECT_TRUE(contains(link.client.error_message(), "handshake: "));
}

TEST(Garbage, RandomBytesAfterTheHandshakeFailRecv) {
  connected_link link;
  const auto noise = garbage(garbage_size, 3);
  link.to_server.pending().assign(noise.begin(), noise.end());
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(link.accepted.error_code(), errc::protocol_error) << link.accepted.error_message();
  EXPECT_TRUE(contains(link.accepted.error_message(), "recv: "));
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
  EXPECT_EQ(link.accepted.error_code(), errc::protocol_error) << link.accepted.error_message();
  EXPECT_TRUE(contains(link.accepted.error_message(), "recv: "));
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
  EXPECT_EQ(link.accepted.error_code(), errc::peer_closed_during_handshake)
      << link.accepted.error_message();
  EXPECT_TRUE(contains(link.accepted.error_message(), "handshake: "));
  EXPECT_FALSE(link.accepted.handshake_done());
}

TEST(EndOfStream, PeerVanishingWithoutCloseNotifyIsTruncatedNotClosed) {
  connected_link link;
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "all the data"), "all the data");
  link.to_server.eof = true;  // the client's process died: no close_notify
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::truncated) << link.accepted.error_message();
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(link.accepted.error_code(), errc::truncated);
  EXPECT_FALSE(link.accepted.error_message().empty());
}

TEST(EndOfStream, TruncationIsStickyAndKeepsItsReason) {
  connected_link link;
  link.to_server.eof = true;
  std::string text;
  const io_result first = connected_link::recv_text(link.accepted, text);
  ASSERT_EQ(first.status, io_status::truncated) << link.accepted.error_message();
  const std::string reason = link.accepted.error_message();

  // libtls is not called again: the reason stays, no "...: Success".
  const io_result again = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(again.status, io_status::truncated) << link.accepted.error_message();
  EXPECT_EQ(link.accepted.error_message(), reason);
  const io_result send = link.accepted.send("too late");
  EXPECT_EQ(send.status, io_status::failed) << to_string(send.status);
  EXPECT_EQ(link.accepted.error_code(), errc::truncated);
  EXPECT_EQ(link.accepted.error_message(), reason);
}

TEST(EndOfStream, TransportEndingMidHandshakeFailsTheHandshakeNotTheRead) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_EQ(link.client.handshake().status, io_status::want_recv);
  link.to_client.eof = true;  // the server vanished before answering
  std::byte buf[16];
  const io_result r = until_settled([&] { return link.client.recv(buf); });
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(link.client.error_code(), errc::peer_closed_during_handshake)
      << link.client.error_message();
  EXPECT_TRUE(contains(link.client.error_message(), "handshake: "));
  EXPECT_TRUE(contains(link.client.error_message(), "the peer closed the transport"));
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
  EXPECT_EQ(r.status, io_status::truncated)
      << to_string(r.status) << ": " << link.accepted.error_message();
  EXPECT_EQ(link.accepted.error_code(), errc::truncated);
  EXPECT_EQ(text, "");
}

TEST(EndOfStream, ClientCloseNotifyEndsServerRecvAsClosedAfterTheData) {
  connected_link link;
  ASSERT_TRUE(link.client.send("last words").ok());
  const io_result closing = link.client.close();
  ASSERT_TRUE(closing.ok()) << to_string(closing.status) << ": " << link.client.error_message();

  std::string text;
  io_result r = connected_link::recv_text(link.accepted, text);
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << link.accepted.error_message();
  EXPECT_EQ(text, "last words");
  r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::closed) << link.accepted.error_message();
  EXPECT_EQ(r.bytes, 0u);
  // A clean close is not an error.
  EXPECT_FALSE(link.accepted.error_code()) << link.accepted.error_message();
  EXPECT_TRUE(link.accepted.error_message().empty()) << link.accepted.error_message();
  // The server answers with its own close_notify.
  r = link.accepted.close();
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << link.accepted.error_message();
  r = connected_link::recv_text(link.client, text);
  EXPECT_EQ(r.status, io_status::closed) << link.client.error_message();
}

TEST(EndOfStream, ServerCloseNotifyEndsClientRecvAsClosedAfterTheData) {
  connected_link link;
  ASSERT_TRUE(link.accepted.send("goodbye").ok());
  const io_result closing = link.accepted.close();
  ASSERT_TRUE(closing.ok()) << to_string(closing.status) << ": " << link.accepted.error_message();

  std::string text;
  io_result r = connected_link::recv_text(link.client, text);
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << link.client.error_message();
  EXPECT_EQ(text, "goodbye");
  r = connected_link::recv_text(link.client, text);
  EXPECT_EQ(r.status, io_status::closed) << link.client.error_message();
  EXPECT_FALSE(link.client.error_code()) << link.client.error_message();
  // Closed stays closed.
  r = connected_link::recv_text(link.client, text);
  EXPECT_EQ(r.status, io_status::closed)
      << to_string(r.status) << ": " << link.client.error_message();
}

TEST(EndOfStream, CloseNotifyThenEndOfStreamIsStillClosed) {
  connected_link link;
  ASSERT_TRUE(link.client.close().ok());
  link.to_server.eof = true;  // the client also shut the transport down
  std::string text;
  const io_result r = connected_link::recv_text(link.accepted, text);
  EXPECT_EQ(r.status, io_status::closed)
      << to_string(r.status) << ": " << link.accepted.error_message();
}

TEST(Close, SecondCloseReturnsOkAndSendsNothing) {
  connected_link link;
  ASSERT_TRUE(link.client.close().ok());
  const std::size_t written = link.to_server.written;
  EXPECT_GT(written, 0u);
  const io_result again = link.client.close();
  EXPECT_TRUE(again.ok()) << to_string(again.status) << ": " << link.client.error_message();
  EXPECT_EQ(link.to_server.written, written);
}

TEST(Close, BeforeTheHandshakeSendsNothingAndEndsTheConnection) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  const io_result r = link.client.close();
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << link.client.error_message();
  EXPECT_EQ(link.to_server.written, 0u) << "no session, so no close_notify to send";
  // Closed means closed: no handshake starts afterwards.
  std::vector<std::byte> buf(16);
  for (const io_result& later :
       {link.client.handshake(), link.client.send("x"), link.client.recv(buf)}) {
    EXPECT_EQ(later.status, io_status::failed) << to_string(later.status);
    EXPECT_EQ(link.client.error_code(), errc::closed_before_handshake);
    EXPECT_TRUE(contains(link.client.error_message(), "closed before the handshake completed"));
  }
  EXPECT_EQ(link.to_server.written, 0u);
  EXPECT_TRUE(link.client.close().ok());
}

TEST(Close, MidHandshakeSendsNothingSucceedsAndEndsTheConnection) {
  for (const bool client_closes : {true, false}) {
    SCOPED_TRACE(client_closes ? "the client closes" : "the server closes");
    memory_link link{config{pki::client_options()}, config{pki::server_options()}};
    // Begun on both sides: the ClientHello went out, the server answered.
    ASSERT_EQ(link.client.handshake().status, io_status::want_recv);
    ASSERT_EQ(link.accepted.handshake().status, io_status::want_recv);
    connection& closer = client_closes ? static_cast<connection&>(link.client) : link.accepted;
    const byte_queue& outgoing = client_closes ? link.to_server : link.to_client;
    const std::size_t written = outgoing.written;

    const io_result r = closer.close();
    EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << closer.error_message();
    EXPECT_EQ(outgoing.written, written) << "no session yet, so no close_notify to send";
    std::vector<std::byte> buf(16);
    for (const io_result& later : {closer.handshake(), closer.send("x"), closer.recv(buf)}) {
      EXPECT_EQ(later.status, io_status::failed) << to_string(later.status);
      EXPECT_EQ(closer.error_code(), errc::closed_before_handshake) << closer.error_message();
    }
    EXPECT_FALSE(closer.handshake_done());
    EXPECT_EQ(outgoing.written, written);
    const io_result again = closer.close();
    EXPECT_TRUE(again.ok()) << to_string(again.status) << ": " << closer.error_message();
  }
}

TEST(EmptyBuffers, AfterTruncationRecvOfNothingRepeatsTruncatedAndSendOfNothingFails) {
  connected_link link;
  link.to_server.eof = true;
  std::string text;
  ASSERT_EQ(connected_link::recv_text(link.accepted, text).status, io_status::truncated);
  EXPECT_EQ(link.accepted.recv(std::span<std::byte>{}).status, io_status::truncated);
  EXPECT_EQ(link.accepted.send(std::string_view{}).status, io_status::failed);
  EXPECT_EQ(link.accepted.error_code(), errc::truncated);
}

TEST(EmptyBuffers, OnAFailedConnectionEveryCallWithNothingFails) {
  connected_link link;
  const auto noise = garbage(garbage_size, 4);
  link.to_server.pending().assign(noise.begin(), noise.end());
  std::string text;
  ASSERT_EQ(connected_link::recv_text(link.accepted, text).status, io_status::failed);
  const std::error_code why = link.accepted.error_code();
  EXPECT_EQ(link.accepted.send(std::string_view{}).status, io_status::failed);
  EXPECT_EQ(link.accepted.send(std::span<const std::byte>{}).status, io_status::failed);
  EXPECT_EQ(link.accepted.recv(std::span<std::byte>{}).status, io_status::failed);
  EXPECT_EQ(link.accepted.error_code(), why) << "the first failure stays the reason";
}

TEST(EmptyBuffers, AfterCloseNotifyRecvOfNothingRepeatsClosed) {
  connected_link link;
  ASSERT_TRUE(link.client.close().ok());
  std::string text;
  ASSERT_EQ(connected_link::recv_text(link.accepted, text).status, io_status::closed);
  EXPECT_EQ(link.accepted.recv(std::span<std::byte>{}).status, io_status::closed);
  EXPECT_FALSE(link.accepted.error_code());
}

TEST(EmptyBuffers, RecvIntoAnEmptyBufferIsOkWithZeroBytesAndNoIo) {
  connected_link link;
  ASSERT_TRUE(link.accepted.send("waiting").ok());
  const std::size_t queued = link.to_client.pending().size();
  const io_result r = link.client.recv(std::span<std::byte>{});
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << link.client.error_message();
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
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << link.client.error_message();
  EXPECT_EQ(r.bytes, 0u);
  r = link.client.send(std::span<const std::byte>{});
  EXPECT_TRUE(r.ok()) << to_string(r.status) << ": " << link.client.error_message();
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(link.to_server.written, written);
}

TEST(WrongState, IoOnAClientNeverConnectedFailsNotConnected) {
  client c{config{pki::client_options()}};
  std::vector<std::byte> buf(16);
  for (const io_result& r : {c.handshake(), c.recv(buf), c.send("data"), c.close()}) {
    EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
    EXPECT_EQ(c.error_code(), errc::misuse);
    EXPECT_TRUE(contains(c.error_message(), "not connected"));
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
    EXPECT_EQ(e.code(), errc::misuse);
    EXPECT_TRUE(contains(e.what(), "already connected"));
  }
  ASSERT_TRUE(link.handshake()) << link.describe();
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
    if (e.code() != errc::moved_from) return AssertionFailure() << "code " << e.code().message();
    return contains(e.what(), "moved from");
  }
}

TEST(WrongState, UsingAMovedFromClientThrows) {
  connected_link link;
  client moved_to = std::move(link.client);
  client& gone = link.client;
  std::vector<std::byte> buf(16);
  const std::byte data[1]{};
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.handshake(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.recv(buf); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.send("x"); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.send(data); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.close(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.info(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.peer_cert_contains_name("localhost"); }));
  EXPECT_TRUE(throws_moved_from([&] { gone.connect("localhost", link.client_io); }));
  EXPECT_TRUE(throws_moved_from([&] {
    gone.connect("localhost", std::make_unique<queue_transport>(link.to_client, link.to_server));
  }));
  EXPECT_TRUE(throws_moved_from([&] {
    gone.connect(
        "localhost", [](std::span<std::byte>) { return transfer::want_recv(); },
        [](std::span<const std::byte>) { return transfer::want_send(); });
  }));
  EXPECT_TRUE(throws_moved_from([&] { gone.connect("127.0.0.1", "1"); }));
  EXPECT_TRUE(throws_moved_from([&] { gone.connect_socket(-1, "localhost"); }));
  EXPECT_TRUE(throws_moved_from([&] { gone.connect_fds(-1, -1, "localhost"); }));
  EXPECT_TRUE(throws_moved_from([&] { gone.reset(config{pki::client_options()}); }));
  EXPECT_FALSE(gone.handshake_done());
  EXPECT_FALSE(gone.error_code());
  EXPECT_EQ(gone.error_message(), "");
  EXPECT_EQ(gone.native_handle(), nullptr);
  // The moved-to client carries on.
  EXPECT_EQ(memory_link::pump(moved_to, link.accepted, "moved"), "moved");
}

TEST(WrongState, UsingAMovedFromServerConnectionThrows) {
  connected_link link;
  server_connection moved_to = std::move(link.accepted);
  server_connection& gone = link.accepted;
  std::vector<std::byte> buf(16);
  const std::byte data[1]{};
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.handshake(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.recv(buf); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.send("x"); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.send(data); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.close(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.info(); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.peer_cert_contains_name("localhost"); }));
  EXPECT_FALSE(gone.handshake_done());
  EXPECT_FALSE(gone.error_code());
  EXPECT_EQ(gone.native_handle(), nullptr);
  EXPECT_EQ(memory_link::pump(link.client, moved_to, "moved"), "moved");
}

TEST(WrongState, UsingAMovedFromServerThrows) {
  connected_link link;
  server moved_server = std::move(link.server);
  server& gone = link.server;
  byte_queue in;
  byte_queue out;
  queue_transport io{in, out};
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.accept(io); }));
  EXPECT_TRUE(
      throws_moved_from([&] { (void)gone.accept(std::make_unique<queue_transport>(in, out)); }));
  EXPECT_TRUE(throws_moved_from([&] {
    (void)gone.accept([](std::span<std::byte>) { return transfer::want_recv(); },
                      [](std::span<const std::byte>) { return transfer::want_send(); });
  }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.accept_socket(-1); }));
  EXPECT_TRUE(throws_moved_from([&] { (void)gone.accept_fds(-1, -1); }));
  EXPECT_TRUE(throws_moved_from([&] { gone.reset(config{pki::server_options()}); }));
  EXPECT_EQ(gone.native_handle(), nullptr);
  // The connection it accepted before lives on, and so does the moved-to server.
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "still here"), "still here");
  memory_link fresh{config{pki::client_options()}, config{pki::server_options()}};
  server_connection accepted = moved_server.accept(fresh.server_io);
  fresh.accepted = std::move(accepted);
  EXPECT_TRUE(fresh.handshake()) << fresh.describe();
}

// ---------------------------------------------------------------------------
// Buffers larger than libtls's int can count: a prefix, never a failure.

/// 2 GiB and a page: more than INT_MAX bytes.
constexpr std::size_t over_int_max = (std::size_t{1} << 31) + 4096;

/// An address range that costs nothing until touched (private, anonymous,
/// no swap reserved): a buffer over INT_MAX bytes on any test machine.
class untouched_region {
 public:
  explicit untouched_region(std::size_t size) : size_{size} {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) data_ = static_cast<std::byte*>(p);
  }
  untouched_region(const untouched_region&) = delete;
  untouched_region& operator=(const untouched_region&) = delete;
  ~untouched_region() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  [[nodiscard]] bool mapped() const noexcept { return data_ != nullptr; }
  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data_, size_}; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_;
};

TEST(BigBuffers, RecvIntoMoreThanIntMaxBytesReceives) {
  const untouched_region region{over_int_max};
  if (!region.mapped()) GTEST_SKIP() << "cannot map 2 GiB: " << std::strerror(errno);
  connected_link link;
  ASSERT_TRUE(link.accepted.send("into a very large buffer").ok());
  const io_result r = link.client.recv(region.bytes());
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << link.client.error_message();
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(region.bytes().data()), r.bytes),
            "into a very large buffer");
}

TEST(BigBuffers, SendOfMoreThanIntMaxBytesSendsAPrefixAndTheConnectionGoesOn) {
  const untouched_region region{over_int_max};
  if (!region.mapped()) GTEST_SKIP() << "cannot map 2 GiB: " << std::strerror(errno);
  // The client's transport takes `writes_left` writes (one record), then
  // answers want_send: libtls encrypts one record of the 2 GiB, not all.
  byte_queue to_server;
  byte_queue to_client;
  int writes_left = -1;  // unlimited
  client c{config{pki::client_options()}};
  c.connect(
      "localhost", [&](std::span<std::byte> b) { return to_client.read(b); },
      [&](std::span<const std::byte> b) {
        if (writes_left == 0) return transfer::want_send();
        if (writes_left > 0) --writes_left;
        return to_server.write(b);
      });
  server srv{config{pki::server_options()}};
  queue_transport server_io{to_server, to_client};
  server_connection s = srv.accept(server_io);
  ASSERT_TRUE(handshake_pair(c, s));

  writes_left = 1;
  const io_result r = c.send(region.bytes());
  if (r.want_io()) {
    GTEST_SKIP() << "the libtls backend does not send a prefix of a large write (no partial "
                    "writes): it would encrypt all 2 GiB before returning";
  }
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << c.error_message();
  EXPECT_GT(r.bytes, 0u);
  EXPECT_LE(r.bytes, std::size_t{INT_MAX});

  // The prefix arrives (zeros: the region was never written), and the
  // connection carries on.
  writes_left = -1;
  std::vector<std::byte> buf(16384);
  std::size_t received = 0;
  bool all_zero = true;
  while (received < r.bytes) {
    const io_result got = s.recv(buf);
    ASSERT_TRUE(got.ok()) << to_string(got.status) << ": " << s.error_message();
    all_zero = all_zero && std::all_of(buf.begin(), buf.begin() + static_cast<long>(got.bytes),
                                       [](std::byte b) { return b == std::byte{0}; });
    received += got.bytes;
  }
  EXPECT_EQ(received, r.bytes);
  EXPECT_TRUE(all_zero);
  EXPECT_EQ(memory_link::pump(c, s, "and then some more"), "and then some more");
}

// ---------------------------------------------------------------------------
// A want means the transport asked for I/O, always.

TEST(Wants, HundredSessionTicketsThenDataAllQueuedRecvReturnsTheData) {
  if (const char* why = openssl_server_unavailable()) GTEST_SKIP() << why;
  if (!get_backend_features().tls1_3) GTEST_SKIP() << "the libtls backend has no TLS 1.3";
#if defined(TLSPP_TEST_HAVE_OPENSSL)
  openssl_server srv{100};
  client c{config{pki::client_options()}};
  c.connect(
      "localhost", [&](std::span<std::byte> b) { return srv.client_read(b); },
      [&](std::span<const std::byte> b) { return srv.client_write(b); });
  ASSERT_EQ(c.handshake().status, io_status::want_recv);
  ASSERT_FALSE(srv.handshake());
  ASSERT_TRUE(c.handshake().ok()) << c.error_message();
  ASSERT_TRUE(srv.handshake());
  srv.send("the data after a hundred tickets");
  // Every byte the client needs is queued: 100 tickets, then the data.
  if (srv.queued_records() < 101u) {
    // LibreSSL's libssl takes the ticket count but sends no TLS 1.3 ticket.
    GTEST_SKIP() << "this libssl's server sent no TLS 1.3 tickets";
  }

  std::vector<std::byte> buf(64);
  const io_result r = c.recv(buf);
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << c.error_message();
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buf.data()), r.bytes),
            "the data after a hundred tickets");
  EXPECT_EQ(srv.queued_records(), 0u);
#endif
}

}  // namespace
}  // namespace tlspp::test
