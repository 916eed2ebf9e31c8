#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Quick start, step 2: the whole test suite, as CI runs it, on both libtls
# backends: tlspp-openssl (backends/openssl, the default) and the system's
# (Debian's libretls).
# For each, builds with -Wall -Wextra -Werror and runs every test (interop
# and a short soak included), then does the same under AddressSanitizer and
# UndefinedBehaviorSanitizer. Then, on the default backend: ThreadSanitizer
# on the shared-config and shared-server threads, valgrind memcheck of the
# unit tests, and each libFuzzer target for 60 s. Last, the Debian packages
# are built from HEAD, linted, installed, used and removed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== format check ($(date +%T))"
if command -v clang-format >/dev/null; then
  git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
else
  echo "clang-format not found: skipped"
fi
echo "== licence: every source file has an SPDX line"
missing=$(git ls-files '*.cpp' '*.hpp' '*.h' '*.c' '*.inc' '*.cmake' '*.sh' '*.py' '*.in' \
  'CMakeLists.txt' '*/CMakeLists.txt' | xargs grep -L 'SPDX-License-Identifier: ISC' || true)
if [ -n "$missing" ]; then echo "no SPDX line in: $missing"; exit 1; fi

# The suite on one backend: a plain -Werror build, then ASan+UBSan.
test_backend() {
  local backend=$1
  local dir=build/ci-$backend
  echo "== [$backend] build and test (-Werror) ($(date +%T))"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTLSPP_BACKEND="$backend" -DTLSPP_WARNINGS_AS_ERRORS=ON >/dev/null
  cmake --build "$dir" -j "$jobs"
  # 1000 concurrent connections to the coroutine echo server (200 under ASan).
  TLSPP_ASIO_CLIENTS=1000 ctest --test-dir "$dir" --output-on-failure -j "$jobs"

  echo "== [$backend] build and test under ASan+UBSan ($(date +%T))"
  cmake -S . -B "$dir-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTLSPP_BACKEND="$backend" \
    -DTLSPP_WARNINGS_AS_ERRORS=ON -DTLSPP_SANITIZE=address,undefined \
    -DTLSPP_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$dir-asan" -j "$jobs"
  # The install check builds a consumer without the sanitizer runtime: it ran above.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$dir-asan" --output-on-failure -j "$jobs" -LE install
}

test_backend openssl
test_backend libtls

# TSan and valgrind run on the default backend only, to keep CI within its
# time: tlspp's own threading (shared configs and servers) and memory
# handling are the same code on every backend.
echo "== [openssl] ThreadSanitizer: a shared config and a shared server on many threads ($(date +%T))"
# No -Werror here: GCC warns that TSan cannot see atomic_thread_fence (-Wtsan).
cmake -S . -B build/ci-openssl-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTLSPP_BACKEND=openssl -DTLSPP_SANITIZE=thread -DCMAKE_CXX_FLAGS=-Wno-tsan \
  -DTLSPP_BUILD_EXAMPLES=OFF -DTLSPP_BUILD_TOOLS=OFF -DTLSPP_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/ci-openssl-tsan -j "$jobs" --target tlspp_tests
TLSPP_THREAD_HANDSHAKES=1000 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  build/ci-openssl-tsan/tests/tlspp_tests --gtest_filter='Threads.*'

# The plain build's tests, minus the ones that only scale up work (the
# 1000-session loop and the man in the middle's thousands of handshakes run
# under ASan above; the 2 GiB buffers would only be slow here), and the
# allocation counter, whose operator new valgrind replaces with its own.
# That test replaces the global operator new for the whole binary; in an
# optimized build some of its calls are inlined to malloc while valgrind
# sees the matching delete, so mismatched-free reports are off here.
echo "== [openssl] valgrind memcheck of the unit tests ($(date +%T))"
valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-mismatched-frees=no \
  --show-leak-kinds=definite,indirect \
  build/ci-openssl/tests/tlspp_tests --gtest_brief=1 \
  --gtest_filter='-Leaks.*:Threads.*:ConfigSharing.*:Asio*:*Concurrent*:CallbackAllocations.*:Mitm*:BigBuffers.*'

echo "== libFuzzer: each target for 60 s (a crash, leak or hang fails) ($(date +%T))"
bash scripts/fuzz.sh 60

# Last, because it installs the packages into the system (and removes them
# again): nothing before it may find an installed tlspp by accident.
echo "== Debian packages: build, lintian, install, consumers, remove ($(date +%T))"
bash tests/deb/check-debs.sh . build/deb-check
echo "== done ($(date +%T))"
