// Progress of a long loop (eval, calibration). On a terminal: one bar redrawn in place with a
// carriage return. Elsewhere (a log file, a pipe, CI): a few plain lines, at each quarter, so logs
// stay readable.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>

namespace haqm::cli {

bool is_terminal(std::FILE* stream);

class Progress {
public:
    // `terminal` picks the bar or the plain lines; `label` starts every line ("eval").
    Progress(std::ostream& out, bool terminal, std::string label, int64_t total);

    // `done` items of `total` are finished; `status` is shown after the counts ("top-1 87.2%").
    void update(int64_t done, const std::string& status = "");
    // Ends the bar's line (terminal) and prints the final state once.
    void finish(const std::string& status = "");

private:
    void draw(int64_t done, const std::string& status);

    std::ostream& out_;
    bool terminal_;
    std::string label_;
    int64_t total_;
    int64_t last_percent_ = -1;
    int next_quarter_ = 1;  // plain mode: the next quarter to report
    bool finished_ = false;
    int64_t last_done_ = 0;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace haqm::cli
