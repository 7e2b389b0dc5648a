#include "progress.h"

#include <unistd.h>

#include <algorithm>

namespace haqm::cli {

bool is_terminal(std::FILE* stream) { return stream && ::isatty(::fileno(stream)) == 1; }

namespace {
constexpr int kBarWidth = 30;
// Terminal redraws: when the percentage changes, or at least this often for the status text.
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);
}  // namespace

Progress::Progress(std::ostream& out, bool terminal, std::string label, int64_t total)
    : out_(out), terminal_(terminal), label_(std::move(label)), total_(std::max<int64_t>(total, 0)) {}

void Progress::update(int64_t done, const std::string& status) {
    if (finished_) return;
    done = std::clamp<int64_t>(done, 0, total_);
    last_done_ = done;
    const int64_t percent = total_ ? done * 100 / total_ : 100;
    if (terminal_) {
        const auto now = std::chrono::steady_clock::now();
        if (percent != last_percent_ || now - last_draw_ >= kRedrawInterval) {
            last_percent_ = percent;
            last_draw_ = now;
            draw(done, status);
        }
        return;
    }
    // Plain lines at 25, 50 and 75%; 100% is left to finish() so it is printed once.
    while (next_quarter_ < 4 && done * 4 >= total_ * next_quarter_ && done < total_) {
        ++next_quarter_;
        draw(done, status);
    }
}

void Progress::finish(const std::string& status) {
    if (finished_) return;
    finished_ = true;
    draw(last_done_, status);
    if (terminal_) out_ << '\n';
    out_.flush();
}

void Progress::draw(int64_t done, const std::string& status) {
    const int64_t percent = total_ ? done * 100 / total_ : 100;
    std::string line = label_ + " ";
    if (terminal_) {
        const int64_t filled = total_ ? done * kBarWidth / total_ : kBarWidth;
        line = "\r" + line + "[" + std::string(static_cast<size_t>(filled), '#') +
               std::string(static_cast<size_t>(kBarWidth - filled), '.') + "] ";
    }
    line += std::to_string(done) + "/" + std::to_string(total_) + " (" + std::to_string(percent) + "%)";
    if (!status.empty()) line += "  " + status;
    if (terminal_) {
        // Blank out what a longer previous line left behind.
        line += "\x1b[K";
        out_ << line;
    } else {
        out_ << line << '\n';
    }
    out_.flush();
}

}  // namespace haqm::cli
