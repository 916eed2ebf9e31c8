// SPDX-License-Identifier: ISC
// The one in-memory harness of the tests: a client and a server joined by
// two byte queues, driven in one thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "tlspp/tlspp.hpp"

namespace tlspp::test {

/// One direction of the link: what one side wrote and the other has not read.
class byte_queue {
 public:
  /// Limits each read/write to `max_chunk` bytes (1: one byte at a time).
  std::size_t max_chunk = std::numeric_limits<std::size_t>::max();
  /// When set, reads past the data answer end_of_stream instead of want_recv.
  bool eof = false;
  /// Total bytes that went through.
  std::size_t written = 0;

  transfer read(std::span<std::byte> out) {
    const std::size_t available = data_.size() - head_;
    if (available == 0) return eof ? transfer::end_of_stream() : transfer::want_recv();
    const std::size_t n = std::min({available, out.size(), max_chunk});
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(head_), n, out.begin());
    head_ += n;
    if (head_ == data_.size()) {
      data_.clear();
      head_ = 0;
    }
    return transfer::bytes(n);
  }

  transfer write(std::span<const std::byte> in) {
    const std::size_t n = std::min(in.size(), max_chunk);
    data_.insert(data_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    written += n;
    return transfer::bytes(n);
  }

  /// Bytes waiting to be read, for tests that tamper with the stream.
  std::vector<std::byte>& pending() {
    data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
    return data_;
  }
  [[nodiscard]] bool empty() const { return head_ == data_.size(); }

 private:
  std::vector<std::byte> data_;
  std::size_t head_ = 0;
};

/// A transport reading one queue and writing the other.
class queue_transport final : public transport {
 public:
  queue_transport(byte_queue& in, byte_queue& out) : in_{in}, out_{out} {}
  transfer read(std::span<std::byte> b) override { return in_.read(b); }
  transfer write(std::span<const std::byte> b) override { return out_.write(b); }

 private:
  byte_queue& in_;
  byte_queue& out_;
};

/// A connected client/server pair over two byte queues. Construction
/// connects and accepts; nothing moves until handshake() or the I/O calls.
struct memory_link {
  byte_queue to_server;
  byte_queue to_client;
  queue_transport client_io{to_client, to_server};
  queue_transport server_io{to_server, to_client};
  tlspp::client client;
  tlspp::server server;
  tlspp::server_connection accepted;

  memory_link(const config& client_conf, const config& server_conf,
              std::string_view servername = "localhost")
      : client{client_conf}, server{server_conf}, accepted{server.accept(server_io)} {
    client.connect(servername, client_io);
  }

  /// Drives both handshakes until both finish or one fails. The results of
  /// the last calls are kept for the test to inspect.
  io_result client_result;
  io_result server_result;
  bool handshake() {
    for (int round = 0; round < 1000; ++round) {
      if (!client_result.ok() || round == 0) client_result = client.handshake();
      if (!server_result.ok() || round == 0) server_result = accepted.handshake();
      const bool client_stuck = client_result.status == io_status::failed;
      const bool server_stuck = server_result.status == io_status::failed;
      if (client_stuck || server_stuck) return false;
      if (client_result.ok() && server_result.ok()) return true;
    }
    return false;
  }

  /// "client: <status> <error> / server: <status> <error>", for failure
  /// messages.
  [[nodiscard]] std::string describe() const {
    return "client: " + std::string{to_string(client_result.status)} + " " +
           client.error_message() + " / server: " + std::string{to_string(server_result.status)} +
           " " + accepted.error_message();
  }

  /// Sends `data` from one side and receives it on the other, alternating
  /// as the queues require. Returns what was received.
  static std::string pump(connection& from, connection& to, std::string_view data,
                          std::size_t recv_size = 16384) {
    std::string received;
    std::vector<std::byte> buffer(recv_size);
    std::size_t sent = 0;
    for (int idle = 0; received.size() < data.size() && idle < 1000;) {
      bool progressed = false;
      if (sent < data.size()) {
        const io_result w = from.send(data.substr(sent));
        if (w.status == io_status::failed) {
          throw error{errc::misuse, "pump send", from.error_message()};
        }
        if (w.ok()) {
          sent += w.bytes;
          progressed = true;
        }
      }
      const io_result r = to.recv(buffer);
      if (r.status == io_status::failed || r.status == io_status::truncated ||
          r.status == io_status::closed) {
        throw error{errc::misuse, "pump recv",
                    std::string{to_string(r.status)} + " " + to.error_message()};
      }
      if (r.ok()) {
        received.append(reinterpret_cast<const char*>(buffer.data()), r.bytes);
        progressed = true;
      }
      idle = progressed ? 0 : idle + 1;
    }
    return received;
  }
};

}  // namespace tlspp::test
