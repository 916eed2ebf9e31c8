// SPDX-License-Identifier: ISC
#include "tlspp/memory_transport.hpp"

#include <algorithm>
#include <cstring>

#include "tlspp/error.hpp"

namespace tlspp {

memory_transport::memory_transport(std::size_t outbox_limit) : outbox_limit_{outbox_limit} {
  if (outbox_limit == 0) {
    throw error{errc::invalid_argument, "memory_transport: outbox_limit",
                "0 would keep every byte from being sent"};
  }
}

void memory_transport::detached() noexcept {
  pending_ = {};
  pending_filled_ = 0;
  handed_out_pending_ = false;
}

void memory_transport::reset() noexcept {
  *this = memory_transport{outbox_limit_};  // cannot throw: the limit was checked
}

std::span<std::byte> memory_transport::receive_buffer(std::size_t min_size) {
  // Straight into libtls's buffer only while nothing is queued ahead of it,
  // so that bytes stay in the order they arrived.
  handed_out_pending_ = pending_.data() != nullptr && pending_filled_ < pending_.size() &&
                        inbox_head_ == inbox_committed_;
  handed_out_ahead_ = 0;
  if (handed_out_pending_) return pending_.subspan(pending_filled_);
  return inbox_space(min_size);
}

memory_transport::receive_spans memory_transport::receive_buffers() {
  receive_spans spans;
  std::size_t ahead = read_ahead;
  handed_out_pending_ = pending_.data() != nullptr && pending_filled_ < pending_.size() &&
                        inbox_head_ == inbox_committed_;
  if (handed_out_pending_) {
    spans.in_place = pending_.subspan(pending_filled_);
    if (spans.in_place.size() >= large_read) {
      ahead = record_header_size;
    } else if (last_length_ >= large_read) {
      ahead = 0;
    }
  }
  handed_out_ahead_ = ahead;
  if (ahead > 0) spans.ahead = inbox_space(ahead).first(ahead);
  return spans;
}

void memory_transport::follow_records(std::span<const std::byte> bytes) noexcept {
  for (std::size_t i = 0; i < bytes.size();) {
    if (body_left_ > 0) {
      const std::size_t n = std::min(body_left_, bytes.size() - i);
      body_left_ -= n;
      i += n;
      continue;
    }
    if (header_seen_ == 0 && bytes.size() - i >= record_header_size) {
      // A whole header at once: the body's length is in its last two bytes.
      length_ =
          static_cast<std::size_t>(bytes[i + 3]) << 8 | static_cast<std::size_t>(bytes[i + 4]);
      i += record_header_size;
      body_left_ = last_length_ = length_;
      continue;
    }
    const auto b = static_cast<std::size_t>(bytes[i++]);
    if (header_seen_ == 3) length_ = b << 8;
    if (header_seen_ == 4) length_ |= b;
    if (++header_seen_ == record_header_size) {
      header_seen_ = 0;
      body_left_ = last_length_ = length_;
    }
  }
}

std::span<std::byte> memory_transport::inbox_space(std::size_t min_size) {
  if (inbox_head_ > 0) {
    // Slide queued bytes to the front before growing.
    std::memmove(inbox_.data(), inbox_.data() + inbox_head_, inbox_committed_ - inbox_head_);
    inbox_committed_ -= inbox_head_;
    inbox_head_ = 0;
  }
  if (inbox_.size() - inbox_committed_ < min_size) inbox_.resize(inbox_committed_ + min_size);
  return std::span{inbox_}.subspan(inbox_committed_);
}

void memory_transport::commit_received(std::size_t n) {
  std::size_t to_inbox = n;
  std::size_t inbox_room = inbox_.size() - inbox_committed_;
  if (handed_out_pending_) {
    const std::size_t in_place = std::min(n, pending_.size() - pending_filled_);
    to_inbox = n - in_place;
    inbox_room = handed_out_ahead_;
    if (to_inbox <= inbox_room) {
      follow_records(pending_.subspan(pending_filled_, in_place));
      pending_filled_ += in_place;
    }
  }
  if (to_inbox > inbox_room) {
    throw error{errc::misuse, "memory_transport::commit_received",
                "more bytes than receive_buffer() held"};
  }
  follow_records(std::span{inbox_}.subspan(inbox_committed_, to_inbox));
  inbox_committed_ += to_inbox;
}

void memory_transport::receive(std::span<const std::byte> data) {
  // The simple form always queues: its bytes are copies either way.
  handed_out_pending_ = false;
  const std::span<std::byte> space = inbox_space(data.size());
  std::copy(data.begin(), data.end(), space.begin());
  follow_records(data);
  inbox_committed_ += data.size();
}

std::size_t memory_transport::take_from_inbox(std::span<std::byte> buffer) {
  const std::size_t n = std::min(buffer.size(), inbox_committed_ - inbox_head_);
  std::memcpy(buffer.data(), inbox_.data() + inbox_head_, n);
  inbox_head_ += n;
  if (inbox_head_ == inbox_committed_) inbox_head_ = inbox_committed_ = 0;
  return n;
}

transfer memory_transport::read(std::span<std::byte> buffer) {
  if (pending_filled_ > 0) {
    const bool in_place = buffer.data() == pending_.data() && pending_filled_ <= buffer.size() &&
                          !force_buffer_change_;
    std::size_t n = pending_filled_;
    if (in_place) {
      stats_.received_in_place += n;
    } else {
      // libtls moved on to another buffer: copy what the caller put in the
      // old one, and queue whatever does not fit in front of the inbox.
      force_buffer_change_ = false;
      ++stats_.buffer_changes;
      n = std::min(pending_filled_, buffer.size());
      std::memmove(buffer.data(), pending_.data(), n);
      stats_.received_copied += n;
      const std::span<const std::byte> rest = pending_.subspan(n, pending_filled_ - n);
      inbox_.insert(inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_head_), rest.begin(),
                    rest.end());
      inbox_committed_ += rest.size();  // the spare space after it moved along
    }
    pending_ = {};
    pending_filled_ = 0;
    handed_out_pending_ = false;
    return transfer::bytes(n);
  }
  pending_ = {};
  handed_out_pending_ = false;
  if (inbox_head_ < inbox_committed_) {
    const std::size_t n = take_from_inbox(buffer);
    stats_.received_copied += n;
    return transfer::bytes(n);
  }
  if (eof_) return transfer::end_of_stream();
  pending_ = buffer;
  return transfer::want_recv();
}

transfer memory_transport::write(std::span<const std::byte> buffer) {
  const std::size_t queued = outbox_.size() - outbox_head_;
  if (queued >= outbox_limit_) return transfer::want_send();
  const std::size_t n = std::min(buffer.size(), outbox_limit_ - queued);
  if (outbox_head_ == outbox_.size()) {
    outbox_.clear();
    outbox_head_ = 0;
  }
  outbox_.insert(outbox_.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  stats_.sent_copied += n;
  return transfer::bytes(n);
}

void memory_transport::consume_sent(std::size_t n) {
  if (n > outbox_.size() - outbox_head_) {
    throw error{errc::misuse, "memory_transport::consume_sent", "more bytes than to_send() held"};
  }
  outbox_head_ += n;
  if (outbox_head_ == outbox_.size()) {
    outbox_.clear();
    outbox_head_ = 0;
  } else if (outbox_head_ >= 64 * 1024 && outbox_head_ * 2 >= outbox_.size()) {
    outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(outbox_head_));
    outbox_head_ = 0;
  }
}

}  // namespace tlspp
