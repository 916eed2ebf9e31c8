#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Run before every release: builds the Debian packages (libtlspp0,
# libtlspp-dev, tlscat) from HEAD, lints them, installs them, builds and
# runs consumers against them with find_package and pkg-config, then removes
# them (tests/deb/check-debs.sh; docs/testing.md). As root, on Debian 12:
# about 2-3 minutes on this project's two-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# What packaging needs beyond the build (not in install-deps.sh: CI does not
# run this script).
missing=()
for p in dpkg-dev debhelper lintian; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deb.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash tests/deb/check-debs.sh . build/deb-check
