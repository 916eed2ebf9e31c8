#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The soak: 100 000 handshakes and 10 GiB echoed through one process
# (tlspp-soak, Release build), sampling resident memory and heap in use every
# 1000 handshakes. Writes OUTDIR/soak.csv, the summary to OUTDIR/soak.txt and
# the memory curve to OUTDIR/soak.png (gnuplot-nox). About 10 minutes on two
# busy cores. Exits non-zero if any connection fails or the heap grows after
# warm-up.
#
# Usage: scripts/soak.sh [OUTDIR] [tlspp-soak arguments...]
#   OUTDIR defaults to build/soak-results; extra arguments go to tlspp-soak,
#   e.g. --handshakes 1000 --bytes 1073741824 for a quick look.
# Environment: TLSPP_SOAK_BUILD_DIR (default build/soak), TLSPP_SOAK_CMAKE_ARGS
#   (e.g. -DTLSPP_LIBTLS_ROOT=/opt/libressl).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-build/soak-results}
shift $(($# > 0 ? 1 : 0))
build=${TLSPP_SOAK_BUILD_DIR:-build/soak}

# shellcheck disable=SC2086 # the extra CMake arguments are words
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTLSPP_BUILD_TESTS=ON \
  -DTLSPP_BUILD_BENCHMARKS=OFF ${TLSPP_SOAK_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" --target tlspp-soak

mkdir -p "$out"
"$build/tests/soak/tlspp-soak" --csv "$out/soak.csv" "$@" 2> >(tee "$out/soak.txt" >&2)

if command -v gnuplot >/dev/null; then
  gnuplot <<GP
set terminal pngcairo size 900,480
set output "$out/soak.png"
set datafile separator ","
set key right center
set title "tlspp-soak: memory over $(tail -n 1 "$out/soak.csv" | cut -d, -f1) handshakes in one process"
set xlabel "handshakes"
set ylabel "KiB"
set yrange [0:*]
set grid
plot "$out/soak.csv" using 1:3 with linespoints title "resident set", \
     "" using 1:4 with linespoints title "heap in use (mallinfo2)"
GP
  echo "soak.sh: wrote $out/soak.csv, $out/soak.txt and $out/soak.png"
else
  echo "soak.sh: gnuplot not found (apt-get install gnuplot-nox): no plot" >&2
fi
