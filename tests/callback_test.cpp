// SPDX-License-Identifier: ISC
// Transport callbacks: any callable, any chunk size, wants, errors and
// exceptions, and no heap allocation per call.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "support/assertions.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"

// A replaced global operator new that counts while `counting` is set.
// OpenSSL allocates with malloc, so this counts exactly the C++ side: tlspp
// and the test's own callbacks.
namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> counted_allocations{0};

void* allocate(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) {
    counted_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (size == 0) size = 1;
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc{};
}

void* allocate_aligned(std::size_t size, std::align_val_t align) {
  if (counting.load(std::memory_order_relaxed)) {
    counted_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  const auto a = static_cast<std::size_t>(align);
  size = (std::max<std::size_t>(size, 1) + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, size)) return p;
  throw std::bad_alloc{};
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void* operator new(std::size_t size, std::align_val_t a) { return allocate_aligned(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return allocate_aligned(size, a); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return allocate_aligned(size, a);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t& tag) noexcept {
  return operator new(size, a, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace tlspp::test {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

/// `n` deterministic pseudo-random bytes.
std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen{seed};
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

/// The exception a test's transport throws.
struct link_down : std::runtime_error {
  using std::runtime_error::runtime_error;
};

config client_config() { return config{pki::client_options()}; }
config server_config() { return config{pki::server_options()}; }

TEST(Callbacks, LambdasWithCapturesCarryHandshakeAndData) {
  byte_queue to_server;
  byte_queue to_client;
  int client_reads = 0;
  int client_writes = 0;
  // A move-only capture: the callable is moved into the connection.
  auto server_calls = std::make_unique<int>(0);
  int* server_calls_seen = server_calls.get();

  client c{client_config()};
  c.connect(
      "localhost",
      [&](std::span<std::byte> b) {
        ++client_reads;
        return to_client.read(b);
      },
      [&](std::span<const std::byte> b) {
        ++client_writes;
        return to_server.write(b);
      });
  server srv{server_config()};
  server_connection s = srv.accept(
      [&to_server, counter = std::move(server_calls)](std::span<std::byte> b) {
        ++*counter;
        return to_server.read(b);
      },
      [&to_client](std::span<const std::byte> b) { return to_client.write(b); });

  ASSERT_TRUE(handshake_pair(c, s));
  EXPECT_EQ(memory_link::pump(c, s, "ping from a lambda"), "ping from a lambda");
  EXPECT_EQ(memory_link::pump(s, c, "pong from a lambda"), "pong from a lambda");
  EXPECT_GT(client_reads, 0);
  EXPECT_GT(client_writes, 0);
  EXPECT_GT(*server_calls_seen, 0);
}

TEST(Callbacks, OneByteAtATimeThroughHandshakeAnd64KiBEachWay) {
  byte_queue to_server;
  byte_queue to_client;
  to_server.max_chunk = 1;
  to_client.max_chunk = 1;
  std::size_t largest_chunk = 0;
  auto reader = [&largest_chunk](byte_queue& q) {
    return [&largest_chunk, &q](std::span<std::byte> b) {
      const transfer t = q.read(b);
      if (t.value() > 0) largest_chunk = std::max(largest_chunk, std::size_t(t.value()));
      return t;
    };
  };
  auto writer = [&largest_chunk](byte_queue& q) {
    return [&largest_chunk, &q](std::span<const std::byte> b) {
      const transfer t = q.write(b);
      largest_chunk = std::max(largest_chunk, std::size_t(t.value()));
      return t;
    };
  };
  client c{client_config()};
  c.connect("localhost", reader(to_client), writer(to_server));
  server srv{server_config()};
  server_connection s = srv.accept(reader(to_server), writer(to_client));

  ASSERT_TRUE(handshake_pair(c, s));
  const std::string up = random_bytes(64 * 1024, 1);
  const std::string down = random_bytes(64 * 1024, 2);
  EXPECT_TRUE(memory_link::pump(c, s, up) == up);
  EXPECT_TRUE(memory_link::pump(s, c, down) == down);
  EXPECT_EQ(largest_chunk, 1u);
  EXPECT_GT(to_server.written, up.size());  // all the ciphertext, in 1-byte calls
  EXPECT_GT(to_client.written, down.size());
}

TEST(Callbacks, PartialWritesOfAtMostSevenBytesDeliverEveryByte) {
  byte_queue to_server;
  byte_queue to_client;
  std::size_t writes = 0;
  std::size_t largest_write = 0;
  auto seven_at_most = [&](byte_queue& q) {
    return [&, q = &q](std::span<const std::byte> b) {
      ++writes;
      const transfer t = q->write(b.first(std::min<std::size_t>(b.size(), 7)));
      largest_write = std::max(largest_write, std::size_t(t.value()));
      return t;
    };
  };
  client c{client_config()};
  c.connect(
      "localhost", [&](std::span<std::byte> b) { return to_client.read(b); },
      seven_at_most(to_server));
  server srv{server_config()};
  server_connection s = srv.accept([&](std::span<std::byte> b) { return to_server.read(b); },
                                   seven_at_most(to_client));

  ASSERT_TRUE(handshake_pair(c, s));
  const std::string up = random_bytes(40000, 3);
  const std::string down = random_bytes(40000, 4);
  EXPECT_TRUE(memory_link::pump(c, s, up) == up);
  EXPECT_TRUE(memory_link::pump(s, c, down) == down);
  EXPECT_EQ(largest_write, 7u);
  EXPECT_GT(writes, (up.size() + down.size()) / 7);
}

/// A pair whose client callbacks can be told to do something else than move
/// bytes: answer a want, fail, lie about sizes, or throw.
struct faulty_pair {
  byte_queue to_server;
  byte_queue to_client;
  /// When set, the client's read (write) calls this with the buffer's size
  /// and answers what it returns, instead of using the queue.
  std::function<transfer(std::size_t)> read_fault;
  std::function<transfer(std::size_t)> write_fault;
  /// Every call of the client's callbacks.
  int client_calls = 0;
  server srv{server_config()};
  server_connection s{
      srv.accept([this](std::span<std::byte> b) { return to_server.read(b); },
                 [this](std::span<const std::byte> b) { return to_client.write(b); })};
  client c{client_config()};

  faulty_pair() {
    c.connect(
        "localhost",
        [this](std::span<std::byte> b) {
          ++client_calls;
          return read_fault ? read_fault(b.size()) : to_client.read(b);
        },
        [this](std::span<const std::byte> b) {
          ++client_calls;
          return write_fault ? write_fault(b.size()) : to_server.write(b);
        });
  }

  /// Brings the client to where its next call needs the read (write)
  /// callback: in the handshake, the server's flight waits to be read (the
  /// ClientHello waits to be written); after it, a record waits (or a send).
  void prepare(bool on_read, bool after_handshake) {
    if (after_handshake) {
      ASSERT_TRUE(handshake_pair(c, s));
      if (on_read) {
        ASSERT_TRUE(s.send("a record for the client").ok());
      }
    } else if (on_read) {
      ASSERT_EQ(c.handshake().status, io_status::want_recv);
      ASSERT_EQ(s.handshake().status, io_status::want_recv);
      ASSERT_FALSE(to_client.empty());
    }
  }
};

/// The client call that needs the faulty callback next.
io_result call_needing(faulty_pair& p, bool on_read, bool after_handshake) {
  if (!after_handshake) return p.c.handshake();
  if (!on_read) return p.c.send("a record for the server");
  std::vector<std::byte> buf(64);
  return p.c.recv(buf);
}

struct want_case {
  const char* callback;  // "read" or "write"
  transfer answer;
  io_status expected;
};

void PrintTo(const want_case& wc, std::ostream* os) {
  *os << wc.callback << " callback answers " << to_string(wc.expected);
}

// Either callback may answer either want: a transport that is itself a TLS
// stream may have to send before it can read, or read before it can send.
// The tlspp call reports the transport's own want. libtls passes the
// callback's answer to the TLS library as a BIO retry flag, and LibreSSL's
// TLS 1.3 record layer fails the connection ("unknown failure occurred") on
// a read that asks to write or a write that asks to read: the crossed cases
// pass there only if tlspp hands libtls each callback's own direction
// (TLS_WANT_POLLIN from reads, TLS_WANT_POLLOUT from writes) and keeps the
// transport's want for its result.
class CallbackWants : public ::testing::TestWithParam<want_case> {};

TEST_P(CallbackWants, TlsppCallReturnsThatWantAndARetryLosesNothing) {
  const want_case& wc = GetParam();
  const bool on_read = std::string_view{wc.callback} == "read";
  faulty_pair p;
  auto& fault = on_read ? p.read_fault : p.write_fault;
  const auto stall = [answer = wc.answer](std::size_t) { return answer; };

  // Handshake: the write stalls on the ClientHello, the read on the
  // server's flight that waits in the queue.
  p.prepare(on_read, false);
  fault = stall;
  io_result r = p.c.handshake();
  EXPECT_EQ(r.status, wc.expected) << p.c.error_message();
  if (on_read) {
    EXPECT_FALSE(p.to_client.empty()) << "the server's flight must still be waiting";
  } else {
    EXPECT_TRUE(p.to_server.empty()) << "nothing may be written while the write stalls";
  }
  fault = nullptr;
  ASSERT_TRUE(handshake_pair(p.c, p.s));

  // Data: a stalled recv while a record waits, a stalled send retried with
  // the same data.
  const std::string message = "nothing lost between retries";
  std::vector<std::byte> buf(64);
  if (on_read) {
    ASSERT_TRUE(p.s.send(message).ok());
    fault = stall;
    r = p.c.recv(buf);
    EXPECT_EQ(r.status, wc.expected) << p.c.error_message();
    EXPECT_FALSE(p.to_client.empty());
    fault = nullptr;
    r = p.c.recv(buf);
  } else {
    fault = stall;
    r = p.c.send(message);
    EXPECT_EQ(r.status, wc.expected) << p.c.error_message();
    EXPECT_TRUE(p.to_server.empty());
    fault = nullptr;
    r = p.c.send(message);
    ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << p.c.error_message();
    EXPECT_EQ(r.bytes, message.size());
    r = p.s.recv(buf);
  }
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << p.c.error_message() << " / "
                      << p.s.error_message();
  EXPECT_EQ(text_of(std::span{buf}.first(r.bytes)), message);
}

INSTANTIATE_TEST_SUITE_P(
    EachCallbackEachWant, CallbackWants,
    ::testing::Values(want_case{"read", transfer::want_recv(), io_status::want_recv},
                      want_case{"read", transfer::want_send(), io_status::want_send},
                      want_case{"write", transfer::want_send(), io_status::want_send},
                      want_case{"write", transfer::want_recv(), io_status::want_recv}),
    [](const auto& info) {
      return std::string{info.param.callback} + "_answers_" + to_string(info.param.expected);
    });

/// After a callback failed or threw, every call reports failed and the
/// connection keeps the first error, without calling the transport again.
void expect_failed_for_good(faulty_pair& p, errc code, std::string_view first_error) {
  const int calls = p.client_calls;
  std::vector<std::byte> buf(16);
  for (const io_result& r : {p.c.handshake(), p.c.recv(buf), p.c.send("x"), p.c.close()}) {
    EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
    EXPECT_EQ(p.c.error_code(), code) << p.c.error_message();
    EXPECT_TRUE(contains(p.c.error_message(), first_error));
  }
  EXPECT_EQ(p.client_calls, calls) << "a failed connection called its transport again";
}

/// Calls `call` and checks that it throws exactly link_down(`message`).
template <class Call>
AssertionResult throws_link_down(Call&& call, const std::string& message) {
  try {
    const io_result r = call();
    return AssertionFailure() << "no exception; returned " << to_string(r.status);
  } catch (const std::exception& e) {
    if (typeid(e) != typeid(link_down)) {
      return AssertionFailure() << "threw " << typeid(e).name() << ": " << e.what();
    }
    if (e.what() != message) return AssertionFailure() << "message was " << e.what();
    return AssertionSuccess();
  }
}

struct fault_case {
  const char* name;
  bool on_read;
  bool after_handshake;
};

void PrintTo(const fault_case& fc, std::ostream* os) { *os << fc.name; }

class CallbackFaults : public ::testing::TestWithParam<fault_case> {};

TEST_P(CallbackFaults, ThrownExceptionIsRethrownExactlyThenConnectionFailed) {
  const fault_case& fc = GetParam();
  {
    faulty_pair p;
    p.prepare(fc.on_read, fc.after_handshake);
    (fc.on_read ? p.read_fault : p.write_fault) = [](std::size_t) -> transfer {
      throw link_down{"link down: cable cut"};
    };
    EXPECT_TRUE(throws_link_down([&] { return call_needing(p, fc.on_read, fc.after_handshake); },
                                 "link down: cable cut"));
    p.read_fault = p.write_fault = nullptr;  // the transport works again
    expect_failed_for_good(p, errc::callback_threw, "link down: cable cut");
  }  // and the connection is destroyed cleanly (ASan checks it)
}

TEST_P(CallbackFaults, FailedWithErrnoGivesFailedNamingStrerror) {
  const fault_case& fc = GetParam();
  faulty_pair p;
  p.prepare(fc.on_read, fc.after_handshake);
  (fc.on_read ? p.read_fault : p.write_fault) = [](std::size_t) {
    return transfer::failed(ECONNRESET);
  };
  const io_result r = call_needing(p, fc.on_read, fc.after_handshake);
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(p.c.error_code(), errc::transport_failed) << p.c.error_message();
  EXPECT_TRUE(contains(p.c.error_message(), std::strerror(ECONNRESET)));
  EXPECT_TRUE(contains(p.c.error_message(),
                       fc.after_handshake ? (fc.on_read ? "recv" : "send") : "handshake"));
  p.read_fault = p.write_fault = nullptr;
  expect_failed_for_good(p, errc::transport_failed, std::strerror(ECONNRESET));
}

TEST_P(CallbackFaults, FailedWithoutErrnoSaysTheTransportFailed) {
  const fault_case& fc = GetParam();
  faulty_pair p;
  p.prepare(fc.on_read, fc.after_handshake);
  // A stale errno from the callback's own work must not become the reason.
  (fc.on_read ? p.read_fault : p.write_fault) = [](std::size_t) {
    errno = ENOENT;
    return transfer::failed();
  };
  const io_result r = call_needing(p, fc.on_read, fc.after_handshake);
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(p.c.error_code(), errc::transport_failed) << p.c.error_message();
  EXPECT_TRUE(contains(p.c.error_message(), "the transport failed"));
  EXPECT_FALSE(contains(p.c.error_message(), std::strerror(0))) << "errno 0's text";
  EXPECT_FALSE(contains(p.c.error_message(), std::strerror(ENOENT))) << "a stale errno's text";
}

INSTANTIATE_TEST_SUITE_P(ReadAndWriteBeforeAndAfterHandshake, CallbackFaults,
                         ::testing::Values(fault_case{"read_in_handshake", true, false},
                                           fault_case{"write_in_handshake", false, false},
                                           fault_case{"read_in_recv", true, true},
                                           fault_case{"write_in_send", false, true}),
                         [](const auto& info) { return std::string{info.param.name}; });

// A transport that breaks its contract fails the call like any transport
// failure (no exception, no second channel), and libtls never sees the lie.
TEST(CallbackContract, ReadClaimingMoreBytesThanTheBufferFailsTheConnection) {
  for (const bool absurd : {false, true}) {
    faulty_pair p;
    p.prepare(true, false);
    // One byte too many, and a count so large it would look negative.
    p.read_fault = [absurd](std::size_t size) {
      return transfer::bytes(absurd ? std::numeric_limits<std::size_t>::max() - 1 : size + 1);
    };
    const io_result r = p.c.handshake();
    EXPECT_EQ(r.status, io_status::failed) << "absurd=" << absurd;
    p.read_fault = nullptr;
    expect_failed_for_good(p, errc::transport_failed, "more bytes than the buffer holds");
  }
}

TEST(CallbackContract, WriteClaimingMoreBytesThanGivenFailsTheConnection) {
  faulty_pair p;
  p.write_fault = [](std::size_t size) { return transfer::bytes(size + 1); };
  const io_result r = p.c.handshake();
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  p.write_fault = nullptr;
  expect_failed_for_good(p, errc::transport_failed, "more bytes than the buffer holds");
}

TEST(CallbackContract, WriteTakingNothingIsAWantSend) {
  faulty_pair p;
  p.write_fault = [](std::size_t) { return transfer::bytes(0); };
  const io_result r = p.c.handshake();
  EXPECT_EQ(r.status, io_status::want_send) << to_string(r.status) << ": " << p.c.error_message();
  EXPECT_TRUE(p.to_server.empty());
  p.write_fault = nullptr;  // the transport has room again
  ASSERT_TRUE(handshake_pair(p.c, p.s));
  EXPECT_EQ(memory_link::pump(p.c, p.s, "after the pause"), "after the pause");
}

/// A read callback written the natural way: as many bytes as are queued,
/// which may be none.
auto natural_reader(byte_queue& q) {
  return [&q](std::span<std::byte> buffer) {
    std::vector<std::byte>& queued = q.pending();
    const std::size_t n = std::min(buffer.size(), queued.size());
    std::copy_n(queued.begin(), n, buffer.begin());
    queued.erase(queued.begin(), queued.begin() + static_cast<std::ptrdiff_t>(n));
    return transfer::bytes(n);
  };
}

TEST(CallbackContract, ReadOfNothingFromAnEmptyQueueIsAWantNotTheEndOfTheStream) {
  byte_queue to_server;
  byte_queue to_client;
  client c{client_config()};
  c.connect("localhost", natural_reader(to_client),
            [&](std::span<const std::byte> b) { return to_server.write(b); });
  server srv{server_config()};
  server_connection s = srv.accept(
      natural_reader(to_server), [&](std::span<const std::byte> b) { return to_client.write(b); });

  EXPECT_EQ(c.handshake().status, io_status::want_recv) << c.error_message();
  ASSERT_TRUE(handshake_pair(c, s));
  std::vector<std::byte> buf(64);
  const io_result nothing_yet = c.recv(buf);
  EXPECT_EQ(nothing_yet.status, io_status::want_recv) << c.error_message();
  EXPECT_EQ(memory_link::pump(s, c, "the stream goes on"), "the stream goes on");
  EXPECT_EQ(memory_link::pump(c, s, "both ways"), "both ways");
}

TEST(CallbackContract, SendRetriedWithFewerBytesAfterAWantFailsWithRetryMismatch) {
  faulty_pair p;
  p.prepare(false, true);
  const std::string message = "a message that had to wait";
  p.write_fault = [](std::size_t) { return transfer::want_send(); };
  ASSERT_EQ(p.c.send(message).status, io_status::want_send);
  p.write_fault = nullptr;
  const io_result r = p.c.send(std::string_view{message}.substr(0, 5));
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(p.c.error_code(), errc::send_retry_mismatch) << p.c.error_message();
  EXPECT_TRUE(p.to_server.empty()) << "the short retry reached the transport";
}

// ---------------------------------------------------------------------------
// What a callback may do with its own connection (transport.hpp): read its
// state, nothing more. A call on it throws errc::busy out of the outer call;
// destroying it, or moving another over it, fails the outer call, which
// frees it once libtls has returned (ASan checks that nothing is used after).

enum class transport_kind { callbacks, owned_object, callers_object };

void PrintTo(transport_kind k, std::ostream* os) {
  *os << (k == transport_kind::callbacks      ? "callbacks"
          : k == transport_kind::owned_object ? "owned_object"
                                              : "callers_object");
}

/// Runs `hook` once if it is set: how a test acts from inside a callback.
void fire(std::function<void()>& hook) {
  if (hook) std::exchange(hook, nullptr)();
}

/// A transport object between two queues that fires a hook at every call.
class hooked_transport final : public transport {
 public:
  hooked_transport(byte_queue& in, byte_queue& out, std::function<void()>& hook)
      : in_{in}, out_{out}, hook_{hook} {}
  transfer read(std::span<std::byte> b) override {
    fire(hook_);
    return in_.read(b);
  }
  transfer write(std::span<const std::byte> b) override {
    fire(hook_);
    return out_.write(b);
  }

 private:
  byte_queue& in_;
  byte_queue& out_;
  std::function<void()>& hook_;
};

/// A client and an accepted connection, each in an optional so that a hook
/// can destroy it, over the transport kind of the test.
struct reentry_pair {
  transport_kind kind;
  byte_queue to_server;
  byte_queue to_client;
  /// Fired at the next callback of the client (the server).
  std::function<void()> client_hook;
  std::function<void()> server_hook;
  hooked_transport client_object{to_client, to_server, client_hook};
  hooked_transport server_object{to_server, to_client, server_hook};
  server srv{server_config()};
  std::optional<client> c{std::in_place, client_config()};
  std::optional<server_connection> s;

  explicit reentry_pair(transport_kind k) : kind{k} {
    switch (kind) {
      case transport_kind::callbacks:
        c->connect(
            "localhost",
            [this](std::span<std::byte> b) {
              fire(client_hook);
              return to_client.read(b);
            },
            [this](std::span<const std::byte> b) {
              fire(client_hook);
              return to_server.write(b);
            });
        s.emplace(srv.accept(
            [this](std::span<std::byte> b) {
              fire(server_hook);
              return to_server.read(b);
            },
            [this](std::span<const std::byte> b) {
              fire(server_hook);
              return to_client.write(b);
            }));
        break;
      case transport_kind::owned_object:
        c->connect("localhost",
                   std::make_unique<hooked_transport>(to_client, to_server, client_hook));
        s.emplace(
            srv.accept(std::make_unique<hooked_transport>(to_server, to_client, server_hook)));
        break;
      case transport_kind::callers_object:
        c->connect("localhost", client_object);
        s.emplace(srv.accept(server_object));
        break;
    }
  }
};

/// A fresh client/server pair over new queues handshakes: what was left
/// behind by a call that failed from inside its callback is sound.
AssertionResult handshakes_anew(client& c, server& srv) {
  byte_queue to_server;
  byte_queue to_client;
  queue_transport client_io{to_client, to_server};
  queue_transport server_io{to_server, to_client};
  server_connection s = srv.accept(server_io);
  c.connect("localhost", client_io);
  AssertionResult done = handshake_pair(c, s);
  c.reset(client_config());  // before the queues go
  return done;
}

class CallbackReentry : public ::testing::TestWithParam<transport_kind> {};

TEST_P(CallbackReentry, CallsOnTheClientFromItsOwnCallbackThrowBusyOutOfTheOuterCall) {
  byte_queue spare_in;
  byte_queue spare_out;
  queue_transport spare{spare_in, spare_out};
  std::byte buf[16];
  const std::vector<std::pair<std::string, std::function<void(client&)>>> calls = {
      {"client::reset", [](client& c) { c.reset(client_config()); }},
      {"connection::recv", [&](client& c) { (void)c.recv(buf); }},
      {"connection::send", [](client& c) { (void)c.send("nested"); }},
      {"connection::handshake", [](client& c) { (void)c.handshake(); }},
      {"connection::close", [](client& c) { (void)c.close(); }},
      {"client::connect", [&](client& c) { c.connect("localhost", spare); }},
  };
  for (const auto& [name, call] : calls) {
    SCOPED_TRACE(name);
    reentry_pair p{GetParam()};
    client& c = *p.c;
    bool called = false;
    p.client_hook = [&] {
      called = true;
      call(c);
    };
    try {
      const io_result r = c.handshake();
      ADD_FAILURE() << "no exception; the handshake returned " << to_string(r.status);
    } catch (const error& e) {
      EXPECT_EQ(e.code(), errc::busy) << e.what();
      EXPECT_TRUE(contains(e.what(), name));
    }
    EXPECT_TRUE(called);
    EXPECT_EQ(c.error_code(), errc::callback_threw) << c.error_message();
    EXPECT_EQ(spare_out.written, 0u);
    // From outside, the same client resets and connects again.
    c.reset(client_config());
    EXPECT_TRUE(handshakes_anew(c, p.srv));
  }
}

TEST_P(CallbackReentry, DestroyingTheClientFromItsOwnCallbackFailsTheOuterCall) {
  for (const bool in_handshake : {true, false}) {
    SCOPED_TRACE(in_handshake ? "during the handshake" : "during recv");
    reentry_pair p{GetParam()};
    if (!in_handshake) {
      ASSERT_TRUE(handshake_pair(*p.c, *p.s));
      ASSERT_TRUE(p.s->send("a record to read").ok());
    }
    client& c = *p.c;
    p.client_hook = [&] { p.c.reset(); };
    std::byte buf[64];
    const io_result r = in_handshake ? c.handshake() : c.recv(buf);
    EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
    EXPECT_FALSE(p.c.has_value());
  }
}

TEST_P(CallbackReentry, MovingAnotherClientOverItFromItsOwnCallbackFailsTheOuterCall) {
  reentry_pair p{GetParam()};
  client& c = *p.c;
  p.client_hook = [&] { c = client{client_config()}; };
  const io_result r = c.handshake();
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  // `c` is the client moved in: fresh, unconnected, untouched by the failure.
  EXPECT_FALSE(c.error_code()) << c.error_message();
  EXPECT_TRUE(handshakes_anew(c, p.srv));
}

TEST_P(CallbackReentry, DestroyingTheServerConnectionFromItsOwnCallbackFailsTheOuterCall) {
  reentry_pair p{GetParam()};
  ASSERT_EQ(p.c->handshake().status, io_status::want_recv);
  server_connection& s = *p.s;
  p.server_hook = [&] { p.s.reset(); };
  const io_result r = s.handshake();
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_FALSE(p.s.has_value());
}

TEST_P(CallbackReentry, MovingAnotherConnectionOverTheServerConnectionFromItsCallbackFailsTheCall) {
  // The transports of the connection moved in outlive it.
  byte_queue to_server;
  byte_queue to_client;
  queue_transport client_io{to_client, to_server};
  queue_transport server_io{to_server, to_client};
  reentry_pair p{GetParam()};
  ASSERT_EQ(p.c->handshake().status, io_status::want_recv);
  server_connection& s = *p.s;
  p.server_hook = [&] { s = p.srv.accept(server_io); };
  const io_result r = s.handshake();
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  // `s` is the connection moved in, and it serves its own client.
  EXPECT_FALSE(s.error_code()) << s.error_message();
  client other{client_config()};
  other.connect("localhost", client_io);
  EXPECT_TRUE(handshake_pair(other, s));
}

INSTANTIATE_TEST_SUITE_P(EachTransportKind, CallbackReentry,
                         ::testing::Values(transport_kind::callbacks, transport_kind::owned_object,
                                           transport_kind::callers_object),
                         [](const auto& info) {
                           std::ostringstream name;
                           PrintTo(info.param, &name);
                           return name.str();
                         });

/// Exchanges `messages` small messages each way after the handshake and
/// returns how many times operator new ran meanwhile.
std::size_t allocations_for(int messages) {
  byte_queue to_server;
  byte_queue to_client;
  std::size_t callback_calls = 0;
  client c{client_config()};
  c.connect(
      "localhost",
      [&](std::span<std::byte> b) {
        ++callback_calls;
        return to_client.read(b);
      },
      [&](std::span<const std::byte> b) {
        ++callback_calls;
        return to_server.write(b);
      });
  server srv{server_config()};
  server_connection s = srv.accept(
      [&](std::span<std::byte> b) {
        ++callback_calls;
        return to_server.read(b);
      },
      [&](std::span<const std::byte> b) {
        ++callback_calls;
        return to_client.write(b);
      });
  EXPECT_TRUE(handshake_pair(c, s));

  const std::string_view ping = "a small message of 32 bytes....";
  std::array<std::byte, 64> buf{};
  int failures = 0;
  auto exchange = [&] {
    failures += !c.send(ping).ok();
    failures += s.recv(buf).bytes != ping.size();
    failures += !s.send(ping).ok();
    failures += c.recv(buf).bytes != ping.size();
  };
  for (int i = 0; i < 10; ++i) exchange();  // warm-up: the queues reach their size

  const std::size_t calls_before = callback_calls;
  counted_allocations = 0;
  counting = true;
  for (int i = 0; i < messages; ++i) exchange();
  counting = false;
  const std::size_t allocations = counted_allocations;

  EXPECT_EQ(failures, 0);
  EXPECT_GE(callback_calls - calls_before, std::size_t(4 * messages));
  return allocations;
}

TEST(CallbackAllocations, SteadyStateExchangeDoesNotAllocatePerCallback) {
  // The counting operator new is the one in use.
  static std::string* volatile sink = nullptr;
  counted_allocations = 0;
  counting = true;
  sink = new std::string(100, 'x');
  counting = false;
  delete sink;
  ASSERT_EQ(counted_allocations, 2u) << "the string and its buffer";

  const std::size_t for_100 = allocations_for(100);
  const std::size_t for_1000 = allocations_for(1000);
  EXPECT_EQ(for_100, for_1000) << "operator new ran per message";
  EXPECT_EQ(for_1000, 0u) << "tlspp allocated in steady state";
}

}  // namespace
}  // namespace tlspp::test
