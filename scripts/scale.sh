#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Builds tlspp-scale (Release) and runs it: N TLS connections over loopback
# TCP, client and server streams in one process, all held open at once, each
# with a handshake and a 64-byte echo, then all closed with close_notify;
# tlspp::asio::stream, then asio::ssl::stream, each in a fresh child process.
#
#   bash scripts/scale.sh [--connections N] [--parallel K] [--runs R] [--impl NAME] [OUTDIR]
#
# N defaults to 10 000. Writes OUTDIR/scale.json and OUTDIR/scale.md (the
# wall time, the heap per connection and the peak RSS of each stream, with
# the machine's load average). OUTDIR defaults to build/scale-results. With
# 10 000 connections a run of both takes about 30 s and 1.7 GB at most;
# --runs 3 alternates which goes first and reports the medians.
#
# Descriptors: a client and a server socket per connection. The program
# raises RLIMIT_NOFILE's soft limit to the hard limit (setrlimit), as a
# server does at start, and needs 2N + about 15. When the hard limit
# (`ulimit -Hn`) is lower, a privileged process (CAP_SYS_RESOURCE) raises it
# too; otherwise the program fails, saying how many connections fit: raise
# it first where the program starts (as root `ulimit -Hn 20100`,
# LimitNOFILE= for a systemd service, or /etc/security/limits.conf).
# The clients also need N local ports (net.ipv4.ip_local_port_range: about
# 28 000 by default).
#
# Environment:
#   TLSPP_BENCH_BUILD_DIR   build directory (default build/bench)
#   TLSPP_BENCH_CMAKE_ARGS  extra CMake arguments, e.g. -DTLSPP_BACKEND=libtls
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
out=build/scale-results
while [ $# -gt 0 ]; do
  case "$1" in
    --connections | --parallel | --runs | --impl)
      [ $# -ge 2 ] || {
        echo "scale.sh: $1 needs a value" >&2
        exit 2
      }
      args+=("$1" "$2")
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "scale.sh: unknown option $1" >&2
      exit 2
      ;;
    *)
      out=$1
      shift
      ;;
  esac
done
build=${TLSPP_BENCH_BUILD_DIR:-build/bench}

generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
# shellcheck disable=SC2086  # TLSPP_BENCH_CMAKE_ARGS is a list of arguments
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DTLSPP_BUILD_BENCHMARKS=ON ${TLSPP_BENCH_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" --target tlspp-scale -j "$(nproc)"

echo "scale.sh: load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/tlspp-scale" --out "$out" "${args[@]}"
echo "scale.sh: wrote $out/scale.json and $out/scale.md"
