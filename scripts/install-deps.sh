#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Installs, with apt-get, what building and testing tlspp needs on Debian 12.
# Does nothing when everything is already there.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config  # the build
  libssl-dev                        # tlspp-openssl, the default backend; the benchmarks
  libtls-dev                        # the system's libtls backend (libretls), tested too
  openssl                           # generates the test PKI; an interop peer
  gnutls-bin curl python3           # interop peers, the hostile peer
  gnuplot-nox                       # the benchmarks' plot
  libgtest-dev googletest           # the tests
  libasio-dev                       # tlspp::asio (header-only)
  libboost-dev                      # tlspp::boost_asio and the Beast example (header-only)
  clang-format                      # the format check
  doxygen                           # the API reference and its warning check (CTest docs)
  mandoc                            # lints tlscat's man page (tools/tlscat.1)
  valgrind                          # the memcheck run
  dpkg-dev debhelper lintian        # the Debian packages and their check (tests/deb)
  clang-14 libclang-rt-14-dev       # the libFuzzer targets
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
