#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# tlspp as a subproject: subproject/ add_subdirectory()s the source tree and
# links tlspp::tlspp. Only the library is built (subproject/CMakeLists.txt
# refuses tlspp's tests, examples, tools and benchmarks), and installing the
# outer project installs nothing of tlspp's.
# Usage: check-subproject.sh WORK_DIR [CMAKE_ARGS...]
set -euo pipefail
work=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
fail() { echo "check-subproject: $*" >&2; exit 1; }

cmake -S "$here/subproject" -B "$work/build" -G Ninja \
  -DTLSPP_SOURCE_DIR="$(cd "$here/../.." && pwd)" "$@" >"$work/configure.log" ||
  { cat "$work/configure.log"; fail "did not configure"; }
cmake --build "$work/build" >"$work/build.log" || { cat "$work/build.log"; fail "did not build"; }
"$work/build/consumer"

DESTDIR="$work/stage" cmake --install "$work/build" >"$work/install.log"
if [ -e "$work/stage" ]; then
  find "$work/stage" -type f
  fail "installing the outer project installed tlspp's files"
fi
echo "check-subproject: ok"
