// What the bench binaries share: timing a row, its counters, collecting medians for the ratios and
// the summary table, and turning exceptions into error rows.
#pragma once
#include <benchmark/benchmark.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace haqm::bench {

// Repetitions of every row; rows report their median.
inline constexpr int kRepetitions = 3;

// Median GOPS of each finished benchmark, by name (filled by CollectingReporter).
std::map<std::string, double>& median_gops();

// Runs `body` as the benchmark loop and returns its GOPS. The loop is timed here as well (the span
// the library measures as real time) so that GOPS and the counters derived from it are plain
// numbers; the library's rate counters would print as "GOPS=800/s".
template <class Body>
double run_timed(benchmark::State& state, double ops_per_iteration, const Body& body) {
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) {
        body();
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    return ops_per_iteration * static_cast<double>(state.iterations()) / elapsed.count() / 1e9;
}

// GOPS and, with a peak, pct_of_peak; with a baseline that has finished, vs_<name> = GOPS ratio.
void set_counters(benchmark::State& state, double gops, double peak);
void set_ratio(benchmark::State& state, const std::string& counter, double gops, const std::string& baseline);

// Registers `body` as a row (median of kRepetitions of at least min_seconds of real time); any
// exception ends the row as an error row with its message, not the program.
void register_row(const std::string& name, double min_seconds, std::function<void(benchmark::State&)> body);

// "1.23x" of `value` over the median of benchmark `baseline`, or "-" if that did not run.
std::string ratio_text(double value, const std::string& baseline);

// Shows every result as the default display reporter would and keeps each median in median_gops().
class CollectingReporter : public benchmark::BenchmarkReporter {
public:
    bool ReportContext(const Context& context) override { return display_->ReportContext(context); }
    void ReportRuns(const std::vector<Run>& runs) override;
    void Finalize() override { display_->Finalize(); }

private:
    benchmark::BenchmarkReporter* display_ = benchmark::CreateDefaultDisplayReporter();  // the library owns it
};

}  // namespace haqm::bench
