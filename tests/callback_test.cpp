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
#include <stdexcept>
#include <string>
#include <typeinfo>
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
  connection s = srv.accept(
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
  connection s = srv.accept(reader(to_server), writer(to_client));

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
  connection s = srv.accept([&](std::span<std::byte> b) { return to_server.read(b); },
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
  connection s{srv.accept([this](std::span<std::byte> b) { return to_server.read(b); },
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
  EXPECT_EQ(r.status, wc.expected) << r.error;
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
    EXPECT_EQ(r.status, wc.expected) << r.error;
    EXPECT_FALSE(p.to_client.empty());
    fault = nullptr;
    r = p.c.recv(buf);
  } else {
    fault = stall;
    r = p.c.send(message);
    EXPECT_EQ(r.status, wc.expected) << r.error;
    EXPECT_TRUE(p.to_server.empty());
    fault = nullptr;
    r = p.c.send(message);
    ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
    EXPECT_EQ(r.bytes, message.size());
    r = p.s.recv(buf);
  }
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << r.error;
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

/// After a callback failed or threw, every call reports failed with the first
/// error, without calling the transport again.
void expect_failed_for_good(faulty_pair& p, std::string_view first_error) {
  const int calls = p.client_calls;
  std::vector<std::byte> buf(16);
  for (const io_result& r : {p.c.handshake(), p.c.recv(buf), p.c.send("x"), p.c.close()}) {
    EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
    EXPECT_TRUE(contains(r.error, first_error));
  }
  EXPECT_EQ(p.client_calls, calls) << "a failed connection called its transport again";
}

/// Calls `call` and checks that it throws exactly link_down(`message`).
template <class Call>
AssertionResult throws_link_down(Call&& call, const std::string& message) {
  try {
    const io_result r = call();
    return AssertionFailure() << "no exception; returned " << to_string(r.status) << ": "
                              << r.error;
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
    expect_failed_for_good(p, "link down: cable cut");
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
  EXPECT_TRUE(contains(r.error, std::strerror(ECONNRESET)));
  EXPECT_TRUE(contains(r.error, fc.after_handshake ? (fc.on_read ? "recv" : "send") : "handshake"));
  p.read_fault = p.write_fault = nullptr;
  expect_failed_for_good(p, std::strerror(ECONNRESET));
}

INSTANTIATE_TEST_SUITE_P(ReadAndWriteBeforeAndAfterHandshake, CallbackFaults,
                         ::testing::Values(fault_case{"read_in_handshake", true, false},
                                           fault_case{"write_in_handshake", false, false},
                                           fault_case{"read_in_recv", true, true},
                                           fault_case{"write_in_send", false, true}),
                         [](const auto& info) { return std::string{info.param.name}; });

/// Calls `call` and checks that it throws tlspp::error whose what() has `text`.
template <class Call>
AssertionResult throws_tlspp_error(Call&& call, const std::string& text) {
  try {
    const io_result r = call();
    return AssertionFailure() << "no exception; returned " << to_string(r.status) << ": "
                              << r.error;
  } catch (const error& e) {
    if (std::string_view{e.what()}.find(text) == std::string_view::npos) {
      return AssertionFailure() << "message was " << e.what();
    }
    return AssertionSuccess();
  }
}

TEST(CallbackContract, ReadClaimingMoreBytesThanTheBufferIsAnErrorNotCorruption) {
  for (const bool absurd : {false, true}) {
    faulty_pair p;
    p.prepare(true, false);
    // One byte too many, and a count so large it would look negative.
    p.read_fault = [absurd](std::size_t size) {
      return transfer::bytes(absurd ? std::numeric_limits<std::size_t>::max() - 1 : size + 1);
    };
    EXPECT_TRUE(throws_tlspp_error([&] { return p.c.handshake(); },
                                   "reported more bytes than the buffer holds"))
        << "absurd=" << absurd;
    p.read_fault = nullptr;
    expect_failed_for_good(p, "more bytes than the buffer holds");
  }
}

TEST(CallbackContract, WriteClaimingMoreBytesThanGivenIsAnError) {
  faulty_pair p;
  p.write_fault = [](std::size_t size) { return transfer::bytes(size + 1); };
  EXPECT_TRUE(throws_tlspp_error([&] { return p.c.handshake(); }, "more bytes than it was given"));
  p.write_fault = nullptr;
  expect_failed_for_good(p, "more bytes than it was given");
}

TEST(CallbackContract, WriteReturningZeroBytesIsAClearError) {
  faulty_pair p;
  p.write_fault = [](std::size_t) { return transfer::bytes(0); };
  EXPECT_TRUE(throws_tlspp_error([&] { return p.c.handshake(); },
                                 "callback wrote 0 bytes; answer want_send() instead"));
  p.write_fault = nullptr;
  expect_failed_for_good(p, "wrote 0 bytes");
}

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
  connection s = srv.accept(
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
