// SPDX-License-Identifier: ISC
// tlspp-openssl's own decisions, through the libtls C API: what fails a
// handshake, when a server issues session tickets, and how ticket keys
// rotate. (Everything else is tlspp's suite, run on this backend.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tls.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_identity.hpp"

namespace {

struct byte_pipe {
  std::vector<unsigned char> bytes;
  bool eof = false;
  bool full = false;  ///< a write into it answers TLS_WANT_POLLOUT
};

struct ends {
  byte_pipe* in;
  byte_pipe* out;
};

ssize_t pipe_read(tls*, void* buf, size_t len, void* arg) {
  byte_pipe& in = *static_cast<ends*>(arg)->in;
  if (in.bytes.empty()) return in.eof ? 0 : TLS_WANT_POLLIN;
  const size_t n = std::min(len, in.bytes.size());
  std::memcpy(buf, in.bytes.data(), n);
  in.bytes.erase(in.bytes.begin(), in.bytes.begin() + static_cast<std::ptrdiff_t>(n));
  return static_cast<ssize_t>(n);
}

ssize_t pipe_write(tls*, const void* buf, size_t len, void* arg) {
  byte_pipe& out = *static_cast<ends*>(arg)->out;
  if (out.full) return TLS_WANT_POLLOUT;
  const auto* b = static_cast<const unsigned char*>(buf);
  out.bytes.insert(out.bytes.end(), b, b + len);
  return static_cast<ssize_t>(len);
}

/// A plaintext close_notify alert record, as a man in the middle would send.
const std::vector<unsigned char> close_notify_record = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};

struct identity {
  std::string cert, key;
  identity() { EXPECT_TRUE(tlspp_openssl_test::make_identity(cert, key)); }
  const uint8_t* cert_bytes() const { return reinterpret_cast<const uint8_t*>(cert.data()); }
  const uint8_t* key_bytes() const { return reinterpret_cast<const uint8_t*>(key.data()); }
};

const identity& test_identity() {
  static const identity id;
  return id;
}

tls_config* server_config(int lifetime = 0) {
  const identity& id = test_identity();
  tls_config* c = tls_config_new();
  EXPECT_EQ(
      tls_config_set_keypair_mem(c, id.cert_bytes(), id.cert.size(), id.key_bytes(), id.key.size()),
      0);
  if (lifetime > 0) {
    EXPECT_EQ(tls_config_set_session_lifetime(c, lifetime), 0);
  }
  return c;
}

tls_config* client_config(uint32_t protocols, int session_fd = -1) {
  const identity& id = test_identity();
  tls_config* c = tls_config_new();
  EXPECT_EQ(tls_config_set_ca_mem(c, id.cert_bytes(), id.cert.size()), 0);
  EXPECT_EQ(tls_config_set_protocols(c, protocols), 0);
  if (session_fd >= 0) {
    EXPECT_EQ(tls_config_set_session_fd(c, session_fd), 0) << tls_config_error(c);
  }
  return c;
}

/// A client and a server connection joined in memory.
struct link {
  byte_pipe to_server, to_client;
  ends server_ends{&to_server, &to_client};
  ends client_ends{&to_client, &to_server};
  tls* client = tls_client();
  tls* server = tls_server();
  tls* conn = nullptr;

  link(tls_config* client_conf, tls_config* server_conf, const char* servername = "localhost") {
    EXPECT_EQ(tls_configure(client, client_conf), 0) << tls_error(client);
    EXPECT_EQ(tls_configure(server, server_conf), 0) << tls_error(server);
    EXPECT_EQ(tls_accept_cbs(server, &conn, pipe_read, pipe_write, &server_ends), 0);
    EXPECT_EQ(tls_connect_cbs(client, pipe_read, pipe_write, &client_ends, servername), 0)
        << tls_error(client);
  }
  ~link() {
    tls_free(conn);
    tls_free(client);
    tls_free(server);
  }
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  bool handshake() {
    int c = TLS_WANT_POLLIN, s = TLS_WANT_POLLIN;
    for (int i = 0; i < 50 && (c != 0 || s != 0); ++i) {
      if (c != 0) c = tls_handshake(client);
      if (s != 0) s = tls_handshake(conn);
      if (c == -1 || s == -1) return false;
    }
    return c == 0 && s == 0;
  }

  /// A request from the client and a reply from the server.
  void exchange() {
    char buf[64];
    ASSERT_EQ(tls_write(client, "request", 7), 7);
    ASSERT_EQ(tls_read(conn, buf, sizeof buf), 7);
    ASSERT_EQ(tls_write(conn, "reply", 5), 5);
    ssize_t n = TLS_WANT_POLLIN;
    // A TLS 1.3 ticket comes first: reading it alone may answer "want".
    for (int i = 0; i < 4 && n == TLS_WANT_POLLIN; ++i) n = tls_read(client, buf, sizeof buf);
    ASSERT_EQ(n, 5) << tls_error(client);
  }
};

/// A session file the way libtls wants it: a regular file, mode 0600.
struct session_file {
  char path[64] = "/tmp/tlspp-openssl-session-XXXXXX";
  int fd = ::mkstemp(path);
  ~session_file() {
    ::close(fd);
    ::unlink(path);
  }
  off_t size() const {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? st.st_size : -1;
  }
};

// ---------------------------------------------------------------------------

TEST(HandshakeFailure, CloseNotifyAsTheServersFirstFlightFailsTheClientHandshake) {
  tls_config* cc = client_config(TLS_PROTOCOLS_DEFAULT);
  tls_config* sc = server_config();
  link l{cc, sc};
  ASSERT_EQ(tls_handshake(l.client), TLS_WANT_POLLIN);
  l.to_client.bytes = close_notify_record;
  EXPECT_EQ(tls_handshake(l.client), -1);
  ASSERT_NE(tls_error(l.client), nullptr);
  EXPECT_NE(std::string{tls_error(l.client)}.find("close_notify"), std::string::npos)
      << tls_error(l.client);
  EXPECT_EQ(tls_conn_version(l.client), nullptr);
  tls_config_free(cc);
  tls_config_free(sc);
}

TEST(HandshakeFailure, CloseNotifyFromTheClientMidHandshakeFailsTheServerHandshake) {
  tls_config* cc = client_config(TLS_PROTOCOLS_DEFAULT);
  tls_config* sc = server_config();
  link l{cc, sc};
  ASSERT_EQ(tls_handshake(l.client), TLS_WANT_POLLIN);  // ClientHello
  ASSERT_EQ(tls_handshake(l.conn), TLS_WANT_POLLIN);    // ServerHello...
  l.to_server.bytes = close_notify_record;              // instead of the client's Finished
  EXPECT_EQ(tls_handshake(l.conn), -1);
  ASSERT_NE(tls_error(l.conn), nullptr);
  EXPECT_NE(std::string{tls_error(l.conn)}.find("close_notify"), std::string::npos)
      << tls_error(l.conn);
  tls_config_free(cc);
  tls_config_free(sc);
}

TEST(HandshakeFailure, CloseNotifyInsteadOfAClientHelloFailsTheServerHandshake) {
  tls_config* cc = client_config(TLS_PROTOCOLS_DEFAULT);
  tls_config* sc = server_config();
  link l{cc, sc};
  l.to_server.bytes = close_notify_record;
  EXPECT_EQ(tls_handshake(l.conn), -1);  // OpenSSL: an unexpected message
  EXPECT_NE(tls_error(l.conn), nullptr);
  tls_config_free(cc);
  tls_config_free(sc);
}

TEST(HandshakeFailure, EndOfStreamInTheHandshakeFailsIt) {
  tls_config* cc = client_config(TLS_PROTOCOLS_DEFAULT);
  tls_config* sc = server_config();
  link l{cc, sc};
  ASSERT_EQ(tls_handshake(l.client), TLS_WANT_POLLIN);
  l.to_client.eof = true;
  EXPECT_EQ(tls_handshake(l.client), -1);
  ASSERT_NE(tls_error(l.client), nullptr);
  EXPECT_NE(std::string{tls_error(l.client)}.find("unexpected EOF"), std::string::npos)
      << tls_error(l.client);
  tls_config_free(cc);
  tls_config_free(sc);
}

/// A TLS 1.2/1.3 application data record that no key opens.
std::vector<unsigned char> forged_record() {
  std::vector<unsigned char> r = {0x17, 0x03, 0x03, 0x00, 0x20};
  r.resize(r.size() + 0x20, 0x5a);
  return r;
}

TEST(HandshakeFailure, AFailureWhoseAlertCannotBeSentFailsTheHandshake) {
  // The server fails the client's forged second flight, and its fatal
  // alert meets a transport that cannot take it: that is a failure, not a
  // wait, and it stays one (OpenSSL, in its failed state, would never write
  // again). Found by fuzz_server_handshake: the handshake spun on "want".
  tls_config* cc = client_config(TLS_PROTOCOLS_DEFAULT);
  tls_config* sc = server_config();
  link l{cc, sc};
  ASSERT_EQ(tls_handshake(l.client), TLS_WANT_POLLIN);  // ClientHello
  ASSERT_EQ(tls_handshake(l.conn), TLS_WANT_POLLIN);    // ServerHello ... Finished
  l.to_server.bytes = forged_record();                  // instead of the client's Finished
  l.to_client.full = true;
  EXPECT_EQ(tls_handshake(l.conn), -1);
  ASSERT_NE(tls_error(l.conn), nullptr);
  EXPECT_NE(std::string{tls_error(l.conn)}.find("bad record mac"), std::string::npos)
      << tls_error(l.conn);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(tls_handshake(l.conn), -1);
  tls_config_free(cc);
  tls_config_free(sc);
}

TEST(ReadFailure, AFailureWhoseAlertCannotBeSentFailsAtTheNextCallAtTheLatest) {
  // After the handshake, a wait to write is also what a read that answers
  // a key update looks like, so the blocked alert may first read as one;
  // the next call fails, with the reason, and every later one.
  tls_config* cc = client_config(TLS_PROTOCOLS_DEFAULT);
  tls_config* sc = server_config();
  link l{cc, sc};
  ASSERT_TRUE(l.handshake());
  l.to_client.bytes = forged_record();
  l.to_server.full = true;
  char buf[16];
  ssize_t n = tls_read(l.client, buf, sizeof buf);
  if (n == TLS_WANT_POLLOUT) n = tls_read(l.client, buf, sizeof buf);
  EXPECT_EQ(n, -1);
  ASSERT_NE(tls_error(l.client), nullptr);
  EXPECT_NE(std::string{tls_error(l.client)}.find("bad record mac"), std::string::npos)
      << tls_error(l.client);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(tls_read(l.client, buf, sizeof buf), -1);
  EXPECT_EQ(tls_write(l.client, "x", 1), -1);
  tls_config_free(cc);
  tls_config_free(sc);
}

TEST(HandshakeFailure, AlpnMismatchFailsTheServerWithNoApplicationProtocol) {
  tls_config* cc = client_config(TLS_PROTOCOLS_DEFAULT);
  tls_config* sc = server_config();
  ASSERT_EQ(tls_config_set_alpn(cc, "h2"), 0);
  ASSERT_EQ(tls_config_set_alpn(sc, "http/1.1"), 0);
  link l{cc, sc};
  EXPECT_FALSE(l.handshake());
  ASSERT_NE(tls_error(l.conn), nullptr);
  EXPECT_NE(std::string{tls_error(l.conn)}.find("no application protocol"), std::string::npos)
      << tls_error(l.conn);
  tls_config_free(cc);
  tls_config_free(sc);
}

// ---------------------------------------------------------------------------

class Tickets : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Tickets, ServerWithoutSessionOptionsIssuesNone) {
  session_file file;
  tls_config* cc = client_config(GetParam(), file.fd);
  tls_config* sc = server_config();
  link l{cc, sc};
  ASSERT_TRUE(l.handshake()) << tls_error(l.client) << " / " << tls_error(l.conn);
  l.exchange();
  EXPECT_EQ(file.size(), 0) << "the client got a session it could resume";
  tls_config_free(cc);
  tls_config_free(sc);
}

TEST_P(Tickets, SessionFileResumesAndRotatedKeysStillOpenOlderTickets) {
  session_file file;
  tls_config* sc = server_config(60);
  unsigned char key[TLS_TICKET_KEY_SIZE];
  for (size_t i = 0; i < sizeof key; ++i) key[i] = static_cast<unsigned char>(i);
  ASSERT_EQ(tls_config_add_ticket_key(sc, 1, key, sizeof key), 0) << tls_config_error(sc);
  auto connect = [&] {
    tls_config* cc = client_config(GetParam(), file.fd);
    link l{cc, sc};
    EXPECT_TRUE(l.handshake()) << tls_error(l.client) << " / " << tls_error(l.conn);
    l.exchange();
    const bool resumed = tls_conn_session_resumed(l.client) == 1;
    EXPECT_EQ(tls_conn_session_resumed(l.conn) == 1, resumed);
    tls_config_free(cc);
    return resumed;
  };
  EXPECT_FALSE(connect());
  EXPECT_GT(file.size(), 0);
  EXPECT_TRUE(connect());
  // A newer key issues from now on; the older one still opens its tickets.
  key[0] ^= 0xff;
  ASSERT_EQ(tls_config_add_ticket_key(sc, 2, key, sizeof key), 0) << tls_config_error(sc);
  EXPECT_TRUE(connect());
  EXPECT_TRUE(connect());
  // A keyrev names one key: the same name with other bytes is refused.
  key[1] ^= 0xff;
  EXPECT_EQ(tls_config_add_ticket_key(sc, 2, key, sizeof key), -1);
  tls_config_free(sc);
}

TEST_P(Tickets, TicketsFromAnotherServersKeysAreNotResumed) {
  session_file file;
  unsigned char key[TLS_TICKET_KEY_SIZE] = {1};
  tls_config* first = server_config(60);
  ASSERT_EQ(tls_config_add_ticket_key(first, 1, key, sizeof key), 0);
  key[0] = 2;
  tls_config* second = server_config(60);
  ASSERT_EQ(tls_config_add_ticket_key(second, 1, key, sizeof key), 0);
  bool resumed[2] = {};
  tls_config* servers[2] = {first, second};
  for (int i = 0; i < 2; ++i) {
    tls_config* cc = client_config(GetParam(), file.fd);
    link l{cc, servers[i]};
    ASSERT_TRUE(l.handshake()) << tls_error(l.client) << " / " << tls_error(l.conn);
    l.exchange();
    resumed[i] = tls_conn_session_resumed(l.client) == 1;
    tls_config_free(cc);
  }
  EXPECT_FALSE(resumed[0]);
  EXPECT_FALSE(resumed[1]);
  tls_config_free(first);
  tls_config_free(second);
}

INSTANTIATE_TEST_SUITE_P(Versions, Tickets,
                         ::testing::Values(TLS_PROTOCOL_TLSv1_2, TLS_PROTOCOL_TLSv1_3),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return info.param == TLS_PROTOCOL_TLSv1_2 ? "Tls12" : "Tls13";
                         });

// ---------------------------------------------------------------------------
// The client's session cache: clients made from one config resume, without
// a session file.

class SessionCache : public ::testing::TestWithParam<uint32_t> {
 protected:
  tls_config* server = server_config(60);
  tls_config* client = client_config(GetParam());

  ~SessionCache() override {
    tls_config_free(client);
    tls_config_free(server);
  }

  /// One connection with the shared client config: handshake, a request and
  /// a reply (a TLS 1.3 ticket comes with the reply), close_notify. Whether
  /// it resumed.
  bool connect(const char* servername = "localhost") {
    link l{client, server, servername};
    EXPECT_TRUE(l.handshake()) << tls_error(l.client) << " / " << tls_error(l.conn);
    l.exchange();
    const bool resumed = tls_conn_session_resumed(l.client) == 1;
    EXPECT_EQ(tls_conn_session_resumed(l.conn) == 1, resumed);
    EXPECT_EQ(tls_close(l.client), 0) << tls_error(l.client);
    return resumed;
  }
};

TEST_P(SessionCache, ASecondClientFromTheSameConfigResumes) {
  EXPECT_FALSE(connect());
  EXPECT_TRUE(connect());
  // TLS 1.3: the resumed connection brought a fresh ticket for the next one.
  EXPECT_TRUE(connect());
  // A client config nothing was cached in does a full handshake.
  tls_config* other = client_config(GetParam());
  link l{other, server};
  ASSERT_TRUE(l.handshake());
  EXPECT_EQ(tls_conn_session_resumed(l.client), 0);
  tls_config_free(other);
}

TEST_P(SessionCache, AnotherServerNameDoesNotResume) {
  EXPECT_FALSE(connect("localhost"));
  // The same server, valid for both names: a session is for one name only.
  EXPECT_FALSE(connect("alias.localhost"));
  EXPECT_TRUE(connect("localhost"));
  EXPECT_TRUE(connect("alias.localhost"));
}

TEST_P(SessionCache, ChangingTheConfigForgetsItsSessions) {
  EXPECT_FALSE(connect());
  const identity& id = test_identity();
  ASSERT_EQ(tls_config_set_ca_mem(client, id.cert_bytes(), id.cert.size()), 0);
  EXPECT_FALSE(connect()) << "a session verified under the old settings was resumed";
  EXPECT_TRUE(connect());
}

TEST_P(SessionCache, TwoClientsAtOnceShareATls12SessionButNotATls13Ticket) {
  EXPECT_FALSE(connect());
  link first{client, server};
  link second{client, server};
  ASSERT_TRUE(first.handshake());
  ASSERT_TRUE(second.handshake());
  EXPECT_EQ(tls_conn_session_resumed(first.client), 1);
  // One TLS 1.3 ticket is used once (RFC 8446, appendix C.4).
  EXPECT_EQ(tls_conn_session_resumed(second.client), GetParam() == TLS_PROTOCOL_TLSv1_2 ? 1 : 0);
}

TEST_P(SessionCache, AConnectionFreedWithoutCloseNotifyStillLeavesItsSession) {
  // OpenSSL would give it up (TLS 1.0's rule); TLS 1.1 and later do not ask
  // for that, and the session file never did.
  {
    link l{client, server};
    ASSERT_TRUE(l.handshake());
    l.exchange();
  }
  EXPECT_TRUE(connect());
}

TEST_P(SessionCache, AFatalAlertEndsTheSession) {
  {
    link l{client, server};
    ASSERT_TRUE(l.handshake());
    l.exchange();
    // A forged application data record: the client fails it with a fatal
    // bad_record_mac alert.
    l.to_client.bytes = forged_record();
    char buf[16];
    EXPECT_EQ(tls_read(l.client, buf, sizeof buf), -1);
  }
  EXPECT_FALSE(connect());
  EXPECT_TRUE(connect());
}

TEST_P(SessionCache, ASessionFileReplacesTheCache) {
  session_file file;
  ASSERT_EQ(tls_config_set_session_fd(client, file.fd), 0) << tls_config_error(client);
  EXPECT_FALSE(connect());
  EXPECT_GT(file.size(), 0);
  ASSERT_EQ(::ftruncate(file.fd, 0), 0);
  EXPECT_FALSE(connect()) << "resumed from memory although the session file was empty";
  EXPECT_TRUE(connect());
}

TEST_P(SessionCache, ThreadsShareOneConfig) {
  // ThreadSanitizer's test: every client stores and takes sessions in the
  // one cache of the shared config.
  EXPECT_FALSE(connect());
  std::vector<std::thread> threads;
  std::vector<int> resumed(4);
  for (int& count : resumed) {
    threads.emplace_back([this, &count] {
      for (int i = 0; i < 8; ++i) count += connect() ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const int count : resumed) EXPECT_GT(count, 0);
}

TEST_P(SessionCache, AClientRequiringStaplesResumesWithoutOne) {
  // The staple was checked when the session was made; a resumed handshake
  // carries no certificate to staple (TLS 1.3 still asks the status
  // callback, TLS 1.2 does not).
  const identity& id = test_identity();
  const std::string staple = tlspp_openssl_test::make_ocsp_good(id.cert, id.key);
  ASSERT_FALSE(staple.empty());
  ASSERT_EQ(tls_config_set_ocsp_staple_mem(server, reinterpret_cast<const uint8_t*>(staple.data()),
                                           staple.size()),
            0)
      << tls_config_error(server);
  tls_config_ocsp_require_stapling(client);
  EXPECT_FALSE(connect());
  EXPECT_TRUE(connect());
}

INSTANTIATE_TEST_SUITE_P(Versions, SessionCache,
                         ::testing::Values(TLS_PROTOCOL_TLSv1_2, TLS_PROTOCOL_TLSv1_3),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return info.param == TLS_PROTOCOL_TLSv1_2 ? "Tls12" : "Tls13";
                         });

/// The first flight of a client with `client_conf`: its ClientHello.
std::size_t client_hello_size(tls_config* client_conf, tls_config* server_conf) {
  link l{client_conf, server_conf};
  EXPECT_EQ(tls_handshake(l.client), TLS_WANT_POLLIN) << tls_error(l.client);
  const std::size_t size = l.to_server.bytes.size();
  EXPECT_TRUE(l.handshake());
  EXPECT_EQ(tls_conn_session_resumed(l.client), 0);
  return size;
}

TEST(SessionCacheExpiry, AnExpiredSessionIsNotOffered) {
  // The server's shortest lifetime is 4 s; both versions wait together.
  tls_config* server = server_config(4);
  const uint32_t versions[] = {TLS_PROTOCOL_TLSv1_2, TLS_PROTOCOL_TLSv1_3};
  tls_config* clients[2] = {};
  for (int i = 0; i < 2; ++i) {
    clients[i] = client_config(versions[i]);
    link l{clients[i], server};
    ASSERT_TRUE(l.handshake());
    l.exchange();
    ASSERT_EQ(tls_close(l.client), 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds{4100});
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(versions[i] == TLS_PROTOCOL_TLSv1_2 ? "TLS 1.2" : "TLS 1.3");
    // The client offers nothing: its ClientHello is a fresh client's.
    tls_config* fresh = client_config(versions[i]);
    EXPECT_EQ(client_hello_size(clients[i], server), client_hello_size(fresh, server));
    tls_config_free(fresh);
    tls_config_free(clients[i]);
  }
  tls_config_free(server);
}

// ---------------------------------------------------------------------------

TEST(Protocols, ParsedAsLibtlsParsesThem) {
  uint32_t p = 0;
  EXPECT_EQ(tls_config_parse_protocols(&p, "tlsv1.2,tlsv1.3"), 0);
  EXPECT_EQ(p, static_cast<uint32_t>(TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3));
  EXPECT_EQ(tls_config_parse_protocols(&p, "all,!tlsv1.0"), 0);
  EXPECT_EQ(p, static_cast<uint32_t>(TLS_PROTOCOLS_ALL & ~TLS_PROTOCOL_TLSv1_0));
  EXPECT_EQ(tls_config_parse_protocols(&p, "!tlsv1.1"), 0);
  EXPECT_EQ(p, static_cast<uint32_t>(TLS_PROTOCOLS_ALL & ~TLS_PROTOCOL_TLSv1_1));
  EXPECT_EQ(tls_config_parse_protocols(&p, "secure"), 0);
  EXPECT_EQ(p, static_cast<uint32_t>(TLS_PROTOCOLS_DEFAULT));
  EXPECT_EQ(tls_config_parse_protocols(&p, "tlsv1.4"), -1);
}

TEST(Protocols, ASetWithAGapUsesItsNewestRun) {
  // "all:!tlsv1.1" against a TLS 1.2-only server: OpenSSL alone would take
  // the oldest run (TLS 1.0) and fail.
  tls_config* client = client_config(TLS_PROTOCOLS_ALL & ~TLS_PROTOCOL_TLSv1_1);
  tls_config* server = server_config();
  ASSERT_EQ(tls_config_set_protocols(server, TLS_PROTOCOL_TLSv1_2), 0);
  {
    link l{client, server};
    ASSERT_TRUE(l.handshake()) << tls_error(l.client) << " / " << tls_error(l.conn);
    EXPECT_STREQ(tls_conn_version(l.client), "TLSv1.2");
  }
  // And below the gap nothing is offered: TLS 1.0 alone on the server fails.
  ASSERT_EQ(tls_config_set_protocols(server, TLS_PROTOCOL_TLSv1_0), 0);
  ASSERT_EQ(tls_config_set_ciphers(server, "legacy"), 0);
  ASSERT_EQ(tls_config_set_ciphers(client, "legacy"), 0);
  {
    link l{client, server};
    EXPECT_FALSE(l.handshake());
  }
  tls_config_free(client);
  tls_config_free(server);
}

TEST(Protocols, Tls10AndTls11NeedALegacyCipherSetToo) {
  for (const uint32_t version : {TLS_PROTOCOL_TLSv1_0, TLS_PROTOCOL_TLSv1_1}) {
    for (const char* ciphers : {"compat", "legacy", "all"}) {
      SCOPED_TRACE(std::string{ciphers} + (version == TLS_PROTOCOL_TLSv1_0 ? " 1.0" : " 1.1"));
      tls_config* client = client_config(version);
      tls_config* server = server_config();
      ASSERT_EQ(tls_config_set_protocols(server, version), 0);
      ASSERT_EQ(tls_config_set_ciphers(client, ciphers), 0);
      ASSERT_EQ(tls_config_set_ciphers(server, ciphers), 0);
      {
        link l{client, server};
        // "compat" keeps OpenSSL's security level, which refuses both.
        const bool legacy = std::string{ciphers} != "compat";
        EXPECT_EQ(l.handshake(), legacy) << tls_error(l.client) << " / " << tls_error(l.conn);
        if (legacy) {
          EXPECT_STREQ(tls_conn_version(l.client),
                       version == TLS_PROTOCOL_TLSv1_0 ? "TLSv1" : "TLSv1.1");
        }
      }
      tls_config_free(client);
      tls_config_free(server);
    }
  }
}

TEST(Version, NamesItselfAndTheOpensslItRunsOn) {
  const std::string v = tlspp_openssl_version();
  EXPECT_EQ(v.rfind(std::string{"tlspp-openssl "} + TLSPP_OPENSSL_VERSION + " over OpenSSL 3.", 0),
            0u)
      << v;
}

}  // namespace
