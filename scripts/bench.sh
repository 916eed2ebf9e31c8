#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Builds the benchmarks (Release) and runs them: tlspp against raw libtls,
# OpenSSL, asio::ssl and the cipher's own limit, interleaved in one process.
#
#   bash scripts/bench.sh [--smoke] [OUTDIR]
#
# Writes OUTDIR/bench.json (one record per workload x implementation),
# OUTDIR/bench.md (tables of medians and ratios) and OUTDIR/bench.png (the
# ratios as grouped bars; needs gnuplot, Debian's gnuplot-nox). OUTDIR
# defaults to build/bench-results. A full run takes a few minutes; --smoke
# takes seconds and only checks that everything runs (CI).
#
# Environment:
#   TLSPP_BENCH_BUILD_DIR   build directory (default build/bench)
#   TLSPP_BENCH_CMAKE_ARGS  extra CMake arguments, e.g. another backend:
#                           -DTLSPP_LIBTLS_ROOT=/opt/libressl, or
#                           -DTLSPP_BACKEND=openssl (tlspp-openssl, with the
#                           system's libtls beside it as one more column)
#   TLSPP_BENCH_ARGS        extra tlspp-bench arguments, e.g. --rounds 41
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=()
out=build/bench-results
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=(--smoke) ;;
    -h | --help)
      sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "bench.sh: unknown option $arg" >&2
      exit 2
      ;;
    *) out=$arg ;;
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
cmake --build "$build" --target tlspp-bench -j "$(nproc)"

mkdir -p "$out"
# shellcheck disable=SC2086  # TLSPP_BENCH_ARGS is a list of arguments
"$build/bench/tlspp-bench" "${smoke[@]}" --out "$out" ${TLSPP_BENCH_ARGS:-}

if command -v gnuplot >/dev/null; then
  (cd "$out" && gnuplot bench.gp)
  echo "bench.sh: wrote $out/bench.json, $out/bench.md and $out/bench.png"
else
  echo "bench.sh: gnuplot not found (apt-get install gnuplot-nox): no $out/bench.png;" \
    "$out/bench.json and $out/bench.md are written" >&2
fi
