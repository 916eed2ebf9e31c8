#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Run before every release (CI runs it too, at the end of scripts/test.sh): builds the Debian packages (libtlspp0,
# libtlspp-dev, tlscat) from HEAD, lints them, installs them, builds and
# runs consumers against them with find_package and pkg-config, then removes
# them (tests/deb/check-debs.sh; docs/testing.md). As root, on Debian 12:
# about 40 s on this project's idle two-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash tests/deb/check-debs.sh . build/deb-check
