# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Process plumbing for the interop cases (sourced by run-case.sh).
#
# Every peer runs in the background with its stdin on a FIFO the script holds
# open, and its stdout/stderr in files. A case writes to a peer's stdin
# (say), waits for text to show up in a peer's output (expect), ends a peer's
# stdin (hangup) and collects exit statuses (finish). Nothing sleeps for a
# fixed time: every wait polls for an outcome, bounded by CASE_DEADLINE.
# Every process started is killed and the work directory removed on exit.

set -u

readonly SKIP=77
CASE_DEADLINE=${CASE_DEADLINE:-20}  # seconds any single wait may take
PROC_TIMEOUT=${PROC_TIMEOUT:-30}    # timeout(1) around every peer

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlspp-interop.XXXXXX")
declare -A PID=() STDIN_FD=() STATUS=()
declare -a ALL_FDS=() FEEDERS=()

cleanup() {
  local name pid
  for name in "${!PID[@]}"; do
    kill "${PID[$name]}" 2>/dev/null
  done
  # A feeder blocks on a full FIFO whose reader is gone: it holds the FIFO
  # open for reading too, so it never gets SIGPIPE.
  for pid in "${FEEDERS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  [[ -n ${INTEROP_KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  skip_if_any_backend_refusal
  echo "FAIL: $*" >&2
  dump_logs >&2
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit $SKIP
}

pass() {
  [[ -z ${INTEROP_VERBOSE:-} ]] || dump_logs
  echo "PASS${1:+: $1}"
  exit 0
}

dump_logs() {
  local f
  for f in "$WORK"/*.out "$WORK"/*.err; do
    [[ -s $f ]] || continue
    echo "----- ${f##*/}"
    tail -n 40 "$f"
  done
}

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
  done
}

# start NAME CMD...: runs CMD under timeout(1) with stdin from a FIFO,
# stdout in $WORK/NAME.out, stderr in $WORK/NAME.err.
start() {
  local name=$1
  shift
  local fifo="$WORK/$name.in" writer reader
  mkfifo "$fifo"
  # Both ends are opened here, before CMD runs: a FIFO opened later by CMD
  # would lose whatever was written and closed before it got there.
  exec {writer}<>"$fifo"
  exec {reader}<"$fifo"
  (
    # The writers of every peer's stdin stay with this script: one held
    # open in another peer would keep that stdin from ever ending.
    for fd in "${ALL_FDS[@]}" "$writer"; do eval "exec $fd>&-"; done
    eval "exec 0<&$reader $reader<&-"
    exec timeout -k 2 "$PROC_TIMEOUT" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  ) &
  PID[$name]=$!
  eval "exec $reader<&-"
  STDIN_FD[$name]=$writer
  ALL_FDS+=("$writer")
}

# say NAME TEXT: writes TEXT and a newline to NAME's stdin.
say() {
  printf '%s\n' "$2" >&"${STDIN_FD[$1]}"
}

# say_file NAME FILE: writes FILE to NAME's stdin.
say_file() {
  cat "$2" >&"${STDIN_FD[$1]}"
}

# feed NAME FILE: writes FILE to NAME's stdin in the background, then ends
# that stdin (when the writing is done).
feed() {
  feed_and_hold "$1" "$2"
  hangup "$1"
}

# feed_and_hold NAME FILE: writes FILE to NAME's stdin in the background;
# the stdin stays open until hangup NAME.
feed_and_hold() {
  local fd=${STDIN_FD[$1]}
  (
    for f in "${ALL_FDS[@]}"; do [[ $f == "$fd" ]] || eval "exec $f>&-"; done
    # exec: the PID cleanup kills is cat's own (a killed subshell would
    # leave its cat blocked on the FIFO, holding the case's output open).
    exec cat "$2" >&"$fd"
  ) &
  FEEDERS+=($!)
}

# hangup NAME: ends NAME's stdin.
hangup() {
  local fd=${STDIN_FD[$1]:-}
  [[ -n $fd ]] || return 0
  eval "exec $fd>&-"
  unset "STDIN_FD[$1]"
  # The number is free again: a later start may get it for another FIFO.
  local open=() f
  for f in "${ALL_FDS[@]}"; do [[ $f == "$fd" ]] || open+=("$f"); done
  ALL_FDS=("${open[@]}")
}

running() {
  kill -0 "${PID[$1]}" 2>/dev/null
}

# wait_until DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_until() {
  local what=$1
  shift
  local deadline=$((SECONDS + CASE_DEADLINE))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out waiting for $what"
    sleep 0.02
  done
}

# expect_bytes NAME out|err SIZE: waits until NAME's stdout/stderr holds SIZE bytes.
expect_bytes() {
  local file="$WORK/$1.$2"
  wait_until "$3 bytes in $1's std$2" has_bytes_or_died "$1" "$file" "$3"
}

has_bytes_or_died() {
  (($(stat -c %s "$2" 2>/dev/null || echo 0) >= $3)) && return 0
  running "$1" || fail "$1 exited with $(stat -c %s "$2" 2>/dev/null || echo 0) of $3 bytes in ${2##*/}"
  return 1
}

has_text() {
  grep -qF -- "$2" "$1" 2>/dev/null
}

# expect NAME out|err TEXT: waits until NAME's stdout/stderr contains TEXT.
expect() {
  local file="$WORK/$1.$2"
  wait_until "'$3' in $1's std$2" has_text_or_died "$1" "$file" "$3"
}

has_text_or_died() {
  has_text "$2" "$3" && return 0
  if ! running "$1"; then
    has_text "$2" "$3" && return 0
    fail "$1 exited before '$3' showed up in ${2##*/}"
  fi
  return 1
}

# finish NAME: waits for NAME to exit; its status is in STATUS[NAME].
finish() {
  local name=$1
  hangup "$name"
  local deadline=$((SECONDS + CASE_DEADLINE))
  while running "$name"; do
    if ((SECONDS >= deadline)); then
      kill "${PID[$name]}" 2>/dev/null
      fail "$name did not exit"
    fi
    sleep 0.02
  done
  local rc=0
  wait "${PID[$name]}" || rc=$?
  STATUS[$name]=$rc
  unset "PID[$name]"
  if ((rc == 124 || rc == 137)); then fail "$name hung (killed by timeout)"; fi
  check_sanitizers "$name"
  ((rc != 1)) || skip_if_backend_lacks "$name"
}

# A sanitized tlscat reports leaks and errors on stderr; ASan exits 1 then,
# which a case expecting failure would otherwise take for the failure.
check_sanitizers() {
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/$1.err" 2>/dev/null; then
    fail "$1: sanitizer report on stderr"
  fi
}

# stop NAME: ends a server that would otherwise keep accepting.
stop() {
  local name=$1
  hangup "$name"
  [[ -n ${PID[$name]:-} ]] || return 0
  kill "${PID[$name]}" 2>/dev/null
  wait "${PID[$name]}" 2>/dev/null
  unset "PID[$name]"
  check_sanitizers "$name"
}

# assert_status NAME CODE
assert_status() {
  [[ ${STATUS[$1]} == "$2" ]] || fail "$1 exited with ${STATUS[$1]}, expected $2"
}

# assert_has NAME out|err TEXT (already there, no waiting)
assert_has() {
  has_text "$WORK/$1.$2" "$3" || fail "'$3' not in $1's std$2"
}

assert_lacks() {
  ! has_text "$WORK/$1.$2" "$3" || fail "'$3' unexpectedly in $1's std$2"
}

# The line tlscat prints last on failure: "tlscat: <what failed>: <why>".
error_line() {
  grep '^tlscat: ' "$WORK/$1.err" 2>/dev/null | tail -n 1
}

# assert_error NAME TEXT...: NAME exited 1 and its error says one of the
# TEXTs (the ways the libtls backends word one reason).
assert_error() {
  local name=$1 text
  shift
  assert_status "$name" 1
  local line
  line=$(error_line "$name")
  for text in "$@"; do
    if [[ $line == *"$text"* ]]; then
      echo "$name failed as expected: $line"
      return 0
    fi
  done
  local wanted
  wanted=$(printf " '%s'" "$@")
  fail "$name's error '$line' says none of:$wanted"
}

# assert_peer_subject NAME CN: tlscat NAME saw a peer certificate with the
# test PKI's subject O=tlspp test, CN=CN. Backends print the subject in one
# of two forms: OpenSSL's one-line "/O=.../CN=..." or RFC 4514's "O=...,CN=...".
assert_peer_subject() {
  local file="$WORK/$1.err"
  grep -qxF "tlscat: peer subject: /O=tlspp test/CN=$2" "$file" ||
    grep -qxF "tlscat: peer subject: O=tlspp test,CN=$2" "$file" ||
    fail "$1 did not report the peer subject O=tlspp test, CN=$2"
}

# --- what the libtls backend can do -------------------------------------------

# tlscat refuses an option whose capability the libtls backend lacks, before
# any I/O, saying so: "tlscat: <option>: not supported by the libtls backend
# tlspp was built with: <why>". That refusal is all a case can check on such a
# backend: it skips, quoting it.
readonly UNSUPPORTED="not supported by the libtls backend"

skip_if_backend_lacks() {
  local line
  line=$(error_line "$1")
  [[ $line == *"$UNSUPPORTED"* ]] || return 0
  skip "$1 refused an option the libtls backend cannot honour: ${line#tlscat: }"
}

# A case fails as a consequence when one of its tlscats refused to start
# (the peer waits for it in vain): that is a skip too.
skip_if_any_backend_refusal() {
  local f
  for f in "$WORK"/*.err; do
    [[ -f $f ]] || continue
    f=${f##*/}
    skip_if_backend_lacks "${f%.err}"
  done
}

# backend_accepts ARGS...: whether tlscat takes the options ARGS (it builds
# its config before connecting; port 0 is always refused). When not, the
# refusal is in REFUSAL.
REFUSAL=""
backend_accepts() {
  local err
  err=$(timeout -k 2 "$PROC_TIMEOUT" "$TLSCAT" "$@" 127.0.0.1 0 2>&1 >/dev/null)
  if [[ $err == *"$UNSUPPORTED"* ]]; then
    REFUSAL=${err#tlscat: }
    return 1
  fi
  [[ $err == *"connect to 127.0.0.1:0: Connection refused"* ]] ||
    fail "tlscat $* failed before connecting: $err"
}

# require ARGS...: skips unless tlscat takes the options ARGS.
require() {
  backend_accepts "$@" || skip "the libtls backend refuses $*: $REFUSAL"
}

# A free TCP port on 127.0.0.1, for peers that cannot bind port 0 and tell.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The port a listening peer reported, from "<prefix>...:PORT" in FILE.
port_from() {
  sed -n "s/^$2.*:\([0-9][0-9]*\)\$/\1/p" "$1" | head -n 1
}
