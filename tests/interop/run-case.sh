#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Interop and hostile-peer cases for tlscat (and so tlspp) against peers it
# did not write: openssl s_server/s_client, gnutls-serv/gnutls-cli, curl,
# and a Python peer that misbehaves on purpose.
#
#   run-case.sh --list                  the case names, one a line
#   run-case.sh CASE TLSCAT PKI_DIR     runs one case: exit 0 pass, 1 fail, 77 skip
#
# Every case is a real handshake over 127.0.0.1. Where data flows, it flows
# both ways and both sides' output is checked; where something must fail,
# the failing side's one-line error is checked for the reason, in any of the
# ways the libtls backends word it (WHY_* below).
#
# The cases adapt to the libtls backend tlscat was built with by what it
# does, never by its name: an option the backend cannot honour makes tlscat
# refuse to start, and the case skips quoting that refusal (lib.sh); a case
# that needs TLS 1.3 asks tlscat whether it takes --protocols tlsv1.3; where
# the backend cannot verify a server by IP address, tlscat connects by name.

# The WHY_* arrays are also read through namerefs (local -n).
# shellcheck disable=SC2034
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ ${1:-} == --list ]]; then
  grep -o '^case_[a-z0-9_]*' "${BASH_SOURCE[0]}" | sed 's/^case_//; s/_/-/g'
  exit 0
fi
if (($# != 3)); then
  echo "usage: $0 --list | CASE TLSCAT PKI_DIR" >&2
  exit 2
fi
CASE=$1
TLSCAT=$2
PKI=$3
source "$HERE/lib.sh"
[[ -x $TLSCAT ]] || fail "no tlscat at $TLSCAT"
[[ -f $PKI/ca-bundle.pem ]] || fail "no test PKI in $PKI"

FROM_CLIENT="hello from the client"
FROM_SERVER="hello from the server"
# gnutls-serv and gnutls-cli buffer stdout when it is a file.
LINE_BUFFERED=$(command -v stdbuf >/dev/null && echo "stdbuf -oL")

# --- how the backends word a failure ------------------------------------------
#
# tlscat reports libtls's message, which each TLS library words its own way:
# OpenSSL (libretls), LibreSSL, and libtls-bearssl, which gives BearSSL's
# error numbers, "unknown error (N)": N is 256 + the alert it received, or
# 512 + the alert it sent (bearssl_ssl.h, BR_ERR_RECV/SEND_FATAL_ALERT).
# A case accepts any wording of its one reason, never a different reason.

# A peer's version outside the set: alert protocol_version (70), sent or
# received, or the library's own words for it.
WHY_VERSION=("protocol version" "unsupported protocol" "wrong version number"
  "unknown error (326)" "unknown error (582)")
# A server that supports the client's versions no better than it (a TLS
# 1.1-only server) may find no cipher suite it can use with what the client
# offers first, and say handshake_failure (40).
WHY_VERSION_OR_NO_SUITE=("${WHY_VERSION[@]}" "alert handshake failure" "unknown error (296)")
# No cipher suite in common: alert handshake_failure, sent or received.
WHY_NO_SHARED_CIPHER=("no shared cipher" "alert handshake failure" "unknown error (296)"
  "unknown error (552)")
# A TLS 1.2 server that requires a client certificate and got none.
WHY_NO_CLIENT_CERT_TLS12=("alert handshake failure" "unknown error (296)")
# The server has no certificate for the name sent with SNI: unrecognized_name (112).
WHY_UNRECOGNIZED_NAME=("unrecognized name" "unknown error (368)")
# Certificate verification (BearSSL's X.509 engine words them its own way).
WHY_EXPIRED=("certificate has expired" "certificate is expired or not yet valid")
WHY_NOT_YET_VALID=("certificate is not yet valid" "certificate is expired or not yet valid")
WHY_WRONG_NAME=("name \`localhost' not present in server certificate"
  "expected server name was not found in the chain")
# A chain ending in a root the client does not trust, sent with the chain.
WHY_UNTRUSTED_ROOT=("self-signed certificate in certificate chain"
  "self signed certificate in certificate chain" "chain could not be linked to a trust anchor")
# A self-signed leaf: OpenSSL names it, LibreSSL and BearSSL find no trusted issuer.
WHY_SELF_SIGNED=("self-signed certificate" "self signed certificate"
  "unable to get local issuer certificate" "chain could not be linked to a trust anchor")
# A chain longer than --verify-depth: BearSSL ignores the certificates past
# the depth, so the chain it checks never reaches the trusted root.
WHY_CHAIN_TOO_LONG=("certificate chain too long" "chain could not be linked to a trust anchor")
# A record longer than TLS allows (the bytes after the header, 2^15, do come).
WHY_OVERSIZED_RECORD=("packet length too long" "record overflow" "incoming record length is invalid")
# The peer closed the transport in the middle of the handshake.
WHY_EOF=("unexpected eof" "unexpected EOF")
WHY_REVOKED=("certificate revoked")
# A server that requires a client certificate and got none.
WHY_NO_CLIENT_CERT=("did not return a certificate" "did not send a certificate")
# tlscat's own configuration errors. An empty CA file: OpenSSL fails to set
# up the empty store; BearSSL starts and finds no anchor to verify with.
WHY_NO_KEY=("server: configure: failed to read private key" "--key: unsupported or missing secret key")
WHY_BAD_CERT=("--cert: failed to load certificate" "--cert: certificate decoding failed")

# --- tlscat as either side ---------------------------------------------------

# tlscat_listen NAME ARGS...: tlscat -l on 127.0.0.1, any free port; sets PORT.
tlscat_listen() {
  local name=$1
  shift
  start "$name" "$TLSCAT" -l -v "$@" 127.0.0.1 0
  expect "$name" err "tlscat: listening on"
  PORT=$(port_from "$WORK/$name.err" "tlscat: listening on")
}

# tlscat_connect NAME ARGS...: tlscat to 127.0.0.1:$PORT trusting the test CA.
# It verifies the server's certificate against that address (the test
# leaves have IP:127.0.0.1), or, where the backend cannot match addresses,
# against the name localhost (they have DNS:localhost too).
tlscat_connect() {
  local name=$1
  shift
  local by_name=()
  backend_matches_ip_addresses || by_name=(--servername localhost)
  start "$name" "$TLSCAT" -v --ca "$PKI/ca-bundle.pem" "${by_name[@]}" "$@" 127.0.0.1 "$PORT"
}

# Whether a tlscat client verifies a server it reached by address: one
# handshake with tlscat -l shows it. A backend that cannot match IP
# subjectAltNames refuses to connect by address at all.
IP_ADDRESSES=""
backend_matches_ip_addresses() {
  if [[ -z $IP_ADDRESSES ]]; then
    start ip-probe-srv "$TLSCAT" -l --exit-after-handshake --cert "$PKI/server-ecdsa-chain.pem" \
      --key "$PKI/server-ecdsa.key" 127.0.0.1 0
    expect ip-probe-srv err "tlscat: listening on"
    start ip-probe-cli "$TLSCAT" --exit-after-handshake --ca "$PKI/ca-bundle.pem" 127.0.0.1 \
      "$(port_from "$WORK/ip-probe-srv.err" "tlscat: listening on")"
    finish ip-probe-cli
    stop ip-probe-srv
    if ((STATUS[ip-probe-cli] == 0)); then
      IP_ADDRESSES=yes
    elif has_text "$WORK/ip-probe-cli.err" "cannot verify a server by IP address" ||
      has_text "$WORK/ip-probe-cli.err" "server name not specified"; then
      IP_ADDRESSES=no
      echo "note: tlscat connects with --servername localhost: $(error_line ip-probe-cli)"
    else
      fail "tlscat could not connect to tlscat -l by address"
    fi
  fi
  [[ $IP_ADDRESSES == yes ]]
}

# serve NAME CERT ARGS...: tlscat_listen presenting CERT (a PKI name).
serve() {
  local name=$1 cert=$2
  shift 2
  tlscat_listen "$name" --cert "$PKI/$cert-chain.pem" --key "$PKI/$cert.key" "$@"
}

# exchange SERVER CLIENT: a line each way, each seen arriving.
exchange() {
  say "$2" "$FROM_CLIENT"
  expect "$1" out "$FROM_CLIENT"
  say "$1" "$FROM_SERVER"
  expect "$2" out "$FROM_SERVER"
}

# converse SERVER CLIENT CLOSER: a line each way, then CLOSER's stdin ends
# (so it sends close_notify) and both sides exit.
converse() {
  exchange "$1" "$2"
  finish "$3"
  if [[ $3 == "$2" ]]; then finish "$1"; else finish "$2"; fi
}

# assert_refused NAME TEXT...: tlscat NAME failed in the handshake, saying
# one of the TEXTs, and never reported a connection.
assert_refused() {
  local name=$1
  shift
  assert_error "$name" "$@"
  assert_lacks "$name" err "tlscat: version:"
}

# --- openssl s_server / s_client ----------------------------------------------

# The chain without its leaf, as s_server's -cert_chain wants it.
intermediates_of() {
  local out="$WORK/$1-intermediates.pem"
  awk '/BEGIN CERTIFICATE/ { block++ } block > 1 { print }' "$PKI/$1-chain.pem" >"$out"
  echo "$out"
}

# s_server NAME CERT ARGS...: openssl s_server presenting CERT (a PKI name)
# on 127.0.0.1, any free port; sets PORT.
s_server() {
  local name=$1 cert=$2
  shift 2
  start "$name" openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$PKI/$cert.crt" \
    -cert_chain "$(intermediates_of "$cert")" -key "$PKI/$cert.key" "$@"
  expect "$name" out "ACCEPT"
  PORT=$(port_from "$WORK/$name.out" "ACCEPT")
}

s_client() {
  local name=$1
  shift
  start "$name" openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$PKI/ca-bundle.pem" \
    -verify_return_error "$@"
}

# --- gnutls-serv / gnutls-cli -------------------------------------------------

# gnutls_serv NAME CERT ARGS...: gnutls-serv --echo presenting CERT. It
# cannot bind port 0 and say which port it got, nor bind 127.0.0.1 only:
# it listens on every address of a port found free just before.
gnutls_serv() {
  local name=$1 cert=$2
  shift 2
  need python3 # for free_port
  PORT=$(free_port)
  start "$name" $LINE_BUFFERED gnutls-serv --echo -p "$PORT" --x509certfile "$PKI/$cert-chain.pem" \
    --x509keyfile "$PKI/$cert.key" "$@"
  expect "$name" err "IPv4 0.0.0.0 port $PORT...done"
}

# gnutls_cli NAME ARGS...: gnutls-cli to 127.0.0.1:$PORT trusting the test CA.
gnutls_cli() {
  local name=$1
  shift
  start "$name" $LINE_BUFFERED gnutls-cli -p "$PORT" --x509cafile "$PKI/ca-bundle.pem" "$@" 127.0.0.1
}

# gnutls_priority 1.2|1.3: a priority string allowing that version only.
gnutls_priority() {
  echo "--priority=NORMAL:-VERS-ALL:+VERS-TLS$1"
}

# --- curl and the hostile peer ---------------------------------------------------

# curl_get NAME ARGS...: curl -v https://localhost:$PORT/interop trusting the test CA.
curl_get() {
  local name=$1
  shift
  start "$name" curl -sS -v --cacert "$PKI/ca-bundle.pem" --resolve "localhost:$PORT:127.0.0.1" \
    "$@" "https://localhost:$PORT/interop"
}

# An HTTP response carrying $FROM_SERVER, for tlscat -l to send to curl.
http_response() {
  local file="$WORK/response.http"
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n' \
    $((${#FROM_SERVER} + 1)) "$FROM_SERVER" >"$file"
  echo "$file"
}

# hostile_listen NAME MODE [OPTIONS...] / hostile_connect NAME MODE: the
# misbehaving peer (hostile_peer.py).
hostile_listen() {
  local name=$1
  shift
  need python3
  start "$name" python3 "$HERE/hostile_peer.py" "$@" --pki "$PKI" --listen
  expect "$name" out "listening on"
  PORT=$(port_from "$WORK/$name.out" "listening on")
}

hostile_connect() {
  local name=$1
  shift
  need python3
  start "$name" python3 "$HERE/hostile_peer.py" "$@" --pki "$PKI" --connect "$PORT"
}

# A CA file holding the root and the intermediate, for servers that cannot
# send a chain for every certificate they hold.
ca_with_intermediate() {
  cat "$PKI/ca-bundle.pem" "$PKI/intermediate-ca.crt" >"$WORK/ca-and-intermediate.pem"
  echo "$WORK/ca-and-intermediate.pem"
}

version_name() {
  case $1 in
    1.2 | tls1_2) echo TLSv1.2 ;;
    1.3 | tls1_3) echo TLSv1.3 ;;
  esac
}

# require_version 1.2|1.3|tls1_2|tls1_3: skips unless the backend has it.
require_version() {
  [[ $(version_name "$1") == TLSv1.3 ]] || return 0
  require --protocols tlsv1.3
}

# assert_newest_version NAME: tlscat NAME connected with the newest version
# the backend has (its peer has them all).
assert_newest_version() {
  local newest=TLSv1.2
  backend_accepts --protocols tlsv1.3 && newest=TLSv1.3
  assert_has "$1" err "tlscat: version: $newest"
}

# ==============================================================================
# tlscat client against openssl s_server
# ==============================================================================

client_vs_s_server() {
  local proto=$1 cert=$2
  need openssl
  require_version "$proto"
  s_server srv "$cert" "-$proto"
  tlscat_connect cli
  converse srv cli cli
  assert_status cli 0
  assert_status srv 0
  assert_has cli err "tlscat: version: $(version_name "$proto")"
  assert_peer_subject cli localhost
}

case_client_openssl_tls13_ecdsa() { client_vs_s_server tls1_3 server-ecdsa; }
case_client_openssl_tls12_ecdsa() { client_vs_s_server tls1_2 server-ecdsa; }
case_client_openssl_tls13_rsa() { client_vs_s_server tls1_3 server-rsa; }
case_client_openssl_tls12_rsa() { client_vs_s_server tls1_2 server-rsa; }

case_client_openssl_alpn() {
  need openssl
  s_server srv server-ecdsa -alpn http/1.1
  tlscat_connect cli --alpn h2,http/1.1
  converse srv cli cli
  assert_status cli 0
  assert_has cli err "tlscat: alpn: http/1.1"
}

case_client_openssl_sni() {
  need openssl
  local ca
  ca=$(ca_with_intermediate)
  s_server srv server-ecdsa -naccept 2 -servername other.test \
    -cert2 "$PKI/sni-other.crt" -key2 "$PKI/sni-other.key"
  tlscat_connect other --ca "$ca" --servername other.test
  converse_keep_server srv other
  tlscat_connect local --ca "$ca" --servername localhost
  converse srv local local
  assert_status other 0
  assert_status local 0
  assert_peer_subject other other.test
  assert_peer_subject local localhost
}

# converse_keep_server SERVER CLIENT: converse, but SERVER goes on.
converse_keep_server() {
  exchange "$1" "$2"
  finish "$2"
}

case_client_openssl_mtls_required() {
  need openssl
  s_server srv server-ecdsa -Verify 1 -verify_return_error -CAfile "$PKI/ca-bundle.pem"
  tlscat_connect cli --cert "$PKI/client-chain.pem" --key "$PKI/client.key"
  converse srv cli cli
  assert_status cli 0
  assert_has srv out "CN = tlspp test client"
}

# In TLS 1.3 the client finishes its handshake before the server judges its
# (missing) certificate: the server's alert comes with the first read.
case_client_openssl_mtls_required_but_missing_tls13() {
  need openssl
  require_version 1.3
  s_server srv server-ecdsa -tls1_3 -Verify 1 -verify_return_error -CAfile "$PKI/ca-bundle.pem"
  tlscat_connect cli
  say cli "$FROM_CLIENT"
  finish cli
  assert_error cli "certificate required"
}

case_client_openssl_mtls_required_but_missing_tls12() {
  need openssl
  s_server srv server-ecdsa -tls1_2 -Verify 1 -verify_return_error -CAfile "$PKI/ca-bundle.pem"
  tlscat_connect cli
  say cli "$FROM_CLIENT"
  finish cli
  assert_refused cli "${WHY_NO_CLIENT_CERT_TLS12[@]}"
}

case_client_openssl_mtls_optional() {
  need openssl
  s_server srv server-ecdsa -naccept 2 -verify 1 -verify_return_error \
    -CAfile "$PKI/ca-bundle.pem"
  tlscat_connect anonymous
  converse_keep_server srv anonymous
  tlscat_connect with-cert --cert "$PKI/client-chain.pem" --key "$PKI/client.key"
  converse srv with-cert with-cert
  assert_status anonymous 0
  assert_status with-cert 0
  # s_server reports the client certificate it verified on stderr.
  assert_has srv err "depth=0 O = tlspp test, CN = tlspp test client"
  [[ $(grep -c "depth=0 O = tlspp test, CN = tlspp test client" "$WORK/srv.err") == 1 ]] ||
    fail "s_server verified a client certificate for the anonymous client too"
}

case_client_openssl_ocsp_stapling() {
  need openssl
  s_server srv server-ecdsa -status_file "$PKI/ocsp-good.der"
  tlscat_connect cli --ocsp-require-stapling
  converse srv cli cli
  assert_status cli 0
  assert_has cli err "tlscat: ocsp: good (response status 0"
}

case_client_openssl_ocsp_required_but_not_stapled() {
  need openssl
  s_server srv server-ecdsa
  tlscat_connect cli --ocsp-require-stapling
  finish cli
  assert_error cli "OCSP"
}

# Why a second TLS 1.3 handshake with the session file was full (a backend
# may keep no resumable TLS 1.3 session in it: the ticket comes after the
# handshake, or the backend has no TLS 1.3 resumption at all).
tls13_session_file_did_not_resume() {
  local kept="holds a session that did not resume"
  [[ -s $WORK/session ]] || kept="stayed empty"
  skip "the second TLS 1.3 handshake with the session file was full on both sides" \
    "($1); the session file $kept: the backend does not resume TLS 1.3 sessions from it"
}

# Two connections with one session file; the second must resume on both sides.
client_resumes() {
  local proto=$1
  need openssl
  require_version "$proto"
  s_server srv server-ecdsa "-$proto" -naccept 2
  tlscat_connect first --session-file "$WORK/session"
  converse_keep_server srv first
  tlscat_connect second --session-file "$WORK/session"
  converse srv second second
  assert_status first 0
  assert_status second 0
  assert_has first err "tlscat: resumed: no"
  if has_text "$WORK/second.err" "tlscat: resumed: no" && has_text "$WORK/srv.out" "   0 session cache hits"; then
    [[ $proto == tls1_3 ]] && tls13_session_file_did_not_resume "s_server: 0 session cache hits"
    fail "TLS 1.2 session not resumed"
  fi
  assert_has second err "tlscat: resumed: yes"
  assert_has srv out "   1 session cache hits"
}

case_client_openssl_resume_tls12() { client_resumes tls1_2; }
case_client_openssl_resume_tls13() { client_resumes tls1_3; }

case_client_openssl_refuses_tls11_only_server() {
  need openssl
  s_server srv server-ecdsa -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
  tlscat_connect cli
  finish cli
  assert_refused cli "${WHY_VERSION_OR_NO_SUITE[@]}"
}

case_client_openssl_refuses_tls12_when_configured_tls13_only() {
  need openssl
  s_server srv server-ecdsa -tls1_2
  tlscat_connect cli --protocols tlsv1.3
  finish cli
  assert_refused cli "${WHY_VERSION[@]}"
}

# AEAD ciphers only, as --ciphers: the backend's "secure" default admits CBC.
AEAD_ONLY="ECDHE+AESGCM:ECDHE+CHACHA20"

case_client_openssl_refuses_server_with_only_ciphers_outside_its_list() {
  need openssl
  s_server srv server-ecdsa -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
  tlscat_connect cli --ciphers "$AEAD_ONLY"
  finish cli
  assert_refused cli "${WHY_NO_SHARED_CIPHER[@]}"
}

# ==============================================================================
# tlscat client against gnutls-serv
# ==============================================================================

client_vs_gnutls_serv() {
  local version=$1 cert=$2
  need gnutls-serv
  require_version "$version"
  gnutls_serv srv "$cert" "$(gnutls_priority "$version")"
  tlscat_connect cli
  # gnutls-serv echoes: what comes back proves both directions.
  say cli "$FROM_CLIENT"
  expect cli out "$FROM_CLIENT"
  finish cli
  stop srv
  assert_status cli 0
  assert_has cli err "tlscat: version: $(version_name "$version")"
  assert_peer_subject cli localhost
}

case_client_gnutls_tls13_ecdsa() { client_vs_gnutls_serv 1.3 server-ecdsa; }
case_client_gnutls_tls12_ecdsa() { client_vs_gnutls_serv 1.2 server-ecdsa; }
case_client_gnutls_tls13_rsa() { client_vs_gnutls_serv 1.3 server-rsa; }
case_client_gnutls_tls12_rsa() { client_vs_gnutls_serv 1.2 server-rsa; }

# Runs tlscat ARGS against gnutls-serv (already started as srv): one echoed line.
echo_through_gnutls_serv() {
  local name=$1
  shift
  tlscat_connect "$name" "$@"
  say "$name" "$FROM_CLIENT"
  expect "$name" out "$FROM_CLIENT"
  finish "$name"
  assert_status "$name" 0
}

case_client_gnutls_alpn() {
  need gnutls-serv
  gnutls_serv srv server-ecdsa --alpn h2 --alpn-fatal
  echo_through_gnutls_serv cli --alpn h2,http/1.1
  stop srv
  assert_has cli err "tlscat: alpn: h2"
}

case_client_gnutls_sni() {
  need gnutls-serv
  gnutls_serv srv server-ecdsa --sni-hostname localhost --sni-hostname-fatal
  echo_through_gnutls_serv named --servername localhost
  tlscat_connect unnamed --servername other.test --insecure-noverifyname
  finish unnamed
  stop srv
  assert_peer_subject named localhost
  assert_refused unnamed "${WHY_UNRECOGNIZED_NAME[@]}"
}

case_client_gnutls_mtls_required() {
  need gnutls-serv
  gnutls_serv srv server-ecdsa --require-client-cert --verify-client-cert \
    --x509cafile "$PKI/ca-bundle.pem"
  echo_through_gnutls_serv cli --cert "$PKI/client-chain.pem" --key "$PKI/client.key"
  stop srv
  assert_has srv out "tlspp test client"
}

case_client_gnutls_ocsp_stapling() {
  need gnutls-serv
  gnutls_serv srv server-ecdsa --ocsp-response "$PKI/ocsp-good.der"
  echo_through_gnutls_serv cli --ocsp-require-stapling
  stop srv
  assert_has cli err "tlscat: ocsp: good (response status 0"
}

client_resumes_with_gnutls() {
  local version=$1
  need gnutls-serv
  require_version "$version"
  gnutls_serv srv server-ecdsa "$(gnutls_priority "$version")"
  echo_through_gnutls_serv first --session-file "$WORK/session"
  echo_through_gnutls_serv second --session-file "$WORK/session"
  stop srv
  assert_has first err "tlscat: resumed: no"
  if [[ $version == 1.3 ]] && has_text "$WORK/second.err" "tlscat: resumed: no"; then
    has_text "$WORK/srv.out" "This is a resumed session" && fail "only gnutls-serv saw a resumption"
    tls13_session_file_did_not_resume "gnutls-serv: no resumed session"
  fi
  assert_has second err "tlscat: resumed: yes"
  assert_has srv out "This is a resumed session"
}

case_client_gnutls_resume_tls12() { client_resumes_with_gnutls 1.2; }
case_client_gnutls_resume_tls13() { client_resumes_with_gnutls 1.3; }

case_client_gnutls_refuses_tls11_only_server() {
  need gnutls-serv
  gnutls_serv srv server-ecdsa "$(gnutls_priority 1.1)"
  tlscat_connect cli
  finish cli
  stop srv
  assert_refused cli "${WHY_VERSION_OR_NO_SUITE[@]}"
}

# ==============================================================================
# tlscat -l against openssl s_client
# ==============================================================================

server_vs_s_client() {
  local proto=$1 cert=$2
  need openssl
  require_version "$proto"
  serve srv "$cert"
  s_client cli "-$proto"
  converse srv cli srv
  assert_status srv 0
  assert_status cli 0
  assert_has srv err "tlscat: version: $(version_name "$proto")"
  assert_has cli out "Verification: OK"
  assert_has cli out "subject=O = tlspp test, CN = localhost"
}

case_server_openssl_tls13_ecdsa() { server_vs_s_client tls1_3 server-ecdsa; }
case_server_openssl_tls12_ecdsa() { server_vs_s_client tls1_2 server-ecdsa; }
case_server_openssl_tls13_rsa() { server_vs_s_client tls1_3 server-rsa; }
case_server_openssl_tls12_rsa() { server_vs_s_client tls1_2 server-rsa; }

case_server_openssl_alpn() {
  need openssl
  serve srv server-ecdsa --alpn h2,http/1.1
  s_client cli -alpn http/1.1,spdy/1
  converse srv cli srv
  assert_status srv 0
  assert_has srv err "tlscat: alpn: http/1.1"
  assert_has cli out "ALPN protocol: http/1.1"
}

case_server_openssl_sni_selects_keypair() {
  need openssl
  serve srv server-ecdsa -k \
    --keypair "$PKI/sni-other-chain.pem,$PKI/sni-other.key"
  s_client other -servername other.test -verify_hostname other.test
  exchange srv other
  finish other
  s_client local -servername localhost -verify_hostname localhost
  exchange srv local
  finish local
  stop srv
  assert_has other out "subject=O = tlspp test, CN = other.test"
  assert_has other out "Verification: OK"
  assert_has local out "subject=O = tlspp test, CN = localhost"
  assert_has srv err "tlscat: servername: other.test"
  assert_has srv err "tlscat: servername: localhost"
}

S_CLIENT_CERT=(-cert "$PKI/client.crt" -key "$PKI/client.key" -cert_chain "$PKI/intermediate-ca.crt")

case_server_openssl_mtls_required() {
  need openssl
  serve srv server-ecdsa --verify-client --ca "$PKI/ca-bundle.pem"
  s_client cli "${S_CLIENT_CERT[@]}"
  converse srv cli srv
  assert_status srv 0
  assert_peer_subject srv "tlspp test client"
}

case_server_openssl_mtls_required_but_missing() {
  need openssl
  serve srv server-ecdsa --verify-client --ca "$PKI/ca-bundle.pem"
  s_client cli
  finish srv
  stop cli
  assert_refused srv "${WHY_NO_CLIENT_CERT[@]}"
}

case_server_openssl_mtls_optional() {
  need openssl
  serve srv server-ecdsa -k --verify-client-optional --ca "$PKI/ca-bundle.pem"
  s_client anonymous
  exchange srv anonymous
  finish anonymous
  s_client with-cert "${S_CLIENT_CERT[@]}"
  exchange srv with-cert
  finish with-cert
  stop srv
  assert_has srv err "tlscat: peer certificate: none"
  assert_peer_subject srv "tlspp test client"
  [[ $(grep -c "connection closed cleanly" "$WORK/srv.err") == 2 ]] ||
    fail "tlscat -l did not close both connections cleanly"
}

case_server_openssl_ocsp_stapling() {
  need openssl
  serve srv server-ecdsa --ocsp-staple "$PKI/ocsp-good.der"
  s_client cli -status
  converse srv cli srv
  assert_status srv 0
  assert_has cli out "OCSP Response Status: successful"
  assert_has cli out "Cert Status: good"
}

# The staple travels with its keypair: the default one, chosen here without SNI.
case_server_openssl_ocsp_stapling_from_keypair() {
  need openssl
  tlscat_listen srv \
    --keypair "$PKI/server-ecdsa-chain.pem,$PKI/server-ecdsa.key,$PKI/ocsp-good.der" \
    --keypair "$PKI/sni-other-chain.pem,$PKI/sni-other.key"
  s_client cli -status
  converse srv cli srv
  assert_status srv 0
  assert_has cli out "subject=O = tlspp test, CN = localhost"
  assert_has cli out "OCSP Response Status: successful"
  assert_has cli out "Cert Status: good"
}

# tlscat -l with what a libtls server needs to resume: ticket keys, a
# session ID context and a session lifetime (0, the default, disables
# sessions in libtls).
serve_resumable() {
  head -c 48 /dev/urandom >"$WORK/ticket.key"
  local sessions=(--ticket-key-file "$WORK/ticket.key" --session-id tlscat-interop
    --session-lifetime 300)
  # A backend whose servers never resume (libretls) refuses these up front.
  require "${sessions[@]}"
  serve srv server-ecdsa -k "${sessions[@]}"
}

# s_client saves the session of a first connection and offers it in a
# second; both sides must see the second one resumed.
server_resumes() {
  local proto=$1
  need openssl
  require_version "$proto"
  serve_resumable
  s_client first "-$proto" -sess_out "$WORK/session"
  exchange srv first
  finish first
  [[ -s $WORK/session ]] || skip "over $(version_name "$proto") tlscat -l issued s_client no" \
    "session to save (no session ID, no ticket)"
  s_client second "-$proto" -sess_in "$WORK/session"
  exchange srv second
  finish second
  stop srv
  if has_text "$WORK/second.out" "New, TLS"; then
    has_text "$WORK/srv.err" "tlscat: resumed: yes" && fail "only tlscat -l saw a resumption"
    skip "over $(version_name "$proto") s_client offered the session tlscat -l had issued," \
      "and tlscat -l answered with a full handshake"
  fi
  assert_has second out "Reused, TLS"
  [[ $(grep -c "tlscat: resumed: yes" "$WORK/srv.err") == 1 ]] || fail "tlscat -l did not resume"
}

case_server_openssl_resume_tls12() { server_resumes tls1_2; }
case_server_openssl_resume_tls13() { server_resumes tls1_3; }

case_server_openssl_refuses_tls11_only_client() {
  need openssl
  serve srv server-ecdsa
  s_client cli -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
  finish srv
  stop cli
  assert_refused srv "${WHY_VERSION[@]}"
}

case_server_openssl_refuses_client_with_only_ciphers_outside_its_list() {
  need openssl
  serve srv server-ecdsa --ciphers "$AEAD_ONLY"
  s_client cli -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
  finish srv
  stop cli
  assert_refused srv "${WHY_NO_SHARED_CIPHER[@]}"
}

# ==============================================================================
# tlscat -l against gnutls-cli
# ==============================================================================

# gnutls-cli does not answer a close_notify, so it is the side that closes.
server_vs_gnutls_cli() {
  local version=$1 cert=$2
  need gnutls-cli
  require_version "$version"
  serve srv "$cert"
  gnutls_cli cli "$(gnutls_priority "$version")"
  converse srv cli cli
  assert_status srv 0
  assert_status cli 0
  assert_has srv err "tlscat: version: $(version_name "$version")"
  assert_has cli out "- Description: (TLS$version-"
  assert_has cli out "The certificate is trusted"
}

case_server_gnutls_tls13_ecdsa() { server_vs_gnutls_cli 1.3 server-ecdsa; }
case_server_gnutls_tls12_ecdsa() { server_vs_gnutls_cli 1.2 server-ecdsa; }
case_server_gnutls_tls13_rsa() { server_vs_gnutls_cli 1.3 server-rsa; }
case_server_gnutls_tls12_rsa() { server_vs_gnutls_cli 1.2 server-rsa; }

case_server_gnutls_alpn() {
  need gnutls-cli
  serve srv server-ecdsa --alpn h2,http/1.1
  gnutls_cli cli --alpn http/1.1 --alpn h2
  converse srv cli cli
  assert_status srv 0
  assert_has srv err "tlscat: alpn: h2"
  assert_has cli out "- Application protocol: h2"
}

case_server_gnutls_sni_selects_keypair() {
  need gnutls-cli
  serve srv server-ecdsa -k \
    --keypair "$PKI/sni-other-chain.pem,$PKI/sni-other.key"
  gnutls_cli other --sni-hostname other.test --verify-hostname other.test
  exchange srv other
  finish other
  stop srv
  assert_status other 0
  assert_has other out "The certificate is trusted"
  assert_has srv err "tlscat: servername: other.test"
}

case_server_gnutls_mtls_required() {
  need gnutls-cli
  serve srv server-ecdsa --verify-client --ca "$PKI/ca-bundle.pem"
  gnutls_cli cli --x509certfile "$PKI/client-chain.pem" --x509keyfile "$PKI/client.key"
  converse srv cli cli
  assert_status srv 0
  assert_peer_subject srv "tlspp test client"
}

case_server_gnutls_ocsp_stapling() {
  need gnutls-cli
  serve srv server-ecdsa --ocsp-staple "$PKI/ocsp-good.der"
  gnutls_cli cli -V --save-ocsp "$WORK/stapled.der"
  converse srv cli cli
  assert_status srv 0
  assert_has cli out "Certificate Status: good"
  cmp -s "$WORK/stapled.der" "$PKI/ocsp-good.der" || fail "gnutls-cli saw another OCSP response"
}

# gnutls-cli --resume connects twice, offering the first session in the second.
server_resumes_with_gnutls() {
  local version=$1
  need gnutls-cli
  require_version "$version"
  serve_resumable
  gnutls_cli cli --resume "$(gnutls_priority "$version")"
  say cli "$FROM_CLIENT"
  expect srv out "$FROM_CLIENT"
  finish cli
  stop srv
  if ! has_text "$WORK/cli.out" "This is a resumed session"; then
    has_text "$WORK/srv.err" "tlscat: resumed: yes" && fail "only tlscat -l saw a resumption"
    skip "over TLSv$version gnutls-cli --resume got a full handshake from tlscat -l" \
      "both times"
  fi
  assert_has srv err "tlscat: resumed: yes"
}

case_server_gnutls_resume_tls12() { server_resumes_with_gnutls 1.2; }
case_server_gnutls_resume_tls13() { server_resumes_with_gnutls 1.3; }

case_server_gnutls_refuses_tls11_only_client() {
  need gnutls-cli
  serve srv server-ecdsa
  gnutls_cli cli "$(gnutls_priority 1.1)"
  finish srv
  stop cli
  assert_refused srv "${WHY_VERSION[@]}"
}

# ==============================================================================
# tlscat -l against curl
# ==============================================================================

# curl sends a request; tlscat -l sends the response from its stdin and
# closes; curl checks the certificate and prints the body.
server_vs_curl() {
  local cert=$1
  shift
  need curl
  serve srv "$cert" "${SERVER_ARGS[@]}"
  curl_get cli "$@"
  expect srv out "GET /interop HTTP/1.1"
  say_file srv "$(http_response)"
  finish srv
  finish cli
  assert_status srv 0
  assert_status cli 0
  assert_has cli out "$FROM_SERVER"
}
SERVER_ARGS=()

case_server_curl_tls13_ecdsa() {
  require_version 1.3
  server_vs_curl server-ecdsa --tlsv1.3
  assert_has cli err "SSL connection using TLSv1.3"
}
case_server_curl_tls12_ecdsa() {
  server_vs_curl server-ecdsa --tlsv1.2 --tls-max 1.2
  assert_has cli err "SSL connection using TLSv1.2"
}
case_server_curl_tls13_rsa() {
  require_version 1.3
  server_vs_curl server-rsa --tlsv1.3
  assert_has cli err "SSL connection using TLSv1.3"
}
case_server_curl_tls12_rsa() {
  server_vs_curl server-rsa --tlsv1.2 --tls-max 1.2
  assert_has cli err "SSL connection using TLSv1.2"
}

case_server_curl_alpn() {
  SERVER_ARGS=(--alpn http/1.1)
  server_vs_curl server-ecdsa
  assert_has cli err "ALPN: server accepted http/1.1"
  assert_has srv err "tlscat: alpn: http/1.1"
}

case_server_curl_mtls_required() {
  SERVER_ARGS=(--verify-client --ca "$PKI/ca-bundle.pem")
  server_vs_curl server-ecdsa --cert "$PKI/client-chain.pem" --key "$PKI/client.key"
  assert_peer_subject srv "tlspp test client"
}

case_server_curl_ocsp_stapling() {
  SERVER_ARGS=(--ocsp-staple "$PKI/ocsp-good.der")
  server_vs_curl server-ecdsa --cert-status
  assert_has cli err "SSL certificate status: good"
}

# curl fetches twice in one run; each response says "Connection: close", so
# the second fetch is a new connection, which resumes the first's session
# from curl's own cache.
server_resumes_with_curl() {
  local version=$1
  need curl
  require_version "$version"
  serve_resumable
  curl_get cli "--tlsv$version" --tls-max "$version" "https://localhost:$PORT/interop"
  expect srv out "GET /interop HTTP/1.1"
  say_file srv "$(http_response)"
  wait_until "curl's second request" requests_seen 2
  say_file srv "$(http_response)"
  finish cli
  stop srv
  assert_status cli 0
  [[ $(grep -c "$FROM_SERVER" "$WORK/cli.out") == 2 ]] || fail "curl did not get both responses"
  assert_has cli err "SSL re-using session ID"
  [[ $(grep -c "tlscat: resumed: yes" "$WORK/srv.err") == 1 ]] || fail "tlscat -l did not resume"
}
requests_seen() {
  [[ $(grep -c "GET /interop HTTP/1.1" "$WORK/srv.out") -ge $1 ]]
}
case_server_curl_resume_tls12() { server_resumes_with_curl 1.2; }
case_server_curl_resume_tls13() { server_resumes_with_curl 1.3; }

case_server_curl_refuses_tls11_only_client() {
  need curl
  serve srv server-ecdsa
  curl_get cli --tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0'
  finish srv
  finish cli
  assert_refused srv "${WHY_VERSION[@]}"
}

# ==============================================================================
# Bad certificates: tlscat client against s_server presenting them
# ==============================================================================

# s_server_presenting NAME CERT CHAIN: s_server with CERT and the
# intermediates in the file CHAIN ("" for none); sets PORT.
s_server_presenting() {
  local name=$1 cert=$2 chain=$3
  need openssl
  start "$name" openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$PKI/$cert.crt" \
    ${chain:+-cert_chain "$chain"} -key "$PKI/$cert.key"
  expect "$name" out "ACCEPT"
  PORT=$(port_from "$WORK/$name.out" "ACCEPT")
}

# rejects CERT CHAIN WHY [TLSCAT ARGS...]: the handshake fails for the reason
# the array named WHY words, and no connection is reported.
rejects() {
  local cert=$1 chain=$2
  local -n why=$3
  shift 3
  s_server_presenting srv "$cert" "$chain"
  tlscat_connect cli "$@"
  finish cli
  assert_refused cli "${why[@]}"
}

case_badcert_expired() { rejects expired "$PKI/intermediate-ca.crt" WHY_EXPIRED; }
case_badcert_not_yet_valid() { rejects notyetvalid "$PKI/intermediate-ca.crt" WHY_NOT_YET_VALID; }
case_badcert_wrong_name() {
  rejects wrongname "$PKI/intermediate-ca.crt" WHY_WRONG_NAME --servername localhost
}
case_badcert_untrusted_root() { rejects untrusted "$PKI/untrusted-ca.crt" WHY_UNTRUSTED_ROOT; }
case_badcert_self_signed() { rejects selfsigned "" WHY_SELF_SIGNED; }
case_badcert_revoked_by_crl() {
  rejects revoked "$PKI/intermediate-ca.crt" WHY_REVOKED --crl "$PKI/crl.pem"
}

# root -> deep-ca-1 -> deep-ca-2 -> deep-ca-3 -> leaf: three intermediates.
deep_intermediates() {
  awk '/BEGIN CERTIFICATE/ { block++ } block > 1 { print }' "$PKI/deep-leaf-chain.pem" \
    >"$WORK/deep-intermediates.pem"
  echo "$WORK/deep-intermediates.pem"
}

case_badcert_chain_deeper_than_verify_depth() {
  rejects deep-leaf "$(deep_intermediates)" WHY_CHAIN_TOO_LONG --verify-depth 2
}

# The same deep chain within the limit passes: the depth, not the chain,
# failed. Depth 3 allows the three intermediates where the backend counts
# intermediates (OpenSSL's rule); a backend that counts the leaf too
# (LibreSSL) must refuse depth 3 as too long and take depth 4. With the
# CRLs of the whole chain checked, where the backend checks CRLs.
case_badcert_control_chain_within_verify_depth() {
  local crl=(--crl "$PKI/crl.pem")
  backend_accepts "${crl[@]}" || {
    echo "note: without --crl: $REFUSAL"
    crl=()
  }
  s_server_presenting srv3 deep-leaf "$(deep_intermediates)"
  tlscat_connect depth3 --verify-depth 3 "${crl[@]}"
  wait_until "depth3's handshake to end" handshake_ended depth3
  if has_text "$WORK/depth3.err" "tlscat: version:"; then
    converse srv3 depth3 depth3
    assert_status depth3 0
    assert_peer_subject depth3 localhost
  else
    finish depth3
    stop srv3
    assert_refused depth3 "certificate chain too long"
    echo "note: the backend counts the leaf in the verify depth; trying depth 4"
    s_server_presenting srv4 deep-leaf "$WORK/deep-intermediates.pem"
    tlscat_connect depth4 --verify-depth 4 "${crl[@]}"
    converse srv4 depth4 depth4
    assert_status depth4 0
    assert_peer_subject depth4 localhost
  fi
}

# Whether tlscat NAME has connected (reported its version) or exited.
handshake_ended() {
  has_text "$WORK/$1.err" "tlscat: version:" || ! running "$1"
}

# ==============================================================================
# Hostile peers: each must end in a clear error, exit 1, no hang
# ==============================================================================

# hostile_server MODE STAGE [TLSCAT ARGS...]: tlscat connects to the hostile
# peer and fails by itself (its stdin stays open) in STAGE ("handshake",
# "recv", ...): its error line starts "tlscat: STAGE: ". hostile_client
# likewise, tlscat -l accepting it.
hostile_server() {
  local mode=$1 stage=$2
  shift 2
  hostile_listen evil "$mode"
  tlscat_connect cli "$@"
  fails_by_itself cli "$stage"
}

hostile_client() {
  local mode=$1 stage=$2
  shift 2
  serve srv server-ecdsa "$@"
  hostile_connect evil "$mode"
  fails_by_itself srv "$stage"
}

fails_by_itself() {
  wait_until "$1 to give up" exited "$1"
  finish "$1"
  assert_error "$1" "tlscat: $2: "
}

exited() {
  ! running "$1"
}

case_hostile_server_sends_random_bytes() { hostile_server random-bytes handshake; }
case_hostile_client_sends_random_bytes() { hostile_client random-bytes handshake; }
case_hostile_server_truncates_handshake() {
  hostile_server truncated-handshake handshake
  assert_error cli "${WHY_EOF[@]}"
}
case_hostile_client_truncates_handshake() {
  hostile_client truncated-handshake handshake
  assert_error srv "${WHY_EOF[@]}"
}
case_hostile_server_stalls_handshake() {
  hostile_server stalled-handshake handshake -w 1
  assert_error cli "handshake: timed out after 1 s"
}
case_hostile_client_stalls_handshake() {
  hostile_client stalled-handshake handshake -w 1
  assert_error srv "handshake: timed out after 1 s"
}
case_hostile_server_sends_oversized_record() {
  hostile_server oversized-record handshake
  assert_error cli "${WHY_OVERSIZED_RECORD[@]}"
}
case_hostile_client_sends_oversized_record() {
  hostile_client oversized-record handshake
  assert_error srv "${WHY_OVERSIZED_RECORD[@]}"
}
case_hostile_server_sends_garbage_after_handshake() {
  hostile_server garbage-after-handshake recv
  assert_newest_version cli
}
case_hostile_client_sends_garbage_after_handshake() {
  hostile_client garbage-after-handshake recv
  assert_newest_version srv
}
case_hostile_server_closes_without_close_notify() {
  hostile_server no-close-notify "connection truncated, the peer closed without close_notify"
  assert_has cli out "hello from the hostile peer"
  assert_error cli "recv: "
}
case_hostile_client_closes_without_close_notify() {
  hostile_client no-close-notify "connection truncated, the peer closed without close_notify"
}

# A peer whose record fails its MAC check, with more bytes queued behind it
# that tlscat never reads, must still get tlscat's fatal alert: tlscat
# shuts its write side and drains the peer before it closes, where a plain
# close would answer the unread bytes with a reset. TLS 1.2, so that the
# alert's record type shows on the wire.
# A backend that fails without a word (libtls-bearssl sends no alerts) must
# still end the stream cleanly rather than with a reset.
case_hostile_server_gets_the_alert_for_a_bad_record() {
  what_a_failing_tlscat_sends
  hostile_listen evil bad-record-then-more --max-version 1.2
  tlscat_connect cli
  fails_by_itself cli recv
  expect evil out "got "
  assert_has evil out "got $FAILING_TLSCAT_SENDS, then the end of the stream"
}
case_hostile_client_gets_the_alert_for_a_bad_record() {
  what_a_failing_tlscat_sends
  serve srv server-ecdsa
  hostile_connect evil bad-record-then-more --max-version 1.2
  fails_by_itself srv recv
  expect evil out "got "
  assert_has evil out "got $FAILING_TLSCAT_SENDS, then the end of the stream"
}

# Sets FAILING_TLSCAT_SENDS to what the hostile peer should get from a
# tlscat that fails: "an alert record", or "0 bytes" where the backend sends
# no alerts. Seen by openssl s_server (-msg lists each record it gets) when a
# TLS 1.2 tlscat client rejects its certificate. Keeps PORT.
what_a_failing_tlscat_sends() {
  need openssl
  local port=${PORT:-}
  s_server alert-probe-srv server-ecdsa -tls1_2 -msg
  start alert-probe-cli "$TLSCAT" --ca "$PKI/untrusted-ca.crt" --servername localhost 127.0.0.1 "$PORT"
  finish alert-probe-cli
  wait_until "the alert probe's server to see the connection end" has_line alert-probe-srv "CONNECTION CLOSED"
  stop alert-probe-srv
  PORT=$port
  FAILING_TLSCAT_SENDS="0 bytes"
  if grep -q "^<<< .*Alert.*fatal" "$WORK/alert-probe-srv.out"; then
    FAILING_TLSCAT_SENDS="an alert record"
  fi
}

has_line() {
  grep -q "$2" "$WORK/$1.out"
}

# ==============================================================================
# Bulk data: both directions at once, byte for byte
# ==============================================================================

# tlscat to tlscat -l, 4 MiB one way and 3 MiB the other at the same time;
# each side closes when its input ends and waits for the other's close_notify.
# Closing with data still coming the other way needs TLS 1.3's half-close:
# in TLS 1.2 the side that gets a close_notify first answers at once and
# drops what it has not sent (RFC 5246, 7.2.1).
case_bulk_tlscat_both_ways_at_once() {
  require_version 1.3
  head -c $((4 << 20)) /dev/urandom >"$WORK/to-server"
  head -c $((3 << 20)) /dev/urandom >"$WORK/to-client"
  serve srv server-ecdsa
  tlscat_connect cli
  feed srv "$WORK/to-client"
  feed cli "$WORK/to-server"
  finish cli
  finish srv
  assert_status cli 0
  assert_status srv 0
  assert_has cli err "tlscat: version: TLSv1.3"
  cmp -s "$WORK/to-server" "$WORK/srv.out" || fail "the server received other bytes"
  cmp -s "$WORK/to-client" "$WORK/cli.out" || fail "the client received other bytes"
}

# The same over TLS 1.2: both ways at once, then the client closes once
# everything has arrived and the server answers its close_notify.
case_bulk_tlscat_both_ways_at_once_tls12() {
  head -c $((4 << 20)) /dev/urandom >"$WORK/to-server"
  head -c $((3 << 20)) /dev/urandom >"$WORK/to-client"
  serve srv server-ecdsa --protocols tlsv1.2
  tlscat_connect cli
  feed_and_hold srv "$WORK/to-client"
  feed_and_hold cli "$WORK/to-server"
  expect_bytes srv out $((4 << 20))
  expect_bytes cli out $((3 << 20))
  finish cli
  finish srv
  assert_status cli 0
  assert_status srv 0
  assert_has cli err "tlscat: version: TLSv1.2"
  assert_has srv err "tlscat: the peer sent close_notify"
  cmp -s "$WORK/to-server" "$WORK/srv.out" || fail "the server received other bytes"
  cmp -s "$WORK/to-client" "$WORK/cli.out" || fail "the client received other bytes"
}

# The server sends 1 MiB only after the client's close_notify has reached it,
# then its own close_notify: the client must still deliver every byte.
# TLS 1.3 requires it (a close_notify closes only the sender's side, RFC
# 8446, 6.1); TLS 1.2 lets the side that closed first stop reading (RFC
# 5246, 7.2.1), and a backend that does must not pass for one that delivers.
client_reads_after_its_close_notify() {
  local version=$1
  require_version "$version"
  hostile_listen evil data-after-close-notify --max-version "$version"
  tlscat_connect cli
  hangup cli
  finish cli
  assert_status cli 0
  assert_has cli err "tlscat: version: $(version_name "$version")"
  assert_has cli err "tlscat: the peer sent close_notify"
  local got
  got=$(stat -c %s "$WORK/cli.out")
  if ((got < LATE_DATA_SIZE)) && [[ $version == 1.2 ]] && cmp -s "$WORK/cli.out" <(late_data | head -c "$got"); then
    skip "over TLS 1.2 the backend discards what arrives after its own close_notify: tlscat" \
      "delivered $got of the $LATE_DATA_SIZE bytes the server sent before its close_notify," \
      "and still reported a clean close (RFC 5246 lets the first closer stop reading)"
  fi
  cmp -s "$WORK/cli.out" <(late_data) || fail "the client delivered $got bytes, not the server's $LATE_DATA_SIZE"
}

# What hostile_peer.py's data-after-close-notify mode sends.
LATE_DATA_SIZE=$((1 << 20))
late_data() {
  python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(1 << 20)))'
}

case_client_reads_after_its_close_notify_tls12() { client_reads_after_its_close_notify 1.2; }
case_client_reads_after_its_close_notify_tls13() { client_reads_after_its_close_notify 1.3; }

# 1 MiB of text through gnutls-serv --echo and back (text: the echo server
# rewrites CRLF).
case_bulk_client_gnutls_echo() {
  need gnutls-serv
  head -c $((768 << 10)) /dev/urandom | base64 >"$WORK/text"
  gnutls_serv srv server-ecdsa
  tlscat_connect cli
  # The close_notify goes once the whole echo is back: over TLS 1.2 a backend
  # may stop reading when it has sent its close_notify (see
  # client-reads-after-its-close-notify-tls12).
  feed_and_hold cli "$WORK/text"
  expect_bytes cli out "$(stat -c %s "$WORK/text")"
  finish cli
  stop srv
  assert_status cli 0
  cmp -s "$WORK/text" "$WORK/cli.out" || fail "the echo differs from what was sent"
}

# ==============================================================================
# tlscat's command line: --version, -4/-6, -H pinning, --show-chain
# ==============================================================================

# --version prints the version CMake's project() sets, and the backend.
case_options_version() {
  local version
  version=$(sed -n 's/^project(tlspp VERSION \([0-9.]*\).*/\1/p' "$HERE/../../CMakeLists.txt")
  [[ -n $version ]] || fail "no project version in CMakeLists.txt"
  local flag
  for flag in --version -V; do
    start "version$flag" "$TLSCAT" "$flag"
    finish "version$flag"
    assert_status "version$flag" 0
    [[ $(head -n 1 "$WORK/version$flag.out") == "tlscat $version" ]] ||
      fail "tlscat $flag said '$(head -n 1 "$WORK/version$flag.out")', not 'tlscat $version'"
    grep -q '^backend: .*libtls API' "$WORK/version$flag.out" || fail "tlscat $flag names no backend"
  done
}

# listen_on_any_address NAME ARGS...: tlscat -l without a host, on any free
# port; sets PORT.
listen_on_any_address() {
  local name=$1
  shift
  start "$name" "$TLSCAT" -l -v --cert "$PKI/server-ecdsa-chain.pem" --key "$PKI/server-ecdsa.key" \
    "$@" 0
  expect "$name" err "tlscat: listening on"
  PORT=$(port_from "$WORK/$name.err" "tlscat: listening on")
}

# converse_tlscats SERVER CLIENT: converse between two tlscats. Both stdins
# end: over TLS 1.3 each sends until its own stdin ends.
converse_tlscats() {
  exchange "$1" "$2"
  hangup "$1"
  finish "$2"
  finish "$1"
}

ipv6_available() {
  python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null
}

# -4: tlscat -l without a host listens on IPv4's any address only, and a
# client reaches it over IPv4; over IPv6 nothing listens there.
case_options_ipv4_only() {
  listen_on_any_address srv -4
  assert_has srv err "tlscat: listening on 0.0.0.0:"
  if ipv6_available; then
    start cli6 "$TLSCAT" -6 --ca "$PKI/ca-bundle.pem" --servername localhost ::1 "$PORT"
    finish cli6
    assert_error cli6 "connect to ::1:$PORT: Connection refused"
  fi
  tlscat_connect cli -4
  converse_tlscats srv cli
  assert_status cli 0
  assert_status srv 0
  assert_has cli err "tlscat: connected to 127.0.0.1:$PORT"
}

# -6: IPv6's any address only (IPV6_V6ONLY, so no IPv4-mapped clients either).
case_options_ipv6_only() {
  ipv6_available || skip "IPv6 is not available here (cannot bind ::1)"
  listen_on_any_address srv -6
  assert_has srv err "tlscat: listening on [::]:"
  start cli4 "$TLSCAT" -4 --ca "$PKI/ca-bundle.pem" 127.0.0.1 "$PORT"
  finish cli4
  assert_error cli4 "connect to 127.0.0.1:$PORT: Connection refused"
  start cli "$TLSCAT" -v -6 --ca "$PKI/ca-bundle.pem" --servername localhost ::1 "$PORT"
  converse_tlscats srv cli
  assert_status cli 0
  assert_status srv 0
  assert_has cli err "tlscat: connected to [::1]:$PORT"
}

# -4 and -6 restrict name resolution too: an address of the other family
# does not resolve.
case_options_ipv4_only_refuses_ipv6_address() { config_error -4 ::1 1 "resolve ::1:1: "; }
case_options_ipv6_only_refuses_ipv4_address() {
  config_error -6 127.0.0.1 1 "resolve 127.0.0.1:1: "
}
case_options_ipv4_and_ipv6_together() {
  config_error -4 -6 127.0.0.1 1 "-4 and -6: give only one of them (tlscat -h for help)"
}

# The SHA256 hash of a PKI certificate, as tls_peer_cert_hash() writes it.
cert_hash() {
  echo "SHA256:$(openssl x509 -in "$PKI/$1.crt" -outform DER | sha256sum | cut -d ' ' -f 1)"
}

# -H with the server's hash (in upper case: hex is hex) connects as usual.
case_options_pin_right_hash() {
  need openssl sha256sum
  s_server srv server-ecdsa
  local hash
  hash=$(cert_hash server-ecdsa)
  tlscat_connect cli -H "SHA256:${hash#SHA256:}" -H "SHA256:$(tr a-f A-F <<<"${hash#SHA256:}")"
  converse srv cli cli
  assert_status cli 0
  assert_has cli err "tlscat: peer hash: $hash"
}

# -H with another hash: the handshake completes (the chain is valid), then
# tlscat sends no data, closes with close_notify (s_server says DONE, not
# ERROR) and fails naming both hashes.
case_options_pin_wrong_hash() {
  need openssl sha256sum
  s_server srv server-ecdsa
  tlscat_connect cli -H "$(cert_hash server-rsa)"
  say cli "$FROM_CLIENT"
  finish cli
  assert_error cli "-H: the peer's certificate hash is $(cert_hash server-ecdsa), not $(cert_hash server-rsa)"
  expect srv out "DONE"
  assert_lacks srv out "ERROR"
  assert_lacks srv out "$FROM_CLIENT"
}

# A server pins its client's certificate the same way.
case_options_pin_client_certificate() {
  need openssl sha256sum
  serve srv server-ecdsa --verify-client --ca "$PKI/ca-bundle.pem" -H "$(cert_hash client)"
  tlscat_connect cli --cert "$PKI/client-chain.pem" --key "$PKI/client.key"
  converse_tlscats srv cli
  assert_status srv 0
  assert_status cli 0
}

case_options_pin_malformed_hash() {
  config_error -H "SHA256:abc" 127.0.0.1 1 "-H: expected SHA256: and 64 hex digits"
}
case_options_pin_not_sha256() {
  config_error -H "SHA1:$(printf '%064d' 0)" 127.0.0.1 1 "(tlscat -h for help)"
}

# --show-chain prints the chain s_server sends (the leaf, then its
# intermediates) as PEM on stderr.
case_options_show_chain() {
  need openssl
  s_server srv server-ecdsa
  tlscat_connect cli --show-chain
  converse srv cli cli
  assert_status cli 0
  assert_has cli err "tlscat: peer chain:"
  local pem='/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/'
  sed -n "${pem}p" "$WORK/cli.err" >"$WORK/shown.pem"
  sed -n "${pem}p" "$PKI/server-ecdsa-chain.pem" >"$WORK/sent.pem"
  (($(grep -c BEGIN "$WORK/sent.pem") >= 2)) || fail "the test chain has no intermediate"
  cmp -s "$WORK/shown.pem" "$WORK/sent.pem" || fail "--show-chain printed another chain"
}

# ==============================================================================
# tlscat's own errors, before any peer
# ==============================================================================

# config_error ARGS... REASON: tlscat ARGS fails at once saying REASON.
config_error() {
  local reason=${*: -1}
  start cli "$TLSCAT" "${@:1:$#-1}"
  finish cli
  assert_error cli "$reason"
}

# config_error_one_of WHY ARGS...: tlscat ARGS fails at once for the reason
# the array named WHY words.
config_error_one_of() {
  local -n why=$1
  shift
  start cli "$TLSCAT" "$@"
  finish cli
  assert_error cli "${why[@]}"
}

case_config_missing_ca_file() {
  config_error --ca "$WORK/missing.pem" 127.0.0.1 1 "--ca: "
}
# A CA file without a certificate is refused before anything connects: some
# backends would trust nothing, libtls-bearssl the system's roots.
case_config_empty_ca_file() {
  config_error --ca "$PKI/empty.pem" 127.0.0.1 1 "--ca: '$PKI/empty.pem' holds no PEM certificate"
}
case_config_empty_key_file() {
  config_error_one_of WHY_NO_KEY -l --cert "$PKI/server-ecdsa-chain.pem" --key "$PKI/empty.pem" 0
}
case_config_directory_as_ca_file() {
  config_error --ca "$PKI" 127.0.0.1 1 "--ca: failed to read CA file '$PKI': Is a directory"
}
case_config_directory_as_cert() {
  config_error -l --cert "$PKI" --key "$PKI/server-ecdsa.key" 0 "--cert: "
}
case_config_malformed_cert_pem() {
  config_error_one_of WHY_BAD_CERT -l --cert "$PKI/garbage.pem" --key "$PKI/server-ecdsa.key" 0
}
case_config_key_not_matching_cert() {
  config_error -l --cert "$PKI/server-ecdsa-chain.pem" --key "$PKI/key-mismatch.key" 0 \
    "server: configure: "
}
case_config_wrong_key_password() {
  printf 'not the password\n' >"$WORK/password"
  config_error -l --cert "$PKI/server-ecdsa-chain.pem" --key "$PKI/encrypted.key" \
    --key-password-file "$WORK/password" 0 "--key: "
}
case_config_unknown_protocol() { config_error --protocols tlsv9 127.0.0.1 1 "--protocols: "; }
case_config_short_ticket_key() {
  head -c 47 /dev/zero >"$WORK/ticket.key"
  config_error -l --ticket-key-file "$WORK/ticket.key" 0 "must hold exactly 48 bytes, not 47"
}
case_config_connection_refused() {
  PORT=$(free_port)
  config_error --ca "$PKI/ca-bundle.pem" 127.0.0.1 "$PORT" "Connection refused"
}

declare -F "case_${CASE//-/_}" >/dev/null || fail "no case named $CASE"
"case_${CASE//-/_}"
pass
