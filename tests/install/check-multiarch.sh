#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The layout a Debian package installs: a shared libtlspp under
# /usr/lib/<multiarch triplet> (CMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu).
# Configures and builds the library and tlscat alone from the source tree
# (no tests, examples or benchmarks, to stay cheap), then checks its SONAME,
# its exported symbols (check-symbols.sh) and the staged install
# (check-install.sh).
# Usage: check-multiarch.sh WORK_DIR COMPONENTS [CMAKE_ARGS...]
set -euo pipefail
work=$1 components=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "check-multiarch: $*" >&2; exit 1; }

triplet=$(${CXX:-c++} -print-multiarch)
[ -n "$triplet" ] || { echo "check-multiarch: the compiler knows no multiarch triplet: skipped"; exit 77; }
libdir=lib/$triplet
rm -rf "$work"
mkdir -p "$work"

cmake -S "$here/../.." -B "$work/build" -G Ninja -DBUILD_SHARED_LIBS=ON \
  -DCMAKE_INSTALL_LIBDIR="$libdir" -DTLSPP_INSTALL=ON -DTLSPP_BUILD_TOOLS=ON \
  -DTLSPP_BUILD_TESTS=OFF -DTLSPP_BUILD_EXAMPLES=OFF -DTLSPP_BUILD_BENCHMARKS=OFF \
  "$@" >"$work/configure.log" || { cat "$work/configure.log"; fail "did not configure"; }
cmake --build "$work/build" >"$work/build.log" || { cat "$work/build.log"; fail "did not build"; }

bash "$here/check-install.sh" "$work/build" "$work/check" "$libdir" "$components"

usr=$work/check/stage/usr
lib=$(find "$usr/$libdir" -maxdepth 1 -name 'libtlspp.so.*.*.*' -type f)
[ -n "$lib" ] || fail "no versioned libtlspp.so.X.Y.Z in $libdir"
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
want=$(sed -n 's/^set(TLSPP_SOVERSION \([0-9]*\))/libtlspp.so.\1/p' "$here/../../CMakeLists.txt")
[ "$soname" = "$want" ] || fail "SONAME is '$soname', not '$want'"
[ -L "$usr/$libdir/$soname" ] || fail "no $soname link beside $lib"
[ -L "$usr/$libdir/libtlspp.so" ] || fail "no libtlspp.so link for linking"
[ -x "$usr/bin/tlscat" ] || fail "tlscat is not installed in /usr/bin"
LD_LIBRARY_PATH="$usr/$libdir" ldd "$usr/bin/tlscat" | grep -qF "$usr/$libdir/$soname" ||
  fail "the installed tlscat does not load the staged $soname"
LD_LIBRARY_PATH="$usr/$libdir" "$usr/bin/tlscat" -h >/dev/null || fail "the installed tlscat does not run"
bash "$here/check-symbols.sh" "$lib"
echo "check-multiarch: ok ($libdir, $soname)"
