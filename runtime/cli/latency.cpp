#include "latency.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "haqm/error.h"

namespace haqm::cli {

LatencyStats summarize_latencies(std::vector<double> milliseconds) {
    if (milliseconds.empty()) throw Error("no latencies to summarize");
    std::sort(milliseconds.begin(), milliseconds.end());
    const size_t n = milliseconds.size();
    auto nearest_rank = [&](double percent) {
        const auto rank = static_cast<size_t>(std::ceil(percent / 100.0 * double(n)));
        return milliseconds[std::clamp<size_t>(rank, 1, n) - 1];
    };
    LatencyStats stats;
    stats.runs = static_cast<int>(n);
    // The median of an even count is the mean of the middle two.
    stats.median_ms = n % 2 ? milliseconds[n / 2] : 0.5 * (milliseconds[n / 2 - 1] + milliseconds[n / 2]);
    stats.p90_ms = nearest_rank(90);
    stats.p99_ms = nearest_rank(99);
    stats.min_ms = milliseconds.front();
    stats.mean_ms = std::accumulate(milliseconds.begin(), milliseconds.end(), 0.0) / double(n);
    return stats;
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

}  // namespace haqm::cli
