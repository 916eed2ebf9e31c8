// SPDX-License-Identifier: ISC
// Timing: samples of every implementation interleaved in rounds, so that
// the machine's drift hits all of them alike.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace bench {

using bench_clock = std::chrono::steady_clock;

/// This thread's CPU time in seconds. Every workload runs client and server
/// in the calling thread, so on an idle machine this is the wall time; on a
/// shared one it leaves out the time other processes held the CPU, which
/// wall time would charge to whichever sample they interrupted.
double thread_cpu_seconds();

/// The CPU time `run` takes (see thread_cpu_seconds).
template <class F>
double seconds_of(F&& run) {
  const double start = thread_cpu_seconds();
  run();
  return thread_cpu_seconds() - start;
}

/// The amount (a multiple of `unit`) that `run(amount)` needs to take about
/// `target` seconds, found by doubling from `unit`.
template <class F>
std::size_t calibrate(F&& run, std::size_t unit, double target) {
  std::size_t amount = unit;
  for (;;) {
    const double t = seconds_of([&] { run(amount); });
    if (t >= target / 4 || amount >= (std::size_t{1} << 40)) {
      const double scaled = static_cast<double>(amount) * target / (t > 0 ? t : 1e-9);
      const auto units = static_cast<std::size_t>(scaled / static_cast<double>(unit) + 0.5);
      return unit * (units > 0 ? units : 1);
    }
    amount *= 2;
  }
}

/// One sample of one implementation: returns the measured value.
using sample_fn = std::function<double()>;

/// Runs every case once per round, for `rounds` rounds after one warm-up
/// round that is thrown away. Each round runs the cases in a new shuffled
/// order (the same seed every run), so no implementation always follows
/// the same one. Returns values[case][round].
std::vector<std::vector<double>> interleave(const std::vector<sample_fn>& cases, int rounds);

double median(std::vector<double> values);
/// The q-quantile (0..1) by nearest rank.
double quantile(std::vector<double> values, double q);

}  // namespace bench
