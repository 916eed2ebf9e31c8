#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Quick start, step 1: install what is missing, build tlspp, run the demo
# (a TLS server and client in one process, in memory and over loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target tlspp-demo
./build/examples/tlspp-demo
