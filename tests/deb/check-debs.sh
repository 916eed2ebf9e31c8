#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The Debian packages as a user gets them: builds libtlspp0, libtlspp-dev and
# tlscat from a clean export of HEAD (so nothing untracked leaks in), checks
# them with lintian and by their contents, installs them into the system,
# builds and runs consumers against them through find_package and
# pkg-config, runs tlscat and finds its man page, then removes them again.
# Needs root (it installs packages) and dpkg-dev, debhelper and lintian.
# Usage: check-debs.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
work=$2
packages=(libtlspp0 libtlspp-dev tlscat)
started=$SECONDS
failures=()
fail() { echo "FAIL: $*" >&2; failures+=("$*"); }
step() { echo "== $* ($((SECONDS - started)) s)"; }
# Runs a command with its output in a log, shown only if it fails.
quiet() { "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; return 1; }; }

if [ "$(id -u)" -ne 0 ]; then echo "check-debs.sh: needs root (installs packages)" >&2; exit 1; fi
for tool in dpkg-buildpackage dh lintian; do
  command -v "$tool" >/dev/null || { echo "check-debs.sh: no $tool (apt-get install dpkg-dev debhelper lintian)" >&2; exit 1; }
done
# Never remove a tlspp that was there before us.
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "check-debs.sh: $p is already installed; remove it first" >&2
    exit 1
  fi
done

rm -rf "$work"
mkdir -p "$work/tlspp"
work=$(cd "$work" && pwd)
step "export HEAD ($(git -C "$src" rev-parse --short HEAD)) to $work/tlspp"
git -C "$src" archive --format=tar HEAD | tar -xf - -C "$work/tlspp"
tree=$work/tlspp

# The changelog's upstream version is the CMake project's.
deb_version=$(cd "$tree" && dpkg-parsechangelog -S Version)
upstream_version=${deb_version%-*}
cmake_version=$(sed -n 's/^project(tlspp VERSION \([0-9.]*\).*/\1/p' "$tree/CMakeLists.txt")
if [ "$upstream_version" != "$cmake_version" ]; then
  echo "check-debs.sh: debian/changelog says $deb_version, CMakeLists.txt $cmake_version" >&2
  exit 1
fi
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

step "dpkg-buildpackage -us -uc -b (log: $work/build.log)"
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log" >&2
  exit 1
fi
changes=$work/tlspp_${deb_version}_${arch}.changes
deb() { echo "$work/${1}_${deb_version}_${arch}.deb"; }

step "lintian (errors fail; the rest is listed)"
# lintian warns when run as root; that line is not about the packages.
if ! lintian --fail-on error --display-info --pedantic "$changes" 2>&1 | grep -v 'running with root privileges'; then
  fail "lintian reports errors"
fi

step "contents"
for p in "${packages[@]}"; do
  echo "-- $p: $(dpkg-deb -f "$(deb "$p")" Depends)"
  dpkg-deb -c "$(deb "$p")" | sed 's/^/   /'
done
has() { dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | grep -qx "\./$2"; }
has libtlspp0 "usr/lib/$multiarch/libtlspp.so.0" || fail "libtlspp0 has no libtlspp.so.0"
for f in "usr/lib/$multiarch/libtlspp.so" "usr/lib/$multiarch/cmake/tlspp/tlsppConfig.cmake" \
         "usr/lib/$multiarch/pkgconfig/tlspp.pc" usr/include/tlspp/tlspp.hpp \
         usr/include/tlspp/asio/stream.hpp; do
  has libtlspp-dev "$f" || fail "libtlspp-dev has no $f"
done
has tlscat usr/bin/tlscat || fail "tlscat has no usr/bin/tlscat"
if [ -e "$tree/tools/tlscat.1" ]; then
  has tlscat usr/share/man/man1/tlscat.1.gz || fail "tools/tlscat.1 exists but the tlscat package lacks it"
fi
for p in "${packages[@]}"; do
  if dpkg-deb -c "$(deb "$p")" | grep -E '\.a$|/tls\.h$'; then
    fail "$p ships a static archive or libtls's tls.h"
  fi
done
dpkg-deb -f "$(deb libtlspp0)" Depends | grep -q 'libssl3' || fail "dpkg-shlibdeps did not find libssl3"

step "the shared library"
lib_dir=$work/extracted
dpkg-deb -x "$(deb libtlspp0)" "$lib_dir"
so=$(find "$lib_dir/usr/lib/$multiarch" -type f -name 'libtlspp.so.*' | head -1)
readelf -d "$so" | grep -E 'NEEDED|SONAME' | sed 's/^ */   /'
# Debian names a library package after its SONAME (policy 8.1).
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libtlspp.so.0 ] ||
  fail "the SONAME is $soname: rename libtlspp0 to libtlspp${soname#libtlspp.so.} in debian/"
if readelf -d "$so" | grep -q 'NEEDED.*libtls\.so'; then fail "libtlspp.so needs a system libtls"; fi
# tlspp-openssl is linked in and must stay private: none of its symbols
# (libtls's API under its tlspp_openssl_ names, its own types) is exported.
backend_symbols=$(nm -D --defined-only "$so" | c++filt | awk '{ $1 = $2 = ""; print }' |
  grep -E '^ *(tlspp_openssl_|tls_|tls::)' || true)
echo "   exported: $(nm -D --defined-only "$so" | wc -l) symbols, of which" \
  "$(printf '%s' "$backend_symbols" | grep -c . || true) from the backend," \
  "$(nm -D --defined-only "$so" | c++filt | sed 's/(.*//' | grep -c 'tlspp::detail::' || true) in tlspp::detail"
[ -z "$backend_symbols" ] ||
  fail "libtlspp.so exports backend symbols, e.g.$(echo "$backend_symbols" | sort -u | head -3 | tr -s ' \n' ' ')"

cleanup() {
  step "remove the packages"
  apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || dpkg --purge "${packages[@]}" || true
}
trap cleanup EXIT
step "install the .debs"
export DEBIAN_FRONTEND=noninteractive
quiet apt-get install -y --no-install-recommends "$(deb libtlspp0)" "$(deb libtlspp-dev)" "$(deb tlscat)"

step "a consumer through find_package(tlspp)"
# The package offers both Asio layers (debian/rules), found under /usr.
quiet cmake -S "$tree/tests/install" -B "$work/cmake-consumer" -G Ninja --no-warn-unused-cli \
  -DTLSPP_EXPECT_COMPONENTS="asio;boost_asio" -DTLSPP_EXPECT_PREFIX=/usr
found_in=$(sed -n 's/^tlspp_DIR:PATH=//p' "$work/cmake-consumer/CMakeCache.txt")
[ "$found_in" = "/usr/lib/$multiarch/cmake/tlspp" ] || fail "find_package found tlspp in $found_in"
quiet cmake --build "$work/cmake-consumer"
"$work/cmake-consumer/consumer"
for c in asio_consumer boost_asio_consumer; do
  if [ -x "$work/cmake-consumer/$c" ]; then "$work/cmake-consumer/$c"; else fail "no $c: the package offers its target"; fi
done

step "a consumer through pkg-config tlspp"
# shellcheck disable=SC2046
c++ -std=c++20 -o "$work/pc-consumer" "$tree/tests/install/consumer.cpp" $(pkg-config --cflags --libs tlspp)
# /lib is /usr/lib on a merged-/usr system; ldd may name either.
ldd "$work/pc-consumer" | grep -Eq "libtlspp\.so\.0 => (/usr)?/lib/$multiarch/libtlspp\.so\.0" ||
  fail "the pkg-config consumer does not load the installed libtlspp.so.0"
"$work/pc-consumer"
# shellcheck disable=SC2046
c++ -std=c++20 -pthread -o "$work/pc-asio-consumer" "$tree/tests/install/asio_consumer.cpp" \
  $(pkg-config --cflags --libs tlspp)
"$work/pc-asio-consumer"

step "tlscat"
if tlscat -h | grep -q -- '--version'; then
  tlscat --version | tee "$work/tlscat-version"
  grep -qF "$upstream_version" "$work/tlscat-version" || fail "tlscat --version does not say $upstream_version"
else
  echo "   (this tlscat has no --version)"
  tlscat -h | head -1
fi
if [ -e "$tree/tools/tlscat.1" ]; then
  man -w tlscat || fail "man -w tlscat finds no page"
  # The whole page, then its first lines: head alone would cut man off (SIGPIPE).
  MANWIDTH=80 man -P cat tlscat >"$work/tlscat.man" 2>&1 || fail "man tlscat fails"
  head -5 "$work/tlscat.man"
fi

trap - EXIT
cleanup
step "done"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'check-debs.sh: %d failure(s):\n' ${#failures[@]} >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
