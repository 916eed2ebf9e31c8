#!/usr/bin/env bash
# Quick start, step 2: the whole test suite, as CI runs it. Builds with
# -Wall -Wextra -Werror and runs every test, then does the same under
# AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== format check"
if command -v clang-format >/dev/null; then
  git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
else
  echo "clang-format not found: skipped"
fi

echo "== build and test (-Werror)"
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTLSPP_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build/ci -j "$jobs"
ctest --test-dir build/ci --output-on-failure -j "$jobs"

echo "== build and test under ASan+UBSan"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DTLSPP_WARNINGS_AS_ERRORS=ON -DTLSPP_SANITIZE=address,undefined >/dev/null
cmake --build build/asan -j "$jobs"
# The install check builds a consumer without the sanitizer runtime: it ran above.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs" -LE install
