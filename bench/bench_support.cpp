#include "bench_support.h"

#include <cstdio>
#include <exception>
#include <functional>

#include "peak.h"

namespace haqm::bench {

std::map<std::string, double>& median_gops() {
    static std::map<std::string, double> results;
    return results;
}

void set_counters(benchmark::State& state, double gops, double peak) {
    state.counters["GOPS"] = gops;
    if (peak > 0.0) {
        state.counters["pct_of_peak"] = 100.0 * gops / peak;
    }
}

void set_ratio(benchmark::State& state, const std::string& counter, double gops, const std::string& baseline) {
    const auto found = median_gops().find(baseline);
    if (found != median_gops().end() && found->second > 0.0) {
        state.counters[counter] = gops / found->second;
    }
}

void register_row(const std::string& name, double min_seconds, std::function<void(benchmark::State&)> body) {
    benchmark::RegisterBenchmark(name.c_str(),
                                 [body](benchmark::State& state) {
                                     try {
                                         body(state);
                                     } catch (const std::exception& e) {
                                         state.SkipWithError(e.what());
                                     }
                                 })
        ->UseRealTime()
        ->MinTime(smoke_run() ? 1e-3 : min_seconds)
        ->Repetitions(kRepetitions)
        ->ReportAggregatesOnly(true)
        ->Unit(benchmark::kMicrosecond);
}

std::string ratio_text(double value, const std::string& baseline) {
    const auto found = median_gops().find(baseline);
    if (found == median_gops().end() || found->second <= 0.0) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof(text), "%.2fx", value / found->second);
    return text;
}

void CollectingReporter::ReportRuns(const std::vector<Run>& runs) {
    for (const auto& run : runs) {
        if (run.error_occurred || run.run_type != Run::RT_Aggregate || run.aggregate_name != "median") {
            continue;
        }
        const auto gops = run.counters.find("GOPS");
        if (gops != run.counters.end()) {
            median_gops()[run.run_name.function_name] = gops->second.value;
        }
    }
    display_->ReportRuns(runs);
}

}  // namespace haqm::bench
