#!/usr/bin/env bash
# Interop and hostile-peer cases for tlscat (and so tlspp) against peers it
# did not write: openssl s_server/s_client, gnutls-serv/gnutls-cli, curl,
# and a Python peer that misbehaves on purpose.
#
#   run-case.sh --list                  the case names, one a line
#   run-case.sh CASE TLSCAT PKI_DIR     runs one case: exit 0 pass, 1 fail, 77 skip
#
# Every case is a real handshake over 127.0.0.1. Where data flows, it flows
# both ways and both sides' output is checked; where something must fail,
# the failing side's one-line error is checked for the reason.
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
tlscat_connect() {
  local name=$1
  shift
  start "$name" "$TLSCAT" -v --ca "$PKI/ca-bundle.pem" "$@" 127.0.0.1 "$PORT"
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

# hostile_listen NAME MODE / hostile_connect NAME MODE: the misbehaving peer.
hostile_listen() {
  need python3
  start "$1" python3 "$HERE/hostile_peer.py" "$2" --pki "$PKI" --listen
  expect "$1" out "listening on"
  PORT=$(port_from "$WORK/$1.out" "listening on")
}

hostile_connect() {
  need python3
  start "$1" python3 "$HERE/hostile_peer.py" "$2" --pki "$PKI" --connect "$PORT"
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

# ==============================================================================
# tlscat client against openssl s_server
# ==============================================================================

client_vs_s_server() {
  local proto=$1 cert=$2
  need openssl
  s_server srv "$cert" "-$proto"
  tlscat_connect cli
  converse srv cli cli
  assert_status cli 0
  assert_status srv 0
  assert_has cli err "tlscat: version: $(version_name "$proto")"
  assert_has cli err "peer subject: /O=tlspp test/CN=localhost"
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
  assert_has other err "peer subject: /O=tlspp test/CN=other.test"
  assert_has local err "peer subject: /O=tlspp test/CN=localhost"
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

case_client_openssl_mtls_required_but_missing() {
  need openssl
  s_server srv server-ecdsa -tls1_3 -Verify 1 -verify_return_error -CAfile "$PKI/ca-bundle.pem"
  tlscat_connect cli
  say cli "$FROM_CLIENT"
  finish cli
  assert_error cli "certificate required"
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

# Two connections with one session file; the second must resume on both sides.
client_resumes() {
  local proto=$1
  need openssl
  s_server srv server-ecdsa "-$proto" -naccept 2
  tlscat_connect first --session-file "$WORK/session"
  converse_keep_server srv first
  tlscat_connect second --session-file "$WORK/session"
  converse srv second second
  assert_status first 0
  assert_status second 0
  assert_has first err "tlscat: resumed: no"
  if has_text "$WORK/second.err" "tlscat: resumed: no" && has_text "$WORK/srv.out" "   0 session cache hits"; then
    [[ $proto == tls1_3 ]] && skip "the backend writes the session file as the handshake ends," \
      "before the TLS 1.3 session ticket arrives, so the second handshake was full on both sides"
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
  assert_error cli "protocol version"
}

case_client_openssl_refuses_tls12_when_configured_tls13_only() {
  need openssl
  s_server srv server-ecdsa -tls1_2
  tlscat_connect cli --protocols tlsv1.3
  finish cli
  assert_error cli "protocol version"
}

# AEAD ciphers only, as --ciphers: the backend's "secure" default admits CBC.
AEAD_ONLY="ECDHE+AESGCM:ECDHE+CHACHA20"

case_client_openssl_refuses_server_with_only_ciphers_outside_its_list() {
  need openssl
  s_server srv server-ecdsa -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
  tlscat_connect cli --ciphers "$AEAD_ONLY"
  finish cli
  assert_error cli "handshake failure"
}

# ==============================================================================
# tlscat client against gnutls-serv
# ==============================================================================

client_vs_gnutls_serv() {
  local version=$1 cert=$2
  need gnutls-serv
  gnutls_serv srv "$cert" "$(gnutls_priority "$version")"
  tlscat_connect cli
  # gnutls-serv echoes: what comes back proves both directions.
  say cli "$FROM_CLIENT"
  expect cli out "$FROM_CLIENT"
  finish cli
  stop srv
  assert_status cli 0
  assert_has cli err "tlscat: version: $(version_name "$version")"
  assert_has cli err "peer subject: /O=tlspp test/CN=localhost"
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
  assert_has named err "peer subject: /O=tlspp test/CN=localhost"
  assert_error unnamed "unrecognized name"
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
  gnutls_serv srv server-ecdsa "$(gnutls_priority "$version")"
  echo_through_gnutls_serv first --session-file "$WORK/session"
  echo_through_gnutls_serv second --session-file "$WORK/session"
  stop srv
  assert_has first err "tlscat: resumed: no"
  if [[ $version == 1.3 ]] && has_text "$WORK/second.err" "tlscat: resumed: no"; then
    skip "the backend writes the session file as the handshake ends," \
      "before the TLS 1.3 session ticket arrives, so the second handshake was full"
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
  assert_error cli "unsupported protocol"
}

# ==============================================================================
# tlscat -l against openssl s_client
# ==============================================================================

server_vs_s_client() {
  local proto=$1 cert=$2
  need openssl
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
  assert_has srv err "tlscat: peer subject: /O=tlspp test/CN=tlspp test client"
}

case_server_openssl_mtls_required_but_missing() {
  need openssl
  serve srv server-ecdsa --verify-client --ca "$PKI/ca-bundle.pem"
  s_client cli
  finish srv
  stop cli
  assert_error srv "certificate"
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
  assert_has srv err "tlscat: peer subject: /O=tlspp test/CN=tlspp test client"
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

# s_client saves the session of a first connection and offers it in a
# second; both sides must see the second one resumed.
server_resumes() {
  local proto=$1
  need openssl
  head -c 48 /dev/urandom >"$WORK/ticket.key"
  serve srv server-ecdsa -k --ticket-key-file "$WORK/ticket.key" \
    --session-id tlscat-interop
  s_client first "-$proto" -sess_out "$WORK/session"
  exchange srv first
  finish first
  [[ -s $WORK/session ]] || skip "tlscat -l issued no session or ticket that s_client could save" \
    "(the backend issues no usable tickets)"
  s_client second "-$proto" -sess_in "$WORK/session"
  exchange srv second
  finish second
  stop srv
  if has_text "$WORK/second.out" "New, TLS"; then
    skip "s_client's saved session was refused; the backend did not resume (it issues" \
      "no usable tickets)"
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
  assert_error srv "unsupported protocol"
}

case_server_openssl_refuses_client_with_only_ciphers_outside_its_list() {
  need openssl
  serve srv server-ecdsa --ciphers "$AEAD_ONLY"
  s_client cli -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
  finish srv
  stop cli
  assert_error srv "no shared cipher"
}

# ==============================================================================
# tlscat -l against gnutls-cli
# ==============================================================================

# gnutls-cli does not answer a close_notify, so it is the side that closes.
server_vs_gnutls_cli() {
  local version=$1 cert=$2
  need gnutls-cli
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
  assert_has srv err "tlscat: peer subject: /O=tlspp test/CN=tlspp test client"
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

case_server_gnutls_resume() {
  need gnutls-cli
  head -c 48 /dev/urandom >"$WORK/ticket.key"
  serve srv server-ecdsa -k --ticket-key-file "$WORK/ticket.key" \
    --session-id tlscat-interop
  gnutls_cli cli --resume
  say cli "$FROM_CLIENT"
  expect srv out "$FROM_CLIENT"
  finish cli
  stop srv
  if ! has_text "$WORK/cli.out" "This is a resumed session"; then
    has_text "$WORK/srv.err" "tlscat: resumed: yes" && fail "only tlscat -l saw a resumption"
    skip "gnutls-cli --resume got a full handshake; the backend did not resume (it issues" \
      "no usable tickets)"
  fi
  assert_has srv err "tlscat: resumed: yes"
}

case_server_gnutls_refuses_tls11_only_client() {
  need gnutls-cli
  serve srv server-ecdsa
  gnutls_cli cli "$(gnutls_priority 1.1)"
  finish srv
  stop cli
  assert_error srv "unsupported protocol"
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
  server_vs_curl server-ecdsa --tlsv1.3
  assert_has cli err "SSL connection using TLSv1.3"
}
case_server_curl_tls12_ecdsa() {
  server_vs_curl server-ecdsa --tlsv1.2 --tls-max 1.2
  assert_has cli err "SSL connection using TLSv1.2"
}
case_server_curl_tls13_rsa() {
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
  assert_has srv err "tlscat: peer subject: /O=tlspp test/CN=tlspp test client"
}

case_server_curl_ocsp_stapling() {
  SERVER_ARGS=(--ocsp-staple "$PKI/ocsp-good.der")
  server_vs_curl server-ecdsa --cert-status
  assert_has cli err "SSL certificate status: good"
}

case_server_curl_refuses_tls11_only_client() {
  need curl
  serve srv server-ecdsa
  curl_get cli --tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0'
  finish srv
  finish cli
  assert_error srv "unsupported protocol"
}

# ==============================================================================
# Bad certificates: tlscat client against s_server presenting them
# ==============================================================================

# rejects CERT CHAIN REASON [TLSCAT ARGS...]: the handshake fails saying REASON.
rejects() {
  local cert=$1 chain=$2 reason=$3
  shift 3
  need openssl
  start srv openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$PKI/$cert.crt" \
    ${chain:+-cert_chain "$chain"} -key "$PKI/$cert.key"
  expect srv out "ACCEPT"
  PORT=$(port_from "$WORK/srv.out" "ACCEPT")
  tlscat_connect cli "$@"
  finish cli
  assert_error cli "$reason"
  assert_lacks cli err "tlscat: version:"
}

case_badcert_expired() {
  rejects expired "$PKI/intermediate-ca.crt" "certificate verification failed: certificate has expired"
}
case_badcert_not_yet_valid() {
  rejects notyetvalid "$PKI/intermediate-ca.crt" \
    "certificate verification failed: certificate is not yet valid"
}
case_badcert_wrong_name() {
  rejects wrongname "$PKI/intermediate-ca.crt" "name \`localhost' not present in server certificate" \
    --servername localhost
}
case_badcert_untrusted_root() {
  rejects untrusted "$PKI/untrusted-ca.crt" \
    "certificate verification failed: self-signed certificate in certificate chain"
}
case_badcert_self_signed() {
  rejects selfsigned "" "certificate verification failed: self-signed certificate"
}
case_badcert_revoked_by_crl() {
  rejects revoked "$PKI/intermediate-ca.crt" "certificate verification failed: certificate revoked" \
    --crl "$PKI/crl.pem"
}
case_badcert_chain_deeper_than_verify_depth() {
  awk '/BEGIN CERTIFICATE/ { block++ } block > 1 { print }' "$PKI/deep-leaf-chain.pem" \
    >"$WORK/deep-intermediates.pem"
  rejects deep-leaf "$WORK/deep-intermediates.pem" \
    "certificate verification failed: certificate chain too long" --verify-depth 2
}

# The same deep chain within the limit passes: the depth, not the chain, failed.
case_badcert_control_chain_within_verify_depth() {
  need openssl
  awk '/BEGIN CERTIFICATE/ { block++ } block > 1 { print }' "$PKI/deep-leaf-chain.pem" \
    >"$WORK/deep-intermediates.pem"
  start srv openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$PKI/deep-leaf.crt" \
    -cert_chain "$WORK/deep-intermediates.pem" -key "$PKI/deep-leaf.key"
  expect srv out "ACCEPT"
  PORT=$(port_from "$WORK/srv.out" "ACCEPT")
  tlscat_connect cli --verify-depth 3 --crl "$PKI/crl.pem"
  converse srv cli cli
  assert_status cli 0
}

# ==============================================================================
# Hostile peers: each must end in a clear error, exit 1, no hang
# ==============================================================================

hostile_server() {
  local mode=$1 reason=$2
  shift 2
  hostile_listen evil "$mode"
  tlscat_connect cli "$@"
  finish cli
  assert_error cli "$reason"
}

hostile_client() {
  local mode=$1 reason=$2
  shift 2
  serve srv server-ecdsa "$@"
  hostile_connect evil "$mode"
  finish srv
  assert_error srv "$reason"
}

case_hostile_server_sends_random_bytes() { hostile_server random-bytes "handshake: handshake failed: "; }
case_hostile_client_sends_random_bytes() { hostile_client random-bytes "handshake: handshake failed: "; }
case_hostile_server_truncates_handshake() {
  hostile_server truncated-handshake "handshake: handshake failed: "
  assert_error cli "unexpected eof"
}
case_hostile_client_truncates_handshake() {
  hostile_client truncated-handshake "handshake: handshake failed: "
  assert_error srv "unexpected eof"
}
case_hostile_server_stalls_handshake() {
  hostile_server stalled-handshake "handshake: timed out after 1 s" -w 1
}
case_hostile_client_stalls_handshake() {
  hostile_client stalled-handshake "handshake: timed out after 1 s" -w 1
}
case_hostile_server_sends_oversized_record() {
  hostile_server oversized-record "packet length too long"
}
case_hostile_client_sends_oversized_record() {
  hostile_client oversized-record "packet length too long"
}
case_hostile_server_sends_garbage_after_handshake() {
  hostile_server garbage-after-handshake "recv: read failed: "
  assert_has cli err "tlscat: version: TLSv1.3"
}
case_hostile_client_sends_garbage_after_handshake() {
  hostile_client garbage-after-handshake "recv: read failed: "
  assert_has srv err "tlscat: version: TLSv1.3"
}
case_hostile_server_closes_without_close_notify() {
  hostile_server no-close-notify "connection truncated, the peer closed without close_notify"
  assert_has cli out "hello from the hostile peer"
}
case_hostile_client_closes_without_close_notify() {
  hostile_client no-close-notify "connection truncated, the peer closed without close_notify"
}

# ==============================================================================
# Bulk data: both directions at once, byte for byte
# ==============================================================================

# tlscat to tlscat -l, 4 MiB one way and 3 MiB the other at the same time;
# each side closes when its input ends and waits for the other's close_notify.
case_bulk_tlscat_both_ways_at_once() {
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
  cmp -s "$WORK/to-server" "$WORK/srv.out" || fail "the server received other bytes"
  cmp -s "$WORK/to-client" "$WORK/cli.out" || fail "the client received other bytes"
}

# 1 MiB of text through gnutls-serv --echo and back (text: the echo server
# rewrites CRLF).
case_bulk_client_gnutls_echo() {
  need gnutls-serv
  head -c $((768 << 10)) /dev/urandom | base64 >"$WORK/text"
  gnutls_serv srv server-ecdsa
  tlscat_connect cli
  feed cli "$WORK/text"
  finish cli
  stop srv
  assert_status cli 0
  cmp -s "$WORK/text" "$WORK/cli.out" || fail "the echo differs from what was sent"
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

case_config_missing_ca_file() {
  config_error --ca "$WORK/missing.pem" 127.0.0.1 1 "--ca: "
}
# libtls takes an empty CA file and fails when the connection starts.
case_config_empty_ca_file() {
  need openssl
  s_server srv server-ecdsa
  config_error --ca "$PKI/empty.pem" 127.0.0.1 "$PORT" "client::connect: ssl verify memory setup failure"
}
case_config_empty_key_file() {
  config_error -l --cert "$PKI/server-ecdsa-chain.pem" --key "$PKI/empty.pem" 0 \
    "server: configure: failed to read private key"
}
case_config_directory_as_ca_file() {
  config_error --ca "$PKI" 127.0.0.1 1 "--ca: failed to read CA file '$PKI': Is a directory"
}
case_config_directory_as_cert() {
  config_error -l --cert "$PKI" --key "$PKI/server-ecdsa.key" 0 "--cert: "
}
case_config_malformed_cert_pem() {
  config_error -l --cert "$PKI/garbage.pem" --key "$PKI/server-ecdsa.key" 0 \
    "--cert: failed to load certificate"
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
