#include "client/progress_bar.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_format.h"

namespace strata {
namespace {

// 1234567 → "1.2 M"; below a thousand, the number itself.
std::string Human(double v) {
  if (v >= 1e9) return absl::StrFormat("%.1f G", v / 1e9);
  if (v >= 1e6) return absl::StrFormat("%.1f M", v / 1e6);
  if (v >= 1e3) return absl::StrFormat("%.1f k", v / 1e3);
  return absl::StrFormat("%.0f", v);
}

}  // namespace

ProgressBar::ProgressBar(std::string unit, FILE* out)
    : unit_(std::move(unit)), out_(out), enabled_(isatty(fileno(out)) != 0) {}

std::string ProgressBar::Render(uint64_t done, uint64_t total, double seconds,
                                const std::string& unit,
                                const std::string& label) {
  constexpr int kWidth = 20;
  const double fraction =
      total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total);
  const int filled = static_cast<int>(fraction * kWidth);
  std::string line =
      "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
  line += absl::StrFormat(" %3.0f%%  %s / %s %s", fraction * 100, Human(done),
                          Human(total), unit);
  if (seconds > 0 && done > 0) {
    const double rate = done / seconds;
    line += absl::StrFormat("  %s %s/s", Human(rate), unit);
    if (done < total) {
      line += absl::StrFormat("  ETA %.0f s", (total - done) / rate);
    }
  }
  if (!label.empty()) line += "  " + label;
  return line;
}

void ProgressBar::Update(uint64_t done, uint64_t total,
                         const std::string& label) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (done < total && drawn_ &&
      now - last_draw_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  // \r and clear-to-end-of-line: redraw in place.
  std::fprintf(out_, "\r%s\033[K",
               Render(done, total, seconds, unit_, label).c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (drawn_) std::fputc('\n', out_);
  drawn_ = false;
}

}  // namespace strata
