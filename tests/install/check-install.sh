#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Installs the build tree into a scratch prefix, then builds and runs a small
# consumer against it with find_package(tlspp) and with pkg-config.
# Usage: check-install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work.install.log"

cmake -S "$src" -B "$work/cmake-consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-consumer" >/dev/null
"$work/cmake-consumer/consumer"
if [ -x "$work/cmake-consumer/asio_consumer" ]; then "$work/cmake-consumer/asio_consumer"; fi
if [ -x "$work/cmake-consumer/boost_asio_consumer" ]; then "$work/cmake-consumer/boost_asio_consumer"; fi

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
c++ -o "$work/pc-consumer" "$src/consumer.cpp" $(pkg-config --cflags --libs tlspp) \
    -Wl,-rpath,"$work/prefix/lib"
"$work/pc-consumer"
