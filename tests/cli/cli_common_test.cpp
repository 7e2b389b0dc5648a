#include "cli_common.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "latency.h"
#include "predictions.h"
#include "progress.h"

namespace haqm::cli {
namespace {

const std::vector<OptionSpec> kSpecs = {
    {"--threads", "", true}, {"--output", "-o", true}, {"--profile", "", false}, {"--schedule", "", true, true}};

TEST(ParseArgs, PositionalsValuesFlagsAndRepeats) {
    const ParsedArgs args = parse_args({"model.haqm", "--threads", "2", "-o", "out", "--profile", "--schedule=conv=naive",
                                        "--schedule", "add=default", "image.png"},
                                       kSpecs, "run");
    EXPECT_EQ(args.positionals, (std::vector<std::string>{"model.haqm", "image.png"}));
    EXPECT_EQ(args.value("--threads"), "2");
    EXPECT_EQ(args.value("--output"), "out");
    EXPECT_TRUE(args.has("--profile"));
    EXPECT_FALSE(args.help);
    EXPECT_EQ(args.all("--schedule"), (std::vector<std::string>{"conv=naive", "add=default"}));
    EXPECT_EQ(args.value("--missing", "fallback"), "fallback");
}

TEST(ParseArgs, HelpAndDoubleDash) {
    const ParsedArgs args = parse_args({"--help", "--", "--threads"}, kSpecs, "run");
    EXPECT_TRUE(args.help);
    EXPECT_EQ(args.positionals, (std::vector<std::string>{"--threads"}));
    // A lone "-" is a positional (stdin by convention).
    EXPECT_EQ(parse_args({"-"}, kSpecs, "run").positionals, (std::vector<std::string>{"-"}));
}

TEST(ParseArgs, MistakesAreUsageErrors) {
    EXPECT_THROW(parse_args({"--bogus"}, kSpecs, "run"), UsageError);
    EXPECT_THROW(parse_args({"--threads"}, kSpecs, "run"), UsageError);            // no value
    EXPECT_THROW(parse_args({"--profile=yes"}, kSpecs, "run"), UsageError);        // flag with a value
    EXPECT_THROW(parse_args({"--threads", "1", "--threads", "2"}, kSpecs, "run"), UsageError);
    try {
        parse_args({"-x"}, kSpecs, "bench");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "unknown option '-x' for 'haqm bench'");
    }
}

TEST(ParseInteger, StrictRange) {
    EXPECT_EQ(parse_integer("12", "--runs", 1, 100), 12);
    EXPECT_THROW(parse_integer("", "--runs", 1, 100), UsageError);
    EXPECT_THROW(parse_integer("12x", "--runs", 1, 100), UsageError);
    EXPECT_THROW(parse_integer("0", "--runs", 1, 100), UsageError);
    EXPECT_THROW(parse_integer("101", "--runs", 1, 100), UsageError);
    EXPECT_THROW(parse_integer("99999999999999999999999", "--runs", 1, 100), UsageError);
    EXPECT_THROW(parse_integer("1.5", "--runs", 1, 100), UsageError);
}

TEST(ParseSchedules, PairsAndCommas) {
    const auto schedules = parse_schedules({"conv=tiled_vec,fully_connected=naive", "add=default", "conv=naive"});
    EXPECT_EQ(schedules.size(), 3u);
    EXPECT_EQ(schedules.at("conv"), "naive");  // the later choice wins
    EXPECT_EQ(schedules.at("fully_connected"), "naive");
    EXPECT_THROW(parse_schedules({"conv"}), UsageError);
    EXPECT_THROW(parse_schedules({"=naive"}), UsageError);
    EXPECT_THROW(parse_schedules({"conv="}), UsageError);
}

TEST(CheckReadableFile, MissingAndDirectory) {
    EXPECT_THROW(check_readable_file("/nonexistent/haqm/model.haqm", "model"), Error);
    EXPECT_THROW(check_readable_file("/tmp", "model"), Error);
}

TEST(TextTable, AlignsColumns) {
    TextTable table({"name", "ms"}, {false, true});
    table.add_row({"conv1", "1.5"});
    table.add_row({"fc", "12.25"});
    std::ostringstream out;
    table.print(out);
    EXPECT_EQ(out.str(), "name      ms\nconv1    1.5\nfc     12.25\n");
}

TEST(Formatting, ShapesAndSizes) {
    EXPECT_EQ(shape_text({1, 28, 28, 1}), "1x28x28x1");
    EXPECT_EQ(shape_text({}), "scalar");
    EXPECT_EQ(fixed(1.23456, 2), "1.23");
    EXPECT_EQ(byte_size_text(100), "100 B");
    EXPECT_EQ(byte_size_text(2048), "2.0 KiB");
    EXPECT_EQ(byte_size_text(3 * 1024 * 1024), "3.0 MiB");
}

TEST(Progress, PlainLinesAtQuarters) {
    std::ostringstream out;
    Progress progress(out, false, "eval", 100);
    for (int i = 1; i <= 100; ++i) progress.update(i, "x");
    progress.finish("done");
    EXPECT_EQ(out.str(),
              "eval 25/100 (25%)  x\neval 50/100 (50%)  x\neval 75/100 (75%)  x\neval 100/100 (100%)  done\n");
}

TEST(Progress, TerminalBarRedrawsInPlace) {
    std::ostringstream out;
    Progress progress(out, true, "eval", 4);
    for (int i = 1; i <= 4; ++i) progress.update(i);
    progress.finish();
    const std::string text = out.str();
    EXPECT_EQ(text.front(), '\r');
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);  // one line, redrawn
    EXPECT_NE(text.find("[##############################] 4/4 (100%)"), std::string::npos) << text;
}

TEST(Latency, NearestRankPercentiles) {
    std::vector<double> times;
    for (int i = 100; i >= 1; --i) times.push_back(i);
    const LatencyStats stats = summarize_latencies(times);
    EXPECT_EQ(stats.runs, 100);
    EXPECT_DOUBLE_EQ(stats.min_ms, 1);
    EXPECT_DOUBLE_EQ(stats.median_ms, 50.5);
    EXPECT_DOUBLE_EQ(stats.p90_ms, 90);
    EXPECT_DOUBLE_EQ(stats.p99_ms, 99);
    EXPECT_DOUBLE_EQ(stats.mean_ms, 50.5);
    const LatencyStats one = summarize_latencies({3.0});
    EXPECT_DOUBLE_EQ(one.median_ms, 3.0);
    EXPECT_DOUBLE_EQ(one.p99_ms, 3.0);
    EXPECT_THROW(summarize_latencies({}), Error);
}

TEST(Latency, JsonStrings) {
    EXPECT_EQ(json_string("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(Predictions, SoftmaxTopKAndLabels) {
    const std::vector<float> probabilities = softmax({1.0f, 3.0f, 2.0f, 3.0f});
    float sum = 0;
    for (float p : probabilities) sum += p;
    EXPECT_NEAR(sum, 1.0f, 1e-6);
    const std::vector<RankedClass> best = top_k(probabilities, 3);
    ASSERT_EQ(best.size(), 3u);
    EXPECT_EQ(best[0].index, 1);  // ties: lower index first
    EXPECT_EQ(best[1].index, 3);
    EXPECT_EQ(best[2].index, 2);
    EXPECT_EQ(top_k({0.5f}, 5).size(), 1u);
    // Large logits do not overflow.
    const std::vector<float> big = softmax({1000.0f, 0.0f});
    EXPECT_NEAR(big[0], 1.0f, 1e-6);
    ModelMetadata metadata;
    metadata.labels = {"T-shirt", "Trouser"};
    EXPECT_EQ(class_name(metadata, 1), "Trouser");
    EXPECT_EQ(class_name(metadata, 7), "class 7");
}

}  // namespace
}  // namespace haqm::cli
