// ProgressBar: one line on a terminal, redrawn in place, for commands that
// take more than a few seconds:
//   [##########..........]  51%  1.3 M / 2.6 M rows  410 k rows/s  ETA 3 s  t7
// Off a terminal (a pipe, a CI log) it draws nothing, so output stays clean.
//
// Single-threaded: call it from the thread doing the work.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace strata {

class ProgressBar {
 public:
  // `unit`: what is counted ("rows"). Draws to `out` if it is a terminal.
  explicit ProgressBar(std::string unit, FILE* out = stderr);
  ~ProgressBar() { Finish(); }

  // Redraws at most ten times a second (and always when done == total).
  void Update(uint64_t done, uint64_t total, const std::string& label);
  // Ends the line if one was drawn.
  void Finish();

  // The line Update draws, for `seconds` elapsed. A pure function.
  static std::string Render(uint64_t done, uint64_t total, double seconds,
                            const std::string& unit, const std::string& label);

 private:
  using Clock = std::chrono::steady_clock;

  const std::string unit_;
  FILE* const out_;
  const bool enabled_;
  const Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
  bool drawn_ = false;
};

}  // namespace strata
