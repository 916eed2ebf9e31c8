// SPDX-License-Identifier: ISC
// A man in the middle for the tests: a client and a server joined in memory
// (one thread, like memory_link.hpp), with each direction parsed into TLS
// records that a test can drop, inject, replace, split, reorder, duplicate,
// corrupt, or cut the stream at.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tlspp/tlspp.hpp"

namespace tlspp::test {

/// TLS record content types (RFC 8446 section 5.1).
namespace content_type {
inline constexpr std::uint8_t change_cipher_spec = 20;
inline constexpr std::uint8_t alert = 21;
inline constexpr std::uint8_t handshake = 22;
inline constexpr std::uint8_t application_data = 23;
}  // namespace content_type

using record_bytes = std::vector<std::byte>;

/// One record as the sender wrote it: the 5-byte header (content type,
/// legacy version, 16-bit length) and its body.
struct tls_record {
  static constexpr std::size_t header_size = 5;
  record_bytes bytes;
  /// Which flight it belongs to: records written during one call of the
  /// sender share a flight (see record_tap::mark_flight_end).
  std::size_t flight = 0;
  /// A change_cipher_spec went before it in this direction: its body is
  /// encrypted (TLS 1.2 after ChangeCipherSpec; TLS 1.3 after the
  /// compatibility one, which precedes the first encrypted record).
  bool after_change_cipher_spec = false;

  [[nodiscard]] std::uint8_t type() const { return static_cast<std::uint8_t>(bytes[0]); }
  [[nodiscard]] std::size_t body_size() const { return bytes.size() - header_size; }

  /// "handshake(ServerHello, 90 bytes)", "change_cipher_spec(1 byte)",
  /// "application_data(53 bytes)": for failure messages. A handshake record
  /// names its first message while it is readable (before encryption).
  [[nodiscard]] std::string describe() const {
    std::string out;
    switch (type()) {
      case content_type::change_cipher_spec:
        out = "change_cipher_spec";
        break;
      case content_type::alert:
        out = "alert";
        break;
      case content_type::handshake:
        out = "handshake";
        if (body_size() > 0 && !after_change_cipher_spec) {
          out += ":" + handshake_name(static_cast<std::uint8_t>(bytes[5]));
        }
        break;
      case content_type::application_data:
        out = "application_data";
        break;
      default:
        out = "type " + std::to_string(type());
    }
    return out + "(" + std::to_string(body_size()) + " bytes)";
  }

 private:
  static std::string handshake_name(std::uint8_t msg) {
    switch (msg) {
      case 1:
        return "ClientHello";
      case 2:
        return "ServerHello";
      case 4:
        return "NewSessionTicket";
      case 8:
        return "EncryptedExtensions";
      case 11:
        return "Certificate";
      case 12:
        return "ServerKeyExchange";
      case 13:
        return "CertificateRequest";
      case 14:
        return "ServerHelloDone";
      case 15:
        return "CertificateVerify";
      case 16:
        return "ClientKeyExchange";
      case 20:
        return "Finished";
      default:
        return "message " + std::to_string(msg);
    }
  }
};

/// A record built by hand: `type`, legacy version 03 03, `body`.
inline record_bytes make_record(std::uint8_t type, std::initializer_list<std::uint8_t> body) {
  record_bytes r{std::byte{type}, std::byte{3}, std::byte{3},
                 static_cast<std::byte>(body.size() >> 8), static_cast<std::byte>(body.size())};
  for (std::uint8_t b : body) r.push_back(std::byte{b});
  return r;
}

/// A plaintext alert record (level 1 warning, 2 fatal; RFC 8446 section 6).
inline record_bytes forged_alert(std::uint8_t level, std::uint8_t description) {
  return make_record(content_type::alert, {level, description});
}

/// `15 03 03 00 02 01 00`: the plaintext close_notify a man in the middle
/// can write without knowing any key.
inline record_bytes forged_close_notify() { return forged_alert(1, 0); }

/// One direction of the man in the middle. The sender's writes are cut into
/// records; each record goes through the rules set for its index (0 is the
/// first record the sender wrote in this direction) and what comes out is
/// queued for the receiver, in chunks: a read never crosses a chunk, so a
/// record split in two takes at least two reads, as over TCP.
///
/// Rules apply to the sender's records as they are written, so they must be
/// set before the sender writes that record.
class record_tap {
 public:
  // --- rules, by the index of the sender's record --------------------------

  /// The record never arrives.
  void drop(std::size_t index) { plan_at(index).drop = true; }
  /// `bytes` arrive (as one chunk) just before the record.
  void inject_before(std::size_t index, record_bytes bytes) {
    plan_at(index).before.push_back(std::move(bytes));
  }
  /// `bytes` arrive instead of the record.
  void replace(std::size_t index, record_bytes bytes) {
    plan_at(index).drop = true;
    plan_at(index).before.push_back(std::move(bytes));
  }
  /// The record arrives twice in a row.
  void duplicate(std::size_t index) { plan_at(index).duplicate = true; }
  /// The byte at `offset` (from the start of the header) is XORed with
  /// `mask`; an offset past the record's end means its last byte.
  void corrupt(std::size_t index, std::size_t offset, std::byte mask = std::byte{0xff}) {
    plan_at(index).corruptions.emplace_back(offset, mask);
  }
  /// The record is held back and arrives after the next one. The next
  /// record must belong to the same flight, or the receiver waits forever.
  void swap_with_next(std::size_t index) { plan_at(index).swap = true; }
  /// The record arrives in two chunks, the first `at` bytes long.
  void split(std::size_t index, std::size_t at) { plan_at(index).cuts.push_back(at); }
  /// Only the first `size` bytes of the record arrive (with
  /// end_stream_after the same index: the stream ends inside the record).
  void keep_prefix(std::size_t index, std::size_t size) { plan_at(index).prefix = size; }
  /// The record arrives one byte per chunk.
  void byte_by_byte(std::size_t index) { plan_at(index).bytewise = true; }
  /// The stream ends just before the record: it and every later record are
  /// discarded, and the receiver reads end of stream after what came before.
  void end_stream_at(std::size_t index) { plan_at(index).end_stream = true; }
  /// The stream ends just after the record (as it arrives, with keep_prefix:
  /// inside it). Unlike end_stream_at(index + 1), it does not wait for the
  /// sender to write another record, which it may do only after an answer.
  void end_stream_after(std::size_t index) { plan_at(index).end_after = true; }

  // --- at once ------------------------------------------------------------

  /// Queues `bytes` for the receiver now, after what is already queued.
  void inject(record_bytes bytes) { out_.push_back(chunk{std::move(bytes), injected, false}); }
  /// Ends the stream after what is already queued (discarding later writes).
  void end_stream() { ended_ = true; }
  /// The sender's writes fail from now on (EPIPE): its transport broke.
  void break_writes() { broken_ = true; }

  // --- what went through --------------------------------------------------

  /// The records the sender wrote, untouched, in order.
  [[nodiscard]] const std::vector<tls_record>& sent() const { return sent_; }
  /// How many of the sender's records the receiver has read to the end
  /// (one past the index of the last one).
  [[nodiscard]] std::size_t records_read() const { return records_read_; }
  /// Bytes written plus bytes read: what tells a stalled pair from one that
  /// is still talking.
  [[nodiscard]] std::size_t bytes_moved() const { return bytes_moved_; }
  /// Starts a new flight for the records written from now on; called after
  /// each call of the sender.
  void mark_flight_end() {
    if (!sent_.empty() && sent_.back().flight == flight_) ++flight_;
  }

  // --- the transport's two ends --------------------------------------------

  transfer write(std::span<const std::byte> in) {
    if (broken_) return transfer::failed(EPIPE);
    bytes_moved_ += in.size();
    partial_.insert(partial_.end(), in.begin(), in.end());
    for (;;) {
      if (partial_.size() < tls_record::header_size) break;
      const std::size_t body =
          static_cast<std::size_t>(partial_[3]) << 8 | static_cast<std::size_t>(partial_[4]);
      const std::size_t size = tls_record::header_size + body;
      if (partial_.size() < size) break;
      tls_record r{
          record_bytes(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(size)),
          flight_, seen_change_cipher_spec_};
      if (r.type() == content_type::change_cipher_spec) seen_change_cipher_spec_ = true;
      partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(size));
      sent_.push_back(r);
      forward(sent_.size() - 1, std::move(r.bytes));
    }
    return transfer::bytes(in.size());
  }

  transfer read(std::span<std::byte> buffer) {
    if (out_.empty()) return ended_ ? transfer::end_of_stream() : transfer::want_recv();
    chunk& c = out_.front();
    const std::size_t n = std::min(buffer.size(), c.bytes.size() - head_);
    std::copy_n(c.bytes.begin() + static_cast<std::ptrdiff_t>(head_), n, buffer.begin());
    head_ += n;
    bytes_moved_ += n;
    if (head_ == c.bytes.size()) {
      if (c.ends_record && c.origin != injected) {
        records_read_ = std::max(records_read_, c.origin + 1);
      }
      out_.pop_front();
      head_ = 0;
    }
    return transfer::bytes(n);
  }

 private:
  static constexpr std::size_t injected = std::numeric_limits<std::size_t>::max();

  struct plan {
    bool drop = false;
    bool duplicate = false;
    bool swap = false;
    bool bytewise = false;
    bool end_stream = false;
    bool end_after = false;
    std::vector<record_bytes> before;
    std::vector<std::pair<std::size_t, std::byte>> corruptions;
    std::vector<std::size_t> cuts;
    std::optional<std::size_t> prefix;
  };
  struct chunk {
    record_bytes bytes;
    std::size_t origin;  ///< the sender's record index, or `injected`
    bool ends_record;
  };

  plan& plan_at(std::size_t index) { return plans_[index]; }

  /// Applies the record's plan and queues what comes out of it.
  void forward(std::size_t index, record_bytes record) {
    if (ended_) return;
    const auto found = plans_.find(index);
    const plan none;
    const plan& p = found == plans_.end() ? none : found->second;
    if (p.end_stream) {
      ended_ = true;
      held_.clear();  // a record held for a swap never arrives either
      return;
    }
    for (const auto& [offset, mask] : p.corruptions) {
      record[std::min(offset, record.size() - 1)] ^= mask;
    }
    if (p.prefix && *p.prefix < record.size()) {
      record.resize(*p.prefix);
    }
    std::vector<chunk> produced;
    for (const record_bytes& b : p.before) produced.push_back(chunk{b, injected, false});
    const int copies = p.drop ? 0 : p.duplicate ? 2 : 1;
    for (int i = 0; i < copies; ++i) append_pieces(produced, index, record, p);
    if (p.swap) {
      held_ = std::move(produced);
      return;
    }
    out_.insert(out_.end(), produced.begin(), produced.end());
    out_.insert(out_.end(), held_.begin(), held_.end());
    held_.clear();
    if (p.end_after) ended_ = true;
  }

  static void append_pieces(std::vector<chunk>& to, std::size_t index, const record_bytes& record,
                            const plan& p) {
    std::vector<std::size_t> cuts = p.cuts;
    if (p.bytewise) {
      for (std::size_t i = 1; i < record.size(); ++i) cuts.push_back(i);
    }
    std::sort(cuts.begin(), cuts.end());
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
      if (cut <= from || cut >= record.size()) continue;
      to.push_back(chunk{record_bytes(record.begin() + static_cast<std::ptrdiff_t>(from),
                                      record.begin() + static_cast<std::ptrdiff_t>(cut)),
                         index, false});
      from = cut;
    }
    to.push_back(
        chunk{record_bytes(record.begin() + static_cast<std::ptrdiff_t>(from), record.end()), index,
              true});
  }

  std::map<std::size_t, plan> plans_;
  record_bytes partial_;
  std::vector<tls_record> sent_;
  std::size_t flight_ = 0;
  std::deque<chunk> out_;
  std::size_t head_ = 0;
  std::vector<chunk> held_;
  bool ended_ = false;
  bool broken_ = false;
  bool seen_change_cipher_spec_ = false;
  std::size_t records_read_ = 0;
  std::size_t bytes_moved_ = 0;
};

/// A transport reading one tap and writing the other.
class tap_transport final : public transport {
 public:
  tap_transport(record_tap& in, record_tap& out) : in_{in}, out_{out} {}
  transfer read(std::span<std::byte> b) override { return in_.read(b); }
  transfer write(std::span<const std::byte> b) override { return out_.write(b); }

 private:
  record_tap& in_;
  record_tap& out_;
};

/// A client and a server with the man in the middle between them.
/// Construction connects and accepts; nothing moves until handshake().
struct mitm_link {
  record_tap to_server;
  record_tap to_client;
  tap_transport client_io{to_client, to_server};
  tap_transport server_io{to_server, to_client};
  tlspp::client client;
  tlspp::server server;
  tlspp::server_connection accepted;

  mitm_link(const config& client_conf, const config& server_conf,
            std::string_view servername = "localhost")
      : client{client_conf}, server{server_conf}, accepted{server.accept(server_io)} {
    client.connect(servername, client_io);
  }

  /// The last handshake() result of each side.
  io_result client_result{io_status::want_recv, 0};
  io_result server_result{io_status::want_recv, 0};
  /// How many of its peer's records each side had read when its handshake
  /// completed: the records of that direction that belong to the handshake.
  std::optional<std::size_t> client_needed;
  std::optional<std::size_t> server_needed;
  /// The last handshake() stopped because neither side could move.
  bool stalled = false;

  /// Drives both handshakes until both complete, or neither wants I/O any
  /// more (one failed), or both wait and no byte moves (the man in the
  /// middle withholds what they wait for). Bounded: never hangs.
  bool handshake() {
    stalled = false;
    for (int round = 0; round < 1000; ++round) {
      const std::size_t moved = to_server.bytes_moved() + to_client.bytes_moved();
      step(client, client_result, client_needed, to_server, to_client);
      step(accepted, server_result, server_needed, to_client, to_server);
      if (client_result.ok() && server_result.ok()) return true;
      if (!client_result.want_io() && !server_result.want_io()) return false;
      if (moved == to_server.bytes_moved() + to_client.bytes_moved()) {
        stalled = true;
        return false;
      }
    }
    stalled = true;
    return false;
  }

  /// "client: <status> <error> / server: <status> <error>", for failure
  /// messages.
  [[nodiscard]] std::string describe() const {
    return "client: " + std::string{to_string(client_result.status)} + " " +
           client.error_message() + " / server: " + std::string{to_string(server_result.status)} +
           " " + accepted.error_message() + (stalled ? " (stalled)" : "");
  }

 private:
  static void step(connection& c, io_result& result, std::optional<std::size_t>& needed,
                   record_tap& outgoing, const record_tap& incoming) {
    if (!result.want_io()) return;
    result = c.handshake();
    outgoing.mark_flight_end();
    if (result.ok() && !needed) needed = incoming.records_read();
  }
};

}  // namespace tlspp::test
