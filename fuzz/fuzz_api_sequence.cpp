// SPDX-License-Identifier: ISC
// fuzz_api_sequence: the input is a program of API calls. Two client/server
// pairs talk over in-memory wires whose callbacks take bytes in chunks,
// answer wants, fail or end the stream as the input says, and may turn on
// their own connection: call its I/O (which must throw errc::busy), reset or
// connect it, throw, destroy it, move it or move-assign over it. From
// outside, the program connects, accepts, handshakes, sends, receives,
// closes, resets, moves and destroys. After every call the documented
// promises are checked:
//
//  - every byte sent arrives once and in order (the payload is a known
//    pattern, so each received byte is checked against its position);
//  - final outcomes are final: after failed every call fails (close() after
//    a close() that succeeded returns ok); after truncated recv repeats it
//    and the rest fail; after closed recv repeats it; an empty buffer
//    returns ok only on a usable connection;
//  - a want is returned only when the transport answered a want during
//    that call (the callbacks record theirs);
//  - a send() retried with fewer bytes than the one that wanted fails with
//    errc::send_retry_mismatch;
//  - a callback's exception leaves through the call that ran it, and fails
//    the connection with errc::callback_threw;
//  - a connection destroyed or replaced from inside its callback makes the
//    running call return failed (ASan watches the memory);
//  - nothing leaks (LeakSanitizer, after each input).
//
// Input: byte 0 picks the config (TLS 1.3 or 1.2, with or without client
// certificates); then each operation takes a byte (and its arguments a few
// more) from the front, and each callback takes its decision from the back
// (FuzzedDataProvider). When the input runs out, callbacks move bytes
// normally and the program ends with a check that every byte sent on an
// untouched pair arrived.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace tlspp::fuzz {
namespace {

// ---------------------------------------------------------------------------
// Configs, built once.

struct config_pair {
  config client;
  config server;
};

/// 0: TLS 1.3 (the default protocols), 1: TLS 1.2, 2: TLS 1.3 with a
/// required client certificate, 3: the same in TLS 1.2.
const config_pair& configs(int variant) {
  static const std::array<config_pair, 4> all = [] {
    const auto make = [](bool tls12, bool client_cert) {
      config_options c{.ca_file = pki_path("ca-bundle.pem")};
      config_options s{.key_file = pki_path("server-ecdsa.key"),
                       .cert_file = pki_path("server-ecdsa-chain.pem")};
      if (tls12) c.protocols = s.protocols = protocol::tlsv1_2;
      if (client_cert) {
        c.key_file = pki_path("client.key");
        c.cert_file = pki_path("client-chain.pem");
        s.ca_file = pki_path("ca-bundle.pem");
        s.verify_client = true;
      }
      return config_pair{setup_config(c, "client"), setup_config(s, "server")};
    };
    return std::array<config_pair, 4>{make(false, false), make(true, false), make(false, true),
                                      make(true, true)};
  }();
  return all[static_cast<std::size_t>(variant) & 3u];
}

// ---------------------------------------------------------------------------
// The payload: byte `pos` of a direction's stream is known, so the receiver
// checks order, duplicates and loss without keeping what was sent.

std::byte pattern(std::size_t pos, unsigned salt) {
  return static_cast<std::byte>((pos * 7 + pos / 251 + salt * 101) & 0xffu);
}

/// One direction of a pair, as the fuzz program accounts for it.
struct stream_account {
  unsigned salt = 0;
  /// Bytes the sender's send() reported sent.
  std::size_t sent = 0;
  /// The size of a send() that wanted I/O and is not yet retried: libtls
  /// may have put up to that many bytes on the wire already.
  std::size_t in_flight = 0;
  /// Bytes the receiver's recv() delivered, each checked.
  std::size_t received = 0;
};

/// One wire: bytes written by one side, not yet read by the other.
struct wire {
  std::vector<std::byte> bytes;
  std::size_t head = 0;
  /// Reads past the data answer end of stream (the input cut the wire).
  bool ended = false;
  /// Every call fails (the input broke the wire).
  bool broken = false;
};

// What the driver expects of a connection, from what its calls returned.
struct model {
  /// connect() or accept() gave it a transport.
  bool connected = false;
  bool moved_from = false;
  bool handshake_done = false;
  bool close_done = false;
  /// recv() returned closed.
  bool peer_closed = false;
  enum class end : std::uint8_t { none, failed, truncated } fin = end::none;
  /// The size of the send() that wanted I/O; its retry must offer as much.
  std::size_t pending_send = 0;
};

bool quiet = false;  ///< callbacks just move bytes (input exhausted, or the final check)
FuzzedDataProvider* input = nullptr;

std::uint8_t next_decision() {
  return quiet || input->remaining_bytes() == 0 ? 0 : input->ConsumeIntegral<std::uint8_t>();
}

struct endpoint;

/// The transport of one endpoint. Its answers come from the input; it
/// records the wants it answered so that the driver can check that a want
/// the tlspp call returns is one of them.
class wire_io final : public transport {
 public:
  wire_io(endpoint& owner, wire& in, wire& out) : owner_{owner}, in_{in}, out_{out} {}

  transfer read(std::span<std::byte> buffer) override;
  transfer write(std::span<const std::byte> buffer) override;

  /// Bits 1 (want_recv) and 2 (want_send): the wants answered since reset.
  unsigned wants = 0;

 private:
  static constexpr std::size_t unlimited = static_cast<std::size_t>(-1);
  enum class act : std::uint8_t { move, want_recv, want_send, nothing_now, fail, end };
  struct decision {
    act action;
    std::size_t cap;  ///< for move: at most this many bytes; for fail: the errno
  };
  decision decide(bool reading, std::size_t size);
  transfer answer(const decision& what, bool reading);

  endpoint& owner_;
  wire& in_;
  wire& out_;
  bool wanted_last_ = false;
};

/// A transport the connection owns, forwarding to the endpoint's.
class owned_forwarder final : public transport {
 public:
  explicit owned_forwarder(wire_io& io) : io_{io} {}
  transfer read(std::span<std::byte> b) override { return io_.read(b); }
  transfer write(std::span<const std::byte> b) override { return io_.write(b); }

 private:
  wire_io& io_;
};

struct fuzz_pair;

/// One side of a pair: two slots a connection can live in (moves go from
/// one to the other), the model of each, and the transport.
struct endpoint {
  bool is_client = false;
  fuzz_pair* pair = nullptr;
  /// First, so that it outlives the connections that borrow it.
  std::unique_ptr<wire_io> io;
  std::optional<tlspp::client> clients[2];
  std::optional<tlspp::server_connection> servers[2];
  model models[2];
  int active = 0;

  // --- during a call of this endpoint's connection -------------------------
  int calls_running = 0;
  /// The callback destroyed or replaced the connection: the call returns
  /// failed and the callbacks leave it alone.
  bool replaced_in_call = false;
  /// What the callback threw that must come out of the call.
  enum class thrown : std::uint8_t { none, busy, runtime } expect_thrown = thrown::none;

  connection* at(int slot) {
    if (is_client) return clients[slot] ? &*clients[slot] : nullptr;
    return servers[slot] ? &*servers[slot] : nullptr;
  }
  connection* current() { return at(active); }
  model& current_model() { return models[active]; }
  void destroy_current() {
    clients[active].reset();
    servers[active].reset();
    models[active] = {};
  }
};

struct fuzz_pair {
  unsigned index = 0;
  wire to_server;
  wire to_client;
  stream_account up;    ///< client to server
  stream_account down;  ///< server to client
  endpoint client_end;
  endpoint server_end;
  /// The pair has had its first session (pairs start when first used).
  bool started = false;
  /// Both connections are the ones that began this session: the byte
  /// accounting holds. A reset, reconnect, new accept or destruction ends it.
  bool intact = true;

  stream_account& outgoing(const endpoint& e) { return &e == &client_end ? up : down; }
  stream_account& incoming(const endpoint& e) { return &e == &client_end ? down : up; }
  endpoint& peer(const endpoint& e) { return &e == &client_end ? server_end : client_end; }
};

struct world {
  int variant = 0;
  std::optional<tlspp::server> server;
  fuzz_pair pairs[2];
  int depth = 0;  ///< calls of the driver running, nested from callbacks
  /// Bytes the wires carried, to tell a pair that talks from one that waits.
  std::size_t bytes_moved = 0;
};
world* the_world = nullptr;

void trace(const char* format, auto... args) {
  if (verbose()) {
    std::fprintf(stderr, "tlspp fuzz: ");
    std::fprintf(stderr, format, args...);
    std::fprintf(stderr, "\n");
  }
}

// ---------------------------------------------------------------------------
// Connecting.

/// Connects the endpoint's client (in its active slot) over its transport,
/// passed borrowed, owned or as two lambdas, as `how` says.
void connect_client(endpoint& e, std::uint8_t how, std::string_view name) {
  tlspp::client& c = *e.clients[e.active];
  wire_io& io = *e.io;
  switch (how % 3) {
    case 0:
      c.connect(name, io);
      break;
    case 1:
      c.connect(name, std::make_unique<owned_forwarder>(io));
      break;
    default:
      c.connect(
          name, [&io](std::span<std::byte> b) { return io.read(b); },
          [&io](std::span<const std::byte> b) { return io.write(b); });
  }
}

tlspp::server_connection accept_over(endpoint& e, std::uint8_t how) {
  tlspp::server& srv = *the_world->server;
  wire_io& io = *e.io;
  switch (how % 3) {
    case 0:
      return srv.accept(io);
    case 1:
      return srv.accept(std::make_unique<owned_forwarder>(io));
    default:
      return srv.accept([&io](std::span<std::byte> b) { return io.read(b); },
                        [&io](std::span<const std::byte> b) { return io.write(b); });
  }
}

/// A fresh session on pair `p`: new connections on both sides, empty wires.
void new_session(fuzz_pair& p, std::uint8_t how) {
  for (endpoint* e : {&p.client_end, &p.server_end}) {
    for (int slot = 0; slot < 2; ++slot) {
      e->active = slot;
      e->destroy_current();
    }
    e->active = 0;
  }
  p.to_server = {};
  p.to_client = {};
  p.up = stream_account{.salt = p.index * 2};
  p.down = stream_account{.salt = p.index * 2 + 1};
  p.client_end.clients[0].emplace(configs(the_world->variant).client);
  connect_client(p.client_end, how, "localhost");
  p.client_end.models[0].connected = true;
  if (the_world->server) {
    p.server_end.servers[0].emplace(accept_over(p.server_end, how >> 2));
    p.server_end.models[0].connected = true;
  }
  p.intact = true;
  p.started = true;
}

// ---------------------------------------------------------------------------
// The checked calls.

enum class call { handshake, recv, send, close };

const char* name_of(call k) {
  switch (k) {
    case call::handshake:
      return "handshake()";
    case call::recv:
      return "recv()";
    case call::send:
      return "send()";
    case call::close:
      return "close()";
  }
  return "?";
}

/// What the model says `k` must return, when it knows.
std::optional<io_status> expected(const model& m, call k, std::size_t size) {
  if (k == call::close && m.close_done) return io_status::ok;
  if (m.fin == model::end::failed) return io_status::failed;
  if (m.fin == model::end::truncated) {
    return k == call::recv ? io_status::truncated : io_status::failed;
  }
  if (k == call::recv && m.peer_closed) return io_status::closed;
  if ((k == call::recv || k == call::send) && size == 0) return io_status::ok;
  if (!m.connected) return io_status::failed;
  if (k == call::send && size < m.pending_send) return io_status::failed;
  return std::nullopt;
}

void expect_busy(const char* what, auto&& reenter) {
  try {
    reenter();
  } catch (const error& e) {
    if (e.code() != errc::busy) fail(what, std::string{"threw "} + e.what() + " instead of busy");
    return;
  }
  fail(what, "from inside the connection's own callback did not throw errc::busy");
}

/// Calls `k` on the endpoint's current connection and checks the result
/// against the model; then updates the model and the byte accounting.
io_result checked_call(endpoint& e, call k, std::size_t size) {
  connection* c = e.current();
  if (c == nullptr) return io_result{io_status::failed, 0};
  fuzz_pair& p = *e.pair;
  model& m = e.current_model();
  const char* what = name_of(k);

  if (m.moved_from) {
    try {
      std::byte b[1];
      switch (k) {
        case call::handshake:
          (void)c->handshake();
          break;
        case call::recv:
          (void)c->recv(b);
          break;
        case call::send:
          (void)c->send(std::string_view{"x"});
          break;
        case call::close:
          (void)c->close();
          break;
      }
    } catch (const error& ex) {
      if (ex.code() != errc::moved_from)
        fail(what, "on a moved-from connection threw another error");
      return io_result{io_status::failed, 0};
    }
    fail(what, "on a moved-from connection did not throw errc::moved_from");
  }

  // The call may move the connection to another slot (a callback moved
  // it): what it expects comes from the model as it was.
  const model before = m;
  const std::optional<io_status> expect = expected(before, k, size);
  const bool retry_too_short = k == call::send && size > 0 && size < before.pending_send &&
                               before.fin == model::end::none && before.connected;
  stream_account& out = p.outgoing(e);
  stream_account& in = p.incoming(e);

  std::vector<std::byte> buffer(size);
  if (k == call::send) {
    for (std::size_t i = 0; i < size; ++i) buffer[i] = pattern(out.sent + i, out.salt);
  }

  e.io->wants = 0;
  e.replaced_in_call = false;
  e.expect_thrown = endpoint::thrown::none;
  ++e.calls_running;
  ++the_world->depth;
  io_result r{};
  bool threw = false;
  try {
    switch (k) {
      case call::handshake:
        r = c->handshake();
        break;
      case call::recv:
        r = c->recv(buffer);
        break;
      case call::send:
        r = c->send(std::span<const std::byte>{buffer});
        break;
      case call::close:
        r = c->close();
        break;
    }
  } catch (const error& ex) {
    if (e.expect_thrown != endpoint::thrown::busy || ex.code() != errc::busy) {
      fail(what, std::string{"threw unexpectedly: "} + ex.what());
    }
    threw = true;
  } catch (const std::runtime_error& ex) {
    if (e.expect_thrown != endpoint::thrown::runtime) {
      fail(what, std::string{"threw unexpectedly: "} + ex.what());
    }
    threw = true;
  }
  --the_world->depth;
  --e.calls_running;
  trace("pair %u %s %s(%zu) -> %s %zu%s %s", p.index, e.is_client ? "client" : "server", what, size,
        to_string(r.status), r.bytes, threw ? " (threw)" : "",
        e.current() != nullptr ? e.current()->error_message().c_str() : "");

  if (e.replaced_in_call) {
    // Destroyed or replaced from inside its own callback: the running call
    // returns failed, unless a callback's exception came out first.
    if (!threw && r.status != io_status::failed) {
      fail(what, std::string{"returned "} + to_string(r.status) +
                     " after its connection was destroyed by its callback");
    }
    e.replaced_in_call = false;
    return r;
  }
  // The connection may have moved slots during the call (a callback moved it).
  c = e.current();
  model& now = e.current_model();
  if (e.expect_thrown != endpoint::thrown::none && !threw) {
    // A callback's exception is only seen if libtls called back again
    // after it; once thrown it must come out of the call.
    fail(what, "returned although its callback threw");
  }
  e.expect_thrown = endpoint::thrown::none;
  if (threw) {
    if (c->error_code() != errc::callback_threw) {
      fail(what, "a callback threw but the connection is not failed with callback_threw");
    }
    now.fin = model::end::failed;
    return io_result{io_status::failed, 0};
  }

  // --- what every result promises -----------------------------------------
  if (r.status != io_status::ok && r.bytes != 0) fail(what, "a byte count with a non-ok status");
  if (r.ok() && r.bytes > size && k != call::handshake && k != call::close) {
    fail(what, "reported more bytes than asked");
  }
  if (r.ok() && k == call::send && size > 0 && r.bytes == 0) fail(what, "ok without a byte");
  if (r.status == io_status::want_recv && (e.io->wants & 1u) == 0) {
    fail(what, "returned want_recv although the transport never answered want_recv");
  }
  if (r.status == io_status::want_send && (e.io->wants & 2u) == 0) {
    fail(what, "returned want_send although the transport never answered want_send");
  }
  if (expect && r.status != *expect) {
    fail(what, std::string{"returned "} + to_string(r.status) + ", the model expects " +
                   to_string(*expect));
  }
  if (retry_too_short && c->error_code() != errc::send_retry_mismatch) {
    fail(what, "a shorter retry did not fail with send_retry_mismatch");
  }
  if (r.status == io_status::failed || r.status == io_status::truncated) {
    if (!c->error_code() || c->error_message().empty()) fail(what, "failed without a reason");
    if (c->error_code() == errc::backend_stalled) fail(what, "the backend stalled");
    if (r.status == io_status::truncated && c->error_code() != errc::truncated) {
      fail(what, "truncated with another error code");
    }
  } else if (before.fin == model::end::none &&
             !(k == call::close && r.ok() && !before.handshake_done) && c->error_code()) {
    fail(what, "a usable connection reports an error code");
  }
  if (r.ok() && k == call::handshake) {
    if (!c->handshake_done()) fail(what, "ok but handshake_done() is false");
    try {
      (void)c->info();
    } catch (const error& ex) {
      fail("info() after a completed handshake threw", ex.what());
    }
  }

  // --- the model -------------------------------------------------------------
  if (c->handshake_done()) now.handshake_done = true;
  switch (r.status) {
    case io_status::failed:
      // A truncated connection stays truncated for recv.
      if (now.fin == model::end::none) now.fin = model::end::failed;
      break;
    case io_status::truncated:
      now.fin = model::end::truncated;
      break;
    case io_status::closed:
      now.peer_closed = true;
      if (p.intact && in.received < in.sent) {
        fail("recv() returned closed", "before every byte the peer sent had arrived");
      }
      break;
    case io_status::ok:
      if (k == call::close) {
        if (!now.close_done && !now.handshake_done) now.fin = model::end::failed;
        now.close_done = true;
      }
      break;
    default:
      break;
  }
  if (k == call::send && now.fin == model::end::none) {
    if (r.want_io()) {
      now.pending_send = size;
      out.in_flight = std::max(out.in_flight, size);
    } else if (r.ok() && size > 0) {
      now.pending_send = 0;
      out.sent += r.bytes;
      out.in_flight = 0;
    }
  }
  if (k == call::recv && r.ok() && p.intact) {
    for (std::size_t i = 0; i < r.bytes; ++i) {
      if (buffer[i] != pattern(in.received + i, in.salt)) {
        fail("recv()", "a byte arrived out of order, twice, or was never sent");
      }
    }
    in.received += r.bytes;
    if (in.received > in.sent + in.in_flight) fail("recv()", "more bytes arrived than were sent");
  }
  return r;
}

// ---------------------------------------------------------------------------
// The callbacks, and what they may do to their own connection.

/// From inside a callback of `e`'s connection: one of the things a
/// callback may try on its own connection, or on the peer's.
void reenter(endpoint& e, std::uint8_t action) {
  connection* c = e.current();
  if (c == nullptr || e.replaced_in_call || e.calls_running == 0) return;
  if (e.expect_thrown != endpoint::thrown::none) return;
  std::byte b[16];
  trace("pair %u %s callback: action %u", e.pair->index, e.is_client ? "client" : "server",
        action % 13u);
  switch (action % 13) {
    case 0:
      expect_busy("handshake()", [&] { (void)c->handshake(); });
      break;
    case 1:
      expect_busy("recv()", [&] { (void)c->recv(b); });
      break;
    case 2:
      expect_busy("send()", [&] { (void)c->send(std::string_view{"nested"}); });
      break;
    case 3:
      expect_busy("close()", [&] { (void)c->close(); });
      break;
    case 4:
      if (e.is_client) {
        expect_busy("client::reset()",
                    [&] { e.clients[e.active]->reset(configs(the_world->variant).client); });
      } else {
        expect_busy("recv() of nothing", [&] { (void)c->recv({}); });
      }
      break;
    case 5:
      if (e.is_client) {
        expect_busy("client::connect()", [&] { connect_client(e, action >> 4, "localhost"); });
      } else {
        expect_busy("send() of nothing", [&] { (void)c->send(std::string_view{}); });
      }
      break;
    case 6:
      // The busy error leaves the callback: the outer call rethrows it.
      e.expect_thrown = endpoint::thrown::busy;
      (void)c->recv(b);
      fail("recv() from inside the callback", "did not throw");
    case 7:
      e.expect_thrown = endpoint::thrown::runtime;
      throw std::runtime_error{"a callback's own exception"};
    case 8:
      // Destroyed from inside: safe, the running call returns failed.
      e.destroy_current();
      e.replaced_in_call = true;
      e.pair->intact = false;
      break;
    case 9: {
      // Moved to the other slot: the running call goes on with it.
      const int other = 1 - e.active;
      if (e.is_client) {
        e.clients[other].emplace(std::move(*e.clients[e.active]));
      } else {
        e.servers[other].emplace(std::move(*e.servers[e.active]));
      }
      e.models[other] = e.models[e.active];
      e.models[e.active] = model{.moved_from = true};
      e.active = other;
      break;
    }
    case 10:
      // Move-assigned over from inside: the old state is freed after the
      // running call, which returns failed.
      if (e.is_client) {
        *e.clients[e.active] = tlspp::client{configs(the_world->variant).client};
        e.current_model() = model{};
      } else if (the_world->server) {
        *e.servers[e.active] = accept_over(e, action >> 4);
        e.current_model() = model{.connected = true};
      } else {
        break;
      }
      e.replaced_in_call = true;
      e.pair->intact = false;
      break;
    case 11:
      // Reading its own state is allowed.
      (void)c->handshake_done();
      (void)c->error_code();
      (void)c->error_message();
      (void)c->native_handle();
      break;
    default: {
      // A call on the peer's connection (another context: allowed).
      if (the_world->depth > 1) break;
      endpoint& peer = e.pair->peer(e);
      if (peer.calls_running > 0) break;
      (void)checked_call(peer, (action >> 4) % 2 == 0 ? call::handshake : call::recv, 512);
      break;
    }
  }
}

wire_io::decision wire_io::decide(bool reading, std::size_t size) {
  static constexpr std::size_t caps[] = {unlimited, 1, 2, 5, 13, 100, 517, 4096};
  const std::uint8_t d = next_decision();
  const bool may_want = !wanted_last_ && size > 0;
  wanted_last_ = false;
  if (d < 160) return {act::move, caps[d % 8]};
  if (d < 208 && may_want) {
    // Never two wants in a row, so that every other call moves bytes.
    wanted_last_ = true;
    if (d < 176) return {act::want_recv, 0};
    if (d < 192) return {act::want_send, 0};
    return {act::nothing_now, 0};
  }
  if (d >= 208 && d < 232) {
    reenter(owner_, next_decision());
    return {act::move, unlimited};
  }
  if (d >= 232 && d < 244) return {act::fail, (d & 1u) != 0 ? std::size_t{ECONNRESET} : 0};
  if (d >= 244 && reading) return {act::end, 0};
  return {act::move, unlimited};
}

transfer wire_io::answer(const decision& what, bool reading) {
  switch (what.action) {
    case act::want_recv:
      wants |= 1u;
      return transfer::want_recv();
    case act::want_send:
      wants |= 2u;
      return transfer::want_send();
    case act::nothing_now:
      // bytes(0): "nothing now", a want in the callback's own direction.
      wants |= reading ? 1u : 2u;
      return transfer::bytes(0);
    case act::fail:
      (reading ? in_ : out_).broken = true;
      return transfer::failed(static_cast<int>(what.cap));
    case act::end:
      in_.ended = true;
      return transfer::end_of_stream();
    case act::move:
      break;
  }
  return transfer::bytes(0);
}

transfer wire_io::read(std::span<std::byte> buffer) {
  if (in_.broken) return transfer::failed(EPIPE);
  const decision what = decide(true, buffer.size());
  if (what.action != act::move) return answer(what, true);
  if (in_.broken) return transfer::failed(EPIPE);  // a nested call broke it
  const std::size_t available = in_.bytes.size() - in_.head;
  if (available == 0) {
    if (in_.ended) return transfer::end_of_stream();
    wants |= 1u;
    return transfer::want_recv();
  }
  const std::size_t n = std::min({available, buffer.size(), what.cap});
  std::copy_n(in_.bytes.begin() + static_cast<std::ptrdiff_t>(in_.head), n, buffer.begin());
  in_.head += n;
  the_world->bytes_moved += n;
  if (in_.head == in_.bytes.size()) {
    in_.bytes.clear();
    in_.head = 0;
  }
  return transfer::bytes(n);
}

transfer wire_io::write(std::span<const std::byte> buffer) {
  if (out_.broken) return transfer::failed(EPIPE);
  const decision what = decide(false, buffer.size());
  if (what.action != act::move) return answer(what, false);
  if (out_.broken) return transfer::failed(EPIPE);
  const std::size_t n = std::min(buffer.size(), what.cap);
  // After a cut the peer reads no more: what is written is lost, as a man
  // in the middle who cut the stream would lose it.
  if (!out_.ended) {
    out_.bytes.insert(out_.bytes.end(), buffer.begin(),
                      buffer.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return transfer::bytes(n);
}

// ---------------------------------------------------------------------------
// The program.

/// The program's next byte, from the front (the callbacks take theirs from
/// the back).
std::uint8_t op_byte() {
  std::uint8_t b = 0;
  input->ConsumeData(&b, 1);
  return b;
}

std::size_t size_arg() {
  static constexpr std::size_t sizes[] = {0, 1, 3, 64, 1000, 4096, 16384, 20000};
  return sizes[op_byte() % 8];
}

/// Both handshakes of `p`, in turn, until neither wants I/O or nothing
/// moves any more (a side waits for a peer that failed).
void drive_pair(fuzz_pair& p) {
  for (int round = 0, idle = 0; round < 64 && idle < 3; ++round) {
    const std::size_t moved = the_world->bytes_moved;
    bool wanted = false;
    for (endpoint* e : {&p.client_end, &p.server_end}) {
      if (e->current() == nullptr || e->current_model().fin != model::end::none ||
          e->current_model().handshake_done || !e->current_model().connected) {
        continue;
      }
      wanted = checked_call(*e, call::handshake, 0).want_io() || wanted;
    }
    if (!wanted) return;
    idle = the_world->bytes_moved == moved ? idle + 1 : 0;
  }
}

/// `e` sends, its peer receives (a few times: the data may take more than
/// one record, and the peer may have to finish its handshake first).
void exchange(endpoint& e, std::size_t size) {
  (void)checked_call(e, call::send, size);
  endpoint& peer = e.pair->peer(e);
  for (int i = 0; i < 4; ++i) {
    const io_result r = checked_call(peer, call::recv, 16384);
    if (!r.ok() && !r.want_io()) return;
  }
}

void client_connect(endpoint& e, std::uint8_t arg) {
  if (e.current() == nullptr) return;
  model& m = e.current_model();
  static const std::string nul_name{"localhost\0.attacker.test", 24};
  static const std::string long_name(300, 'a');
  const std::string_view names[] = {"localhost", "", nul_name, long_name, "other.test"};
  const std::string_view name = names[arg % 5];
  const bool bad_name = arg % 5 == 2 || arg % 5 == 3;
  // No name with verification on: libretls refuses it at once ("server name
  // not specified"), LibreSSL at the handshake.
  const bool may_refuse = name.empty();
  try {
    connect_client(e, static_cast<std::uint8_t>(arg >> 3), name);
  } catch (const error& ex) {
    const errc want = m.connected ? errc::misuse : errc::invalid_argument;
    if ((m.connected || bad_name || may_refuse) && ex.code() == want) {
      // Refused by libtls (not by tlspp's own checks of the name, which
      // come first): the client forgot its previous connection, and its
      // failure with it.
      if (may_refuse && !m.connected) m = model{};
      return;
    }
    fail("client::connect()", std::string{"threw "} + ex.what());
  }
  if (m.connected) fail("client::connect()", "connected twice without a reset");
  if (bad_name) fail("client::connect()", "accepted a name with a NUL byte or over 254 bytes");
  m = model{.connected = true};
  e.pair->intact = false;
}

/// A moved-from connection reports no state and throws errc::moved_from
/// from every call.
void use_moved_from(endpoint& e) {
  const int other = 1 - e.active;
  connection* shell = e.at(other);
  if (shell == nullptr || !e.models[other].moved_from) return;
  if (shell->handshake_done() || shell->error_code() || shell->native_handle() != nullptr) {
    fail("a moved-from connection", "reports state");
  }
  const auto expect_moved_from = [](const char* what, auto&& use) {
    try {
      use();
    } catch (const error& ex) {
      if (ex.code() == errc::moved_from) return;
      fail(what, std::string{"on a moved-from connection threw "} + ex.what());
    }
    fail(what, "on a moved-from connection did not throw");
  };
  expect_moved_from("info()", [&] { (void)shell->info(); });
  if (e.is_client) {
    expect_moved_from("client::reset()",
                      [&] { e.clients[other]->reset(configs(the_world->variant).client); });
  }
  const int active = e.active;
  e.active = other;
  (void)checked_call(e, static_cast<call>(op_byte() % 4), 16);
  e.active = active;
}

/// Moves the current connection into the other slot, by construction or
/// by assignment over what is there.
void move_connection(endpoint& e, bool assign) {
  const int other = 1 - e.active;
  if (e.current() == nullptr) return;
  if (e.is_client) {
    if (assign && e.clients[other]) {
      *e.clients[other] = std::move(*e.clients[e.active]);
    } else {
      e.clients[other].emplace(std::move(*e.clients[e.active]));
    }
  } else {
    if (assign && e.servers[other]) {
      *e.servers[other] = std::move(*e.servers[e.active]);
    } else {
      e.servers[other].emplace(std::move(*e.servers[e.active]));
    }
  }
  e.models[other] = e.models[e.active];
  e.models[e.active] = model{.moved_from = true};
  e.active = other;
}

void inspect(endpoint& e) {
  connection* c = e.current();
  if (c == nullptr) return;
  const model& m = e.current_model();
  if (c->handshake_done() != m.handshake_done) fail("handshake_done()", "disagrees with results");
  if (m.handshake_done) {
    try {
      (void)c->info();
      (void)c->peer_cert_contains_name("localhost");
    } catch (const error& ex) {
      fail("info() after the handshake", ex.what());
    }
  }
}

/// The end: on a pair still whole, what each side sent all arrives.
void check_nothing_lost(fuzz_pair& p) {
  if (!p.intact) return;
  struct direction {
    endpoint& receiver;
    const wire& w;
    stream_account& account;
  };
  const direction directions[] = {{p.server_end, p.to_server, p.up},
                                  {p.client_end, p.to_client, p.down}};
  for (const direction& d : directions) {
    connection* c = d.receiver.current();
    const model& m = d.receiver.current_model();
    if (c == nullptr || m.fin != model::end::none || !m.handshake_done || m.peer_closed ||
        d.w.ended || d.w.broken) {
      continue;
    }
    io_result r{};
    for (int i = 0; i < 64 && d.account.received < d.account.sent; ++i) {
      r = checked_call(d.receiver, call::recv, 16384);
      if (!r.ok()) break;
    }
    if (r.status != io_status::failed && d.account.received < d.account.sent) {
      fail("the final recv()", "a byte the peer sent never arrived");
    }
  }
}

void run(FuzzedDataProvider& data) {
  world w;
  the_world = &w;
  w.variant = op_byte() & 3;
  w.server.emplace(configs(w.variant).server);
  for (unsigned i = 0; i < 2; ++i) {
    fuzz_pair& p = w.pairs[i];
    p.index = i;
    p.client_end.is_client = true;
    p.client_end.pair = &p;
    p.server_end.pair = &p;
    p.client_end.io = std::make_unique<wire_io>(p.client_end, p.to_client, p.to_server);
    p.server_end.io = std::make_unique<wire_io>(p.server_end, p.to_server, p.to_client);
  }

  for (int ops = 0; ops < 200 && data.remaining_bytes() > 0; ++ops) {
    const std::uint8_t op = op_byte();
    fuzz_pair& p = w.pairs[(op >> 4) & 1u];
    // A pair starts at its first use: a client context costs libretls a
    // whole SSL_CTX, and most programs need one pair.
    if (!p.started) new_session(p, 0);
    endpoint& e = (op & 0x20u) != 0 ? p.server_end : p.client_end;
    trace("op %u on pair %u %s", op % 16u, p.index, e.is_client ? "client" : "server");
    switch (op % 16) {
      case 0:
        (void)checked_call(e, call::handshake, 0);
        break;
      case 1:
        (void)checked_call(e, call::recv, size_arg());
        break;
      case 2:
        (void)checked_call(e, call::send, size_arg());
        break;
      case 3:
        (void)checked_call(e, call::close, 0);
        break;
      case 4:
        drive_pair(p);
        break;
      case 5:
        exchange(e, size_arg());
        break;
      case 6:
        if (p.client_end.current() != nullptr) {
          p.client_end.clients[p.client_end.active]->reset(configs(w.variant).client);
          p.client_end.current_model() = model{};
          p.intact = false;
        }
        break;
      case 7:
        client_connect(p.client_end, op_byte());
        break;
      case 8:
        if (w.server) {
          p.server_end.destroy_current();
          p.server_end.servers[p.server_end.active].emplace(accept_over(p.server_end, op_byte()));
          p.server_end.current_model() = model{.connected = true};
          p.intact = false;
        }
        break;
      case 9:
        if (e.current() != nullptr) {
          e.destroy_current();
          p.intact = false;
        }
        break;
      case 10:
        move_connection(e, (op & 0x40u) != 0);
        break;
      case 11:
        use_moved_from(e);
        break;
      case 12:
        new_session(p, op_byte());
        break;
      case 13:
        // The server context goes (or is replaced); its connections go on.
        if ((op & 0x40u) != 0) {
          w.server.reset();
        } else {
          w.server.emplace(configs(w.variant).server);
        }
        break;
      case 14: {
        // The man in the middle cuts the wire into `e`, or breaks it.
        wire& into = &e == &p.client_end ? p.to_client : p.to_server;
        ((op & 0x40u) != 0 ? into.broken : into.ended) = true;
        break;
      }
      default:
        inspect(e);
        break;
    }
  }

  quiet = true;
  for (fuzz_pair& p : w.pairs) check_nothing_lost(p);
  quiet = false;
  the_world = nullptr;
}

}  // namespace
}  // namespace tlspp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const tlspp::fuzz::thread_state_release release;
  FuzzedDataProvider provider{data, size};
  tlspp::fuzz::input = &provider;
  tlspp::fuzz::run(provider);
  tlspp::fuzz::input = nullptr;
  return 0;
}
