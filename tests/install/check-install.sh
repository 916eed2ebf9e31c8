#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Installs a build tree as a distribution does (cmake --install --prefix /usr
# with DESTDIR=WORK_DIR/stage), then builds and runs the consumers in this
# folder against the staged /usr: through find_package(tlspp) and through
# pkg-config, for tlspp::tlspp and each Asio layer the build offers.
# Usage: check-install.sh BUILD_DIR WORK_DIR LIBDIR COMPONENTS
#   LIBDIR      the build's CMAKE_INSTALL_LIBDIR: lib, lib/x86_64-linux-gnu...
#   COMPONENTS  the Asio layers it was configured with: "asio;boost_asio", "asio", ""
set -euo pipefail
build=$1 work=$2 libdir=$3 components=$4
here=$(cd "$(dirname "$0")" && pwd)
source_root=$(cd "$here/../.." && pwd)
rm -rf "$work"
mkdir -p "$work"
stage=$work/stage
usr=$stage/usr
fail() { echo "check-install: $*" >&2; exit 1; }

DESTDIR=$stage cmake --install "$build" --prefix /usr >"$work/install.log"
echo "installed:"
(cd "$stage" && find . -type f -o -type l | sort | sed 's|^\./|  /|')

# Everything under the prefix, nothing beside it.
outside=$(find "$stage" -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$outside" ] || fail "installed outside the prefix: $outside"
# No file may name the build or source tree: it would not exist on a user's machine.
leaks=$(grep -rIl -e "$(cd "$build" && pwd)" -e "$source_root" "$usr" || true)
[ -z "$leaks" ] || fail "installed files name the build or source tree: $leaks"
[ -f "$usr/$libdir/pkgconfig/tlspp.pc" ] || fail "no $libdir/pkgconfig/tlspp.pc"
[ -f "$usr/$libdir/cmake/tlspp/tlsppConfig.cmake" ] || fail "no $libdir/cmake/tlspp/tlsppConfig.cmake"
[ -f "$usr/include/tlspp/version.hpp" ] || fail "no include/tlspp/version.hpp"
version=$(sed -n 's/^#define TLSPP_VERSION_STRING "\(.*\)"/\1/p' "$usr/include/tlspp/version.hpp")
[ -n "$version" ] || fail "include/tlspp/version.hpp has no TLSPP_VERSION_STRING"

# find_package, from the stage only: the consumer checks where it found tlspp.
cmake -S "$here" -B "$work/cmake-consumer" -G Ninja -DCMAKE_PREFIX_PATH="$usr" \
  -DTLSPP_EXPECT_PREFIX="$usr" -DTLSPP_EXPECT_COMPONENTS="$components" \
  -DTLSPP_EXPECT_VERSION="$version" >"$work/cmake-consumer.log" ||
  { cat "$work/cmake-consumer.log"; fail "find_package consumer did not configure"; }
cmake --build "$work/cmake-consumer" >>"$work/cmake-consumer.log" ||
  { cat "$work/cmake-consumer.log"; fail "find_package consumer did not build"; }
"$work/cmake-consumer/consumer"
for c in ${components//;/ }; do "$work/cmake-consumer/${c}_consumer"; done

# pkg-config: the .pc file must find the staged tree from where it lies.
export PKG_CONFIG_PATH="$usr/$libdir/pkgconfig"
for var in prefix libdir includedir; do
  got=$(realpath -m "$(pkg-config --variable=$var tlspp)")
  case $var in
    prefix) want=$usr ;;
    libdir) want=$usr/$libdir ;;
    includedir) want=$usr/include ;;
  esac
  [ "$got" = "$want" ] || fail "pkg-config $var is $got, not $want"
done
# Under a sysroot (cross-compiling) the same: not prefixed twice.
include_flag=$(PKG_CONFIG_SYSROOT_DIR=$stage pkg-config --cflags-only-I tlspp | tr ' ' '\n' | grep -m1 '^-I' || true)
[ "$(realpath -m "${include_flag#-I}")" = "$usr/include" ] ||
  fail "with PKG_CONFIG_SYSROOT_DIR, pkg-config says $include_flag, not -I$usr/include"
cflags=$(pkg-config --cflags tlspp)
case " $cflags " in *" -std="*) fail "pkg-config --cflags forces a standard on consumers: $cflags" ;; esac
[ "$(pkg-config --modversion tlspp)" = "$version" ] ||
  fail "pkg-config --modversion is not TLSPP_VERSION_STRING ($version)"
# The consumer compiles as C++20 itself; the Asio ones add -pthread, as
# linking tlspp::asio does.
for c in tlspp ${components//;/ }; do
  name=consumer
  [ "$c" = tlspp ] || name=${c}_consumer
  # shellcheck disable=SC2046
  c++ -std=c++20 -o "$work/pc-$name" "$here/$name.cpp" $(pkg-config --cflags --libs tlspp) -pthread
  LD_LIBRARY_PATH="$usr/$libdir" "$work/pc-$name"
done
echo "check-install: ok ($libdir; components: ${components:-none})"
