// SPDX-License-Identifier: ISC
#include "harness.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace bench {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::vector<double>> interleave(const std::vector<sample_fn>& cases, int rounds) {
  const std::size_t n = cases.size();
  std::vector<std::vector<double>> values(n);
  for (auto& v : values) v.reserve(static_cast<std::size_t>(rounds));
  for (const auto& c : cases) c();  // warm-up
  // A fresh order every round: a fixed rotation would give each case the
  // same predecessor in every round, and whatever that one leaves behind in
  // the caches and the branch predictors would be charged to it.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937 shuffler{20261207};
  for (int r = 0; r < rounds; ++r) {
    std::shuffle(order.begin(), order.end(), shuffler);
    for (const std::size_t i : order) values[i].push_back(cases[i]());
  }
  return values;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank > 0 ? rank - 1 : 0)];
}

}  // namespace bench
