// Latency statistics and JSON text for `haqm bench`.
#pragma once
#include <string>
#include <vector>

namespace haqm::cli {

struct LatencyStats {
    int runs = 0;
    double median_ms = 0, p90_ms = 0, p99_ms = 0, min_ms = 0, mean_ms = 0;
};

// Percentiles by the nearest-rank rule on the sorted times (p99 of 100 runs is the 99th smallest).
// Throws haqm::Error for an empty list.
LatencyStats summarize_latencies(std::vector<double> milliseconds);

// `text` as a JSON string literal, quotes included.
std::string json_string(const std::string& text);

}  // namespace haqm::cli
