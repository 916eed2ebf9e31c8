// SPDX-License-Identifier: ISC
// Detail of tlspp::asio::stream: the stream itself, for both flavours.
// Included once per flavour by <tlspp/asio/stream.hpp> (tlspp::asio, on
// standalone Asio) and <tlspp/boost_asio/stream.hpp> (tlspp::boost_asio, on
// Boost.Asio); flavour_check.hpp says how.
#include "tlspp/asio/detail/flavour_check.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "tlspp/client.hpp"
#include "tlspp/config.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/error.hpp"
#include "tlspp/memory_transport.hpp"
#include "tlspp/server.hpp"

// In this order: each uses what the one before defines (having no include
// guards, they do not include each other).
#include "tlspp/asio/detail/stream_core.hpp"
//
#include "tlspp/asio/detail/io_op.hpp"
//
#include "tlspp/asio/detail/shutdown_op.hpp"

namespace tlspp::TLSPP_ASIO_FLAVOUR {

/// The handshake types, spelled as asio::ssl::stream_base spells them, so
/// that `stream::client` and `stream::server` read the same.
class stream_base {
 public:
  /// Which side of the handshake a stream plays.
  enum handshake_type { client, server };

 protected:
  ~stream_base() = default;
};
/// client or server, as `asio::ssl::stream_base::handshake_type`.
using handshake_type = stream_base::handshake_type;

/// How long async_shutdown(token) waits for the peer's close_notify.
inline constexpr std::chrono::steady_clock::duration default_shutdown_timeout =
    std::chrono::seconds{5};

/// A TLS stream over `NextLayer` (an `asio::ip::tcp::socket`, or any
/// AsyncReadStream/AsyncWriteStream, or a reference to one), in the shape of
/// `asio::ssl::stream`: it models AsyncReadStream, AsyncWriteStream,
/// SyncReadStream and SyncWriteStream, so asio::async_read, async_write,
/// async_read_until, read and write work on it, with any completion token.
///
/// \code
/// #include <asio.hpp>
/// #include <tlspp/asio/stream.hpp>
///
/// asio::awaitable<void> connect_tls(asio::ip::tcp::socket socket) {
///   tlspp::config conf{{.ca_file = "ca.pem"}};
///   tlspp::asio::stream<asio::ip::tcp::socket> s{std::move(socket), conf};
///   co_await s.async_handshake(s.client, "example.org", asio::use_awaitable);
/// }
///
/// tlspp::server make_server() {
///   return tlspp::server{tlspp::config{{.key_file = "k.pem", .cert_file = "c.pem"}}};
/// }
///
/// asio::awaitable<void> accept_tls(asio::ip::tcp::socket accepted, tlspp::server& srv) {
///   tlspp::asio::stream<asio::ip::tcp::socket> s{std::move(accepted), srv};
///   co_await s.async_handshake(s.server, asio::use_awaitable);
/// }
/// \endcode
///
/// End of stream: async_read_some fails with `asio::error::eof` only after
/// the peer's close_notify; a peer that closes its side without one gives
/// `error::stream_truncated` (the data may have been cut short).
/// async_shutdown sends close_notify and waits for the peer's, but never
/// longer than its deadline. A failure of the TLS connection is reported
/// with the connection's own tlspp::errc (error.hpp), and its message in
/// last_error().
///
/// When the connection fails (or is cut), the stream delivers the fatal
/// alert libtls queued before it reports the error: it flushes it, shuts
/// the socket's write side, reads and drops what the peer still sends (for
/// at most a second and 256 KiB, or until the peer's end of stream), then
/// closes the socket if it owns it. A socket closed with the peer's bytes
/// unread would send a reset that can destroy the alert on its way.
///
/// Concurrency: at most one read operation (async_read_some) and one write
/// operation (async_write_some or async_shutdown) may be outstanding, and
/// they may be outstanding at the same time (full duplex: one coroutine
/// reading while another writes). The handshake runs alone. Operations are
/// cancellable per operation (asio::cancellation_slot, terminal): they
/// complete with `asio::error::operation_aborted`. (Not on Boost.Asio
/// before 1.19, Boost 1.77, which has no per-operation cancellation: there
/// cancel the socket, `s.lowest_layer().cancel()`, or destroy the stream.)
/// A cancelled read leaves the stream usable. Ciphertext already produced stays queued and goes out
/// with the next operation; a write that was cancelled must be retried with
/// the same data before other data (libtls's rule after a write that wanted
/// I/O), as with asio::ssl.
///
/// Thread safety: distinct objects: safe; shared objects: unsafe. Run all
/// operations of one stream from one thread or one strand.
///
/// Destroying the stream closes the next layer (when the stream owns it)
/// and makes operations still in flight complete with operation_aborted.
/// Moving a stream with operations in flight is not allowed. Every member
/// of a moved-from stream throws tlspp::error (errc::moved_from).
///
/// This is the one implementation of tlspp::asio::stream (standalone Asio)
/// and tlspp::boost_asio::stream (Boost.Asio): below, `asio` means the
/// flavour's Asio and error_code its error code type.
template <class NextLayer>
class stream : public stream_base {
  using core_type = detail::stream_core<NextLayer>;

 public:
  /// The stream under TLS (NextLayer without a reference).
  using next_layer_type = std::remove_reference_t<NextLayer>;
  /// The next layer's executor, on which operations complete by default.
  using executor_type = typename next_layer_type::executor_type;
  /// std::error_code on standalone Asio, boost::system::error_code on
  /// Boost.Asio: what the completion handlers take.
  using error_code = detail::error_code;

  /// A client stream: `arg` constructs the next layer (a connected socket
  /// moved in, an io_context, an executor...). Creates the libtls client
  /// context at once: throws tlspp::error when libtls rejects the config.
  template <class Arg>
  stream(Arg&& arg, const tlspp::config& client_config)
      : core_{std::make_shared<core_type>(std::forward<Arg>(arg), client_config)} {}

  /// A server stream: accepts a connection from `server` at once (no I/O;
  /// the handshake does it). `server` may be destroyed before the stream.
  template <class Arg>
  stream(Arg&& arg, tlspp::server& server)
      : core_{std::make_shared<core_type>(std::forward<Arg>(arg), server)} {}

  /// Takes over the stream; the source is left moved-from. Not while
  /// operations are in flight.
  stream(stream&&) noexcept = default;
  /// Abandons this stream (as its destructor does) and takes over the source.
  stream& operator=(stream&& other) noexcept {
    if (this != &other) {
      abandon();
      core_ = std::move(other.core_);
    }
    return *this;
  }
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream() { abandon(); }

  /// The next layer's executor.
  [[nodiscard]] executor_type get_executor() { return core().next.get_executor(); }
  /// The stream under TLS (the socket): for its options, not for I/O.
  [[nodiscard]] next_layer_type& next_layer() { return core().next; }
  /// The stream under TLS (the socket): for its options, not for I/O.
  [[nodiscard]] const next_layer_type& next_layer() const { return core().next; }
  /// The lowest layer of the next layer (the socket).
  [[nodiscard]] decltype(auto) lowest_layer() requires requires(next_layer_type& n) {
    n.lowest_layer();
  }
  { return core().next.lowest_layer(); }

  /// The TLS connection: info() after the handshake, peer_cert_contains_name(),
  /// error_code()... Don't run its I/O calls yourself.
  [[nodiscard]] tlspp::connection& connection() { return core().conn(); }
  /// The TLS connection, read-only.
  [[nodiscard]] const tlspp::connection& connection() const { return core().conn(); }
  /// The transport between libtls and the next layer, for its statistics.
  [[nodiscard]] const tlspp::memory_transport& transport() const { return core().transport; }
  /// Why the last operation failed with a tlspp::errc: the connection's
  /// error_message() (e.g. "handshake: certificate verify failed"), or, when
  /// the connection has none, the reason the stream itself found (connect()
  /// refused the server name...). Empty while nothing failed.
  [[nodiscard]] const std::string& last_error() const { return core().last_error(); }

  // --- asynchronous operations ---------------------------------------------

  /// Runs the handshake; completes with `void(error_code)`. A client
  /// sends `servername` with SNI and verifies the certificate against it
  /// (empty: no name, which fails unless insecure_noverifyname is set). A
  /// type that does not match the constructor's is `asio::error::invalid_argument`.
  template <detail::net::completion_token_for<void(error_code)> Token =
                detail::net::default_completion_token_t<executor_type>>
  auto async_handshake(handshake_type type, std::string_view servername,
                       Token&& token = detail::net::default_completion_token_t<executor_type>()) {
    core_type& c = core();
    return detail::net::async_compose<Token, void(error_code)>(
        detail::io_op<NextLayer, false>{
            core_, detail::op_kind::handshake, {}, {}, prepare_handshake(type, servername)},
        token, c.next);
  }
  /// The server's form (and a client's without a name).
  template <detail::net::completion_token_for<void(error_code)> Token =
                detail::net::default_completion_token_t<executor_type>>
  requires(!std::is_convertible_v<Token, std::string_view>) auto async_handshake(
      handshake_type type,
      Token&& token = detail::net::default_completion_token_t<executor_type>()) {
    return async_handshake(type, std::string_view{}, std::forward<Token>(token));
  }

  /// Reads some plaintext into the first non-empty buffer; completes with
  /// `void(error_code, std::size_t)`. `asio::error::eof` after the
  /// peer's close_notify, error::stream_truncated when its side ended
  /// without one.
  template <class MutableBufferSequence,
            detail::net::completion_token_for<void(error_code, std::size_t)> Token =
                detail::net::default_completion_token_t<executor_type>>
  auto async_read_some(const MutableBufferSequence& buffers,
                       Token&& token = detail::net::default_completion_token_t<executor_type>()) {
    core_type& c = core();
    return detail::net::async_compose<Token, void(error_code, std::size_t)>(
        detail::io_op<NextLayer, true>{core_, detail::op_kind::read, detail::first_buffer(buffers)},
        token, c.next);
  }

  /// Writes some plaintext from the first non-empty buffer; completes with
  /// `void(error_code, std::size_t)` once that ciphertext is sent.
  template <class ConstBufferSequence,
            detail::net::completion_token_for<void(error_code, std::size_t)> Token =
                detail::net::default_completion_token_t<executor_type>>
  auto async_write_some(const ConstBufferSequence& buffers,
                        Token&& token = detail::net::default_completion_token_t<executor_type>()) {
    core_type& c = core();
    return detail::net::async_compose<Token, void(error_code, std::size_t)>(
        detail::io_op<NextLayer, true>{
            core_, detail::op_kind::write, {}, detail::first_const_buffer(buffers)},
        token, c.next);
  }

  /// Sends close_notify, then waits for the peer's (mode wait_for_peer) or
  /// not (send_only); completes with `void(error_code)`. `timeout`
  /// bounds the whole operation, so a peer that neither reads nor answers
  /// cannot hang it: past it, `asio::error::timed_out`. A peer that closes
  /// its side without close_notify gives error::stream_truncated. Data that
  /// arrives meanwhile is discarded, unless a read of yours is outstanding:
  /// it gets the data, then eof, and the shutdown completes with it. Once
  /// close_notify is out, the socket's write side is shut (nothing may
  /// follow it); the socket stays open for reading: close it afterwards.
  /// Before the handshake completed (a handshake cancelled by a deadline)
  /// there is no session to end: nothing is sent or awaited, and it
  /// succeeds. After a truncated read it reports stream_truncated.
  template <detail::net::completion_token_for<void(error_code)> Token =
                detail::net::default_completion_token_t<executor_type>>
  auto async_shutdown(shutdown_mode mode, std::chrono::steady_clock::duration timeout,
                      Token&& token = detail::net::default_completion_token_t<executor_type>()) {
    core_type& c = core();
    return detail::net::async_compose<Token, void(error_code)>(
        detail::shutdown_op<NextLayer>{core_, mode, timeout}, token, c.next);
  }
  /// Waits for the peer's close_notify up to default_shutdown_timeout.
  template <detail::net::completion_token_for<void(error_code)> Token =
                detail::net::default_completion_token_t<executor_type>>
  auto async_shutdown(Token&& token = detail::net::default_completion_token_t<executor_type>()) {
    return async_shutdown(shutdown_mode::wait_for_peer, default_shutdown_timeout,
                          std::forward<Token>(token));
  }

  // --- blocking operations ------------------------------------------------

  /// Runs the handshake, blocking, as async_handshake() does; sets `ec` on
  /// failure.
  void handshake(handshake_type type, std::string_view servername, error_code& ec) {
    core_type& c = core();
    ec = prepare_handshake(type, servername);
    if (!ec)
      c.run_sync(
          detail::op_kind::handshake, [](auto& conn) { return conn.handshake(); }, ec);
  }
  /// The server's form (and a client's without a name); sets `ec` on failure.
  void handshake(handshake_type type, error_code& ec) { handshake(type, {}, ec); }
  /// Runs the handshake, blocking; throws a system_error on failure (for a
  /// tlspp code, its message includes last_error()).
  void handshake(handshake_type type, std::string_view servername = {}) {
    error_code ec;
    handshake(type, servername, ec);
    throw_if(ec, "handshake");
  }

  /// Reads some plaintext into the first non-empty buffer, blocking; sets
  /// `ec` as async_read_some() reports it.
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    core_type& c = core();
    const std::span<std::byte> b = detail::first_buffer(buffers);
    if (b.empty()) {
      ec = {};
      return 0;
    }
    return c.run_sync(
        detail::op_kind::read, [b](auto& conn) { return conn.recv(b); }, ec);
  }
  /// The same; throws a system_error on failure (eof included).
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    throw_if(ec, "read_some");
    return n;
  }

  /// Writes some plaintext from the first non-empty buffer, blocking; sets
  /// `ec` on failure.
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    core_type& c = core();
    const std::span<const std::byte> b = detail::first_const_buffer(buffers);
    if (b.empty()) {
      ec = {};
      return 0;
    }
    return c.run_sync(
        detail::op_kind::write, [b](auto& conn) { return conn.send(b); }, ec);
  }
  /// The same; throws a system_error on failure.
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = write_some(buffers, ec);
    throw_if(ec, "write_some");
    return n;
  }

  /// Sends close_notify (blocking) and does not wait for the peer's: a
  /// blocking wait could hang on a peer that never answers. Read until
  /// asio::error::eof to see the peer's. Then shuts the socket's write
  /// side, as async_shutdown does, with the same results.
  void shutdown(error_code& ec) {
    core_type& c = core();
    ec = {};
    if (!c.client || c.connected) {
      c.run_sync(
          detail::op_kind::close, [](auto& conn) { return conn.close(); }, ec);
    }
    if (!ec) c.shut_send();
  }
  /// The same; throws a system_error on failure.
  void shutdown() {
    error_code ec;
    shutdown(ec);
    throw_if(ec, "shutdown");
  }

 private:
  /// The shared state, or tlspp::error (errc::moved_from).
  core_type& core() const {
    if (!core_) [[unlikely]] {
      throw tlspp::error{tlspp::errc::moved_from, "tlspp::asio::stream",
                         "used after it was moved from"};
    }
    return *core_;
  }

  /// Connects a client the first time; checks the type against the role.
  /// A server name connect() refuses (a NUL byte, too long) is its code.
  error_code prepare_handshake(handshake_type type, std::string_view servername) {
    core_type& c = core();
    if ((type == client) != c.client.has_value()) return detail::net::error::invalid_argument;
    if (c.client && !c.connected) {
      try {
        c.client->connect(servername, c.gate);
      } catch (const tlspp::error& e) {
        c.own_error = e.what();
        return detail::to_error_code(e.code());
      }
      c.connected = true;
    }
    return {};
  }

  void throw_if(const error_code& ec, const char* what) const {
    if (!ec) return;
    std::string message = what;
    if (ec.category() == error::get_stream_category() && !core().last_error().empty()) {
      message += ": " + core().last_error();
    }
    throw detail::system_error{ec, message};
  }

  void abandon() noexcept {
    if (!core_) return;
    core_type& c = *core_;
    c.abandoned = true;
    c.close_owned();
    try {
      c.read_done.cancel();
      c.write_done.cancel();
      c.shutdown_timer.cancel();
      c.linger_timer.cancel();
    } catch (...) {  // cancel() reports failures only by exception; nothing to do here
    }
    core_.reset();
  }

  std::shared_ptr<core_type> core_;
};

}  // namespace tlspp::TLSPP_ASIO_FLAVOUR
