// SPDX-License-Identifier: ISC
// What the fuzz targets share: the test PKI, a scripted peer that feeds a
// connection the fuzzer's bytes, and a driver that checks tlspp's promises
// on every call.
#pragma once

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tlspp/tlspp.hpp"

#if TLSPP_FUZZ_HAVE_OPENSSL
#include <openssl/crypto.h>
#endif

namespace tlspp::fuzz {

/// Stops the run with a message libFuzzer shows above the stack trace:
/// every broken promise is a finding, like a crash.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\ntlspp fuzz: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

/// Frees OpenSSL's per-thread state (its error queue above all) when a run
/// ends. OpenSSL keeps the messages of the last errors until later errors
/// replace them, so a run that fails leaves allocations that the next run
/// frees: no leak, but libFuzzer sees more mallocs than frees and runs
/// LeakSanitizer after nearly every input, which slows fuzz_config five
/// times. With a clean slate each run, a real leak still shows.
struct thread_state_release {
  thread_state_release() = default;
  thread_state_release(const thread_state_release&) = delete;
  thread_state_release& operator=(const thread_state_release&) = delete;
  ~thread_state_release() {
#if TLSPP_FUZZ_HAVE_OPENSSL
    OPENSSL_thread_stop();
#endif
  }
};

/// The build's test PKI (tests/pki/make-pki.sh), or $TLSPP_FUZZ_PKI.
inline std::filesystem::path pki_dir() {
  const char* env = std::getenv("TLSPP_FUZZ_PKI");
  return env != nullptr && *env != '\0' ? std::filesystem::path{env}
                                        : std::filesystem::path{TLSPP_FUZZ_PKI_DIR};
}
inline std::filesystem::path pki_path(std::string_view name) { return pki_dir() / name; }

/// A PKI file's bytes; aborts when it is missing (a setup error, not a finding).
inline std::string pki_read(std::string_view name) {
  std::ifstream in{pki_path(name), std::ios::binary};
  if (!in) {
    fail("missing test PKI file (build the tlspp_fuzz_pki target or set TLSPP_FUZZ_PKI)",
         pki_path(name).string());
  }
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// Builds a config the target needs; a rejection is a setup error.
inline config setup_config(const config_options& options, std::string_view what) {
  try {
    return config{options};
  } catch (const std::exception& e) {
    fail(std::string{"cannot build the "}.append(what).append(" config"), e.what());
  }
}

/// The input of the handshake targets:
///
///   byte 0       flags: bits 0-1 n, the number of chunk sizes that follow;
///                bits 2-3 the config variant (see fuzz_configs.hpp); bit 4
///                the write side also takes bytes in chunks; bit 5 the
///                transport ends with a failure (ECONNRESET) instead of end
///                of stream; bits 6-7 the first call: 0 handshake(), 1
///                recv(), 2 send(), 3 handshake() after a send() of nothing.
///   bytes 1..n   chunk sizes, used in turn by each read (and write): 0 means
///                "nothing yet" (a want; never twice in a row), 255 means
///                "as much as asked", anything else caps the call.
///   the rest     the peer's bytes, delivered in those chunks, then the end.
///
/// An empty input is flags 0 and no bytes.
struct script {
  static constexpr std::uint8_t chunked_writes = 1u << 4;
  static constexpr std::uint8_t ends_with_failure = 1u << 5;
  enum class entry : std::uint8_t { handshake, recv, send, empty_send_then_handshake };

  std::uint8_t flags = 0;
  std::vector<std::uint8_t> chunks;
  std::span<const std::uint8_t> stream;

  explicit script(std::span<const std::uint8_t> input) {
    if (input.empty()) return;
    flags = input[0];
    const std::size_t n = std::min<std::size_t>(flags & 3u, input.size() - 1);
    chunks.assign(input.begin() + 1, input.begin() + 1 + static_cast<std::ptrdiff_t>(n));
    stream = input.subspan(1 + n);
  }
  [[nodiscard]] bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  [[nodiscard]] int variant() const { return (flags >> 2) & 3; }
  [[nodiscard]] entry first_call() const { return static_cast<entry>(flags >> 6); }

  /// Encodes a seed: the variant, other flags and up to 3 chunk sizes, then
  /// the bytes.
  static std::string encode(int variant, std::uint8_t flags,
                            std::span<const std::uint8_t> chunk_sizes, std::string_view bytes) {
    const std::size_t n = std::min<std::size_t>(chunk_sizes.size(), 3);
    std::string out;
    out += static_cast<char>((flags & 0xf0u) | ((variant & 3) << 2) | n);
    for (std::size_t i = 0; i < n; ++i) out += static_cast<char>(chunk_sizes[i]);
    out.append(bytes);
    return out;
  }
};

/// The far side of the connection, replaying a script: reads deliver the
/// fuzzer's bytes, writes are discarded.
class scripted_peer {
 public:
  explicit scripted_peer(const script& s) : script_{s} {}

  transfer read(std::span<std::byte> out) {
    const std::size_t left = script_.stream.size() - read_at_;
    if (left == 0) {
      if (script_.has(script::ends_with_failure)) return transfer::failed(ECONNRESET);
      return transfer::end_of_stream();
    }
    const std::size_t cap = next_cap(read_turn_, read_wanted_);
    if (cap == 0) return transfer::want_recv();
    const std::size_t n = std::min({left, out.size(), cap});
    std::copy_n(reinterpret_cast<const std::byte*>(script_.stream.data()) + read_at_, n,
                out.begin());
    read_at_ += n;
    return transfer::bytes(n);
  }

  transfer write(std::span<const std::byte> in) {
    if (in.empty()) return transfer::bytes(0);
    std::size_t cap = in.size();
    if (script_.has(script::chunked_writes)) cap = next_cap(write_turn_, write_wanted_);
    if (cap == 0) return transfer::want_send();
    const std::size_t n = std::min(in.size(), cap);
    written_ += n;
    return transfer::bytes(n);
  }

  [[nodiscard]] std::size_t bytes_read() const { return read_at_; }
  [[nodiscard]] std::size_t bytes_written() const { return written_; }

 private:
  /// The next chunk cap: 0 for a want, never two wants in a row, so every
  /// other call makes progress.
  std::size_t next_cap(std::size_t& turn, bool& wanted) {
    if (script_.chunks.empty()) return static_cast<std::size_t>(-1);
    const std::uint8_t c = script_.chunks[turn++ % script_.chunks.size()];
    if (c == 0 && !wanted) {
      wanted = true;
      return 0;
    }
    wanted = false;
    return c == 0 || c == 255 ? static_cast<std::size_t>(-1) : c;
  }

  const script& script_;
  std::size_t read_at_ = 0;
  std::size_t read_turn_ = 0;
  std::size_t write_turn_ = 0;
  bool read_wanted_ = false;
  bool write_wanted_ = false;
  std::size_t written_ = 0;
};

/// Coverage that libFuzzer cannot see for itself: libtls and OpenSSL are not
/// instrumented, so every distinct outcome (the call, its status and
/// libtls's message, which names where OpenSSL gave up) and how far into the
/// peer's bytes libtls read are counted here. libFuzzer treats this section
/// as extra coverage: an input that makes the handshake fail somewhere new,
/// or read further, is kept and mutated.
[[gnu::used,
  gnu::section("__libfuzzer_extra_counters")]] inline std::uint8_t outcome_counters[1u << 12];

/// Which config the current input runs with; part of every outcome.
inline int outcome_variant = 0;

inline void note_outcome(std::string_view what, std::uint64_t detail) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (const char ch : what) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  h = (h ^ detail) * 1099511628211ull;
  h = (h ^ static_cast<std::uint64_t>(outcome_variant)) * 1099511628211ull;
  std::uint8_t& counter = outcome_counters[h % sizeof outcome_counters];
  if (counter != 255) ++counter;
}

/// With TLSPP_FUZZ_VERBOSE set, every result is printed: for triage, and to
/// see how far a seed gets.
inline bool verbose() {
  static const bool on = std::getenv("TLSPP_FUZZ_VERBOSE") != nullptr;
  return on;
}

/// Checks what every io_result of `c` promises, whatever the call: a
/// failed or truncated result leaves a code and a message on the
/// connection (truncated: errc::truncated).
inline void check_result(const connection& c, const io_result& r, std::string_view call) {
  const bool carries_error = r.status == io_status::failed || r.status == io_status::truncated;
  const std::string& message = c.error_message();
  note_outcome(std::string{call}.append(to_string(r.status)).append(carries_error ? message : ""),
               0);
  if (verbose()) {
    std::fprintf(stderr, "tlspp fuzz: %.*s -> %s %zu %s\n", static_cast<int>(call.size()),
                 call.data(), to_string(r.status), r.bytes, message.c_str());
  }
  if (carries_error && (message.empty() || !c.error_code())) {
    fail(std::string{call}.append(" returned ").append(to_string(r.status)),
         "without an error code and message on the connection");
  }
  if (r.status == io_status::truncated && c.error_code() != errc::truncated) {
    fail(std::string{call}.append(" returned truncated"),
         "but the connection's error_code() is " + c.error_code().message());
  }
  if (r.status != io_status::ok && r.bytes != 0) {
    fail(std::string{call}.append(" returned ").append(to_string(r.status)), "with a byte count");
  }
}

/// A failed connection stays failed: every call says so (but close() after
/// a close() that succeeded, which returns ok again, and recv() after the
/// stream was cut, which keeps saying truncated).
inline void check_stays_failed(connection& c, std::string_view after, bool closed = false,
                               bool cut = false) {
  std::byte buffer[64];
  const auto expect_failed = [&](const io_result& r, std::string_view call) {
    check_result(c, r, call);
    const io_status expected = cut && call == "recv()" ? io_status::truncated : io_status::failed;
    if (r.status != expected) {
      fail(std::string{call}
               .append(" after ")
               .append(after)
               .append(" returned ")
               .append(to_string(r.status)),
           "a failed connection must stay failed");
    }
  };
  expect_failed(c.handshake(), "handshake()");
  expect_failed(c.recv(buffer), "recv()");
  expect_failed(c.send(std::string_view{"x"}), "send()");
  if (!closed) expect_failed(c.close(), "close()");
}

/// The calls of drive(), in the order the script asks.
inline void drive_calls(connection& c, const script& s, const scripted_peer& peer) {
  std::byte buffer[4096];
  try {
    io_result r;
    // The peer never answers "want" twice in a row in one direction, so
    // any two calls that return a want move some bytes. Calls that move
    // none, many times over, mean the connection spins.
    std::size_t idle_calls = 0;
    std::size_t last_progress = 0;
    const auto bounded = [&](std::string_view call) {
      const std::size_t progress = peer.bytes_read() + peer.bytes_written();
      idle_calls = progress == last_progress ? idle_calls + 1 : 0;
      last_progress = progress;
      if (idle_calls > 16) fail(std::string{call}, "no progress: the connection spins");
    };

    // 1. The handshake, through the entry point the script chose.
    if (s.first_call() == script::entry::empty_send_then_handshake) {
      r = c.send(std::span<const std::byte>{});
      if (!r.ok()) fail("send() of nothing did not return ok", to_string(r.status));
    }
    constexpr std::string_view request = "GET / HTTP/1.0\r\n\r\n";
    std::string_view call = "handshake()";
    do {
      bounded(call);
      std::size_t asked = 0;
      switch (s.first_call()) {
        case script::entry::recv:
          call = "recv()";
          asked = sizeof buffer;
          r = c.recv(buffer);
          break;
        case script::entry::send:
          call = "send()";
          asked = request.size();
          r = c.send(request);
          if (r.ok() && r.bytes == 0) fail(call, "ok without sending a byte");
          break;
        default:
          r = c.handshake();
      }
      check_result(c, r, call);
      if (r.ok() && r.bytes > asked) fail(call, "reported more bytes than asked");
    } while (r.want_io());

    if (r.status == io_status::failed) {
      if (c.handshake_done() && call == "handshake()") fail(call, "failed but reports done");
      check_stays_failed(c, call);
      return;
    }
    if (r.ok()) {
      if (!c.handshake_done()) fail(call, "succeeded but handshake_done() is false");
      (void)c.info();  // must not throw once the handshake is done
      // 2. Whatever the peer sends next, to its end.
      do {
        bounded("recv()");
        r = c.recv(buffer);
        check_result(c, r, "recv()");
        if (r.ok() && r.bytes > sizeof buffer) fail("recv()", "reported more bytes than asked");
      } while (r.ok() || r.want_io());
      if (r.status == io_status::failed) {
        check_stays_failed(c, "recv()");
        return;
      }
    }

    // 3. close(): after a clean or cut end, or a recv() that ended the
    // handshake with the stream.
    const bool cut = r.status == io_status::truncated;
    do {
      bounded("close()");
      r = c.close();
      check_result(c, r, "close()");
    } while (r.want_io());
    if (r.ok()) {
      const io_result again = c.close();
      if (!again.ok()) fail("close() after a successful close()", to_string(again.status));
      if (!c.handshake_done())
        check_stays_failed(c, "close() before the handshake completed", true);
    } else if (r.status == io_status::failed) {
      check_stays_failed(c, "close()", false, cut);
    }
  } catch (const std::exception& e) {
    fail("an exception escaped a connection call", e.what());
  }
}

/// Drives a connection fed by a scripted peer until it fails, ends or closes,
/// checking each promise on the way. No exception may escape: the callbacks
/// never throw, so any would be a tlspp bug.
inline void drive(connection& c, const script& s, const scripted_peer& peer) {
  outcome_variant = s.variant();
  drive_calls(c, s, peer);
  // How far libtls got: bytes it consumed, bytes it answered with.
  note_outcome("read", static_cast<std::uint64_t>(std::bit_width(peer.bytes_read())));
  note_outcome("written", static_cast<std::uint64_t>(std::bit_width(peer.bytes_written())));
}

}  // namespace tlspp::fuzz
