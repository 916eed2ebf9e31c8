#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Builds the libFuzzer targets (fuzz/, clang, ASan+UBSan) and runs each for a
# while over a copy of its seed corpus. Exits non-zero when any target finds
# a crash, a leak, a timeout or an out-of-memory; prints executions, exec/s
# and coverage per target.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  per target (default 60)
#   TARGET   fuzz_server_handshake, fuzz_client_handshake, fuzz_config,
#            fuzz_api_sequence (default: all four)
# Environment: TLSPP_FUZZ_BACKEND (libtls or openssl: the libtls under tlspp,
# as -DTLSPP_BACKEND; default: CMake's default), TLSPP_FUZZ_BUILD_DIR (default
# build/fuzz, or build/fuzz-<backend> with TLSPP_FUZZ_BACKEND), CXX (default
# clang++-14 or clang++), TLSPP_FUZZ_JOBS (ninja jobs, default 2). With
# openssl, tlspp-openssl is built with the targets, so it is instrumented and
# sanitized too.
#
# The corpus a run grows stays in $TLSPP_FUZZ_BUILD_DIR/corpus/<target> and is
# reused by the next run; fuzz/corpus/<target> only holds the seeds. Crash
# inputs go to $TLSPP_FUZZ_BUILD_DIR/artifacts/<target>/, logs to .../logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [SECONDS] [TARGET...]" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
all_targets=(fuzz_server_handshake fuzz_client_handshake fuzz_config fuzz_api_sequence)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " == *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2
    exit 2
  fi
done

backend=${TLSPP_FUZZ_BACKEND:-}
case "$backend" in
  "" | libtls | openssl) ;;
  *)
    echo "fuzz.sh: unknown TLSPP_FUZZ_BACKEND '$backend' (libtls or openssl)" >&2
    exit 2
    ;;
esac
build=${TLSPP_FUZZ_BUILD_DIR:-build/fuzz${backend:+-$backend}}
if [ -z "${CXX:-}" ]; then
  CXX=$(command -v clang++-14 || command -v clang++ || true)
fi
if [ -z "$CXX" ]; then
  echo "fuzz.sh: clang++ not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi

echo "== build ($CXX, $build${backend:+, backend $backend})"
CXX="$CXX" cmake -S fuzz -B "$build" -G Ninja ${backend:+"-DTLSPP_BACKEND=$backend"} >/dev/null
# The PKI's CRLs and OCSP responses last 30 days: renew it well before.
marker="$build/pki/.tlspp-pki"
if [ -e "$marker" ] && [ -n "$(find "$marker" -mtime +20)" ]; then
  echo "== renewing the test PKI (older than 20 days)"
  rm -f "$marker"
fi
cmake --build "$build" -j "${TLSPP_FUZZ_JOBS:-2}"

# Fresh seeds recorded with this build's PKI (the committed ones carry
# another PKI's certificates, so they stop at verification).
fresh="$build/fresh-seeds"
rm -rf "$fresh"
"$build/make_corpus" "$fresh" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The value after "key:" on a libFuzzer status line ("cov: 230", "exec/s: 1500").
field() { sed -n "s/.* $1: \\([0-9]*\\).*/\\1/p" <<<"$2"; }

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  log="$build/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp -f fuzz/corpus/"$t"/* "$corpus"/
  # Not every target has recorded seeds (fuzz_api_sequence has none).
  for f in "$fresh/$t"/*; do
    [ -e "$f" ] || continue
    cp -f "$f" "$corpus/fresh-$(basename "$f")"
  done
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=("-dict=fuzz/$t.dict")

  echo "== $t: ${seconds}s over $(find "$corpus" -type f | wc -l) inputs"
  rc=0
  "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" "$corpus" \
    >"$log" 2>&1 || rc=$?

  status_line=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
  runs=$(sed -n "s/^stat::number_of_executed_units: *//p" "$log")
  speed=$(sed -n "s/^stat::average_exec_per_sec: *//p" "$log")
  line=$(printf '%-22s runs=%s exec/s=%s cov=%s ft=%s corpus=%s' "$t" "${runs:-?}" \
    "${speed:-?}" "$(field cov "$status_line")" "$(field ft "$status_line")" \
    "$(find "$corpus" -type f | wc -l)")
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    line="$line  FAILED (exit $rc, log $log)"
    echo "$line"
    grep -E 'ERROR: |SUMMARY: |tlspp fuzz: |Test unit written to' "$log" | head -n 20 || true
  else
    echo "$line"
  fi
  summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
