// Pieces every `haqm` subcommand shares: option parsing, value parsing, model loading, text tables.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "haqm/graph.h"

namespace haqm::cli {

// A mistake in the command line itself (unknown option, bad value, missing argument). main()
// prints it like any other error but adds where to find the usage, and exits with status 2.
class UsageError : public std::runtime_error {
public:
    explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

struct OptionSpec {
    std::string name;         // "--threads"
    std::string short_name;   // "-o", or empty
    bool takes_value = false;
    bool repeatable = false;  // may be given more than once (values are kept in order)
};

// The command line of one subcommand after parsing: positional arguments and option values.
class ParsedArgs {
public:
    std::vector<std::string> positionals;
    bool help = false;  // --help or -h was given

    bool has(const std::string& name) const { return values_.count(name) != 0; }
    // The option's value, or `fallback` when it was not given.
    std::string value(const std::string& name, const std::string& fallback = "") const;
    // Every value of a repeatable option, in order.
    std::vector<std::string> all(const std::string& name) const;

    void add(const std::string& name, const std::string& value) { values_[name].push_back(value); }

private:
    std::map<std::string, std::vector<std::string>> values_;
};

// Accepts "--name value", "--name=value", "-o value", flags, and "--" to end the options.
// Throws UsageError naming `command` for an unknown option, a missing value, a value given to a
// flag, or a non-repeatable option given twice.
ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                      const std::string& command);

// The start of every subcommand: parses `arguments`, and when --help was given prints `help` and
// returns nothing, so the command only has to return 0.
std::optional<ParsedArgs> parse_command(const std::vector<std::string>& arguments, const std::vector<OptionSpec>& specs,
                                        const std::string& command, const char* help);

// The model path of a command that takes exactly one positional argument, the model; otherwise a
// UsageError ("no model given", "expected one model, got N arguments").
const std::string& single_model_argument(const ParsedArgs& args);

// Strict number parsing for option values: the whole text must be the number and lie in
// [min, max]; anything else throws UsageError naming the option.
int64_t parse_integer(const std::string& text, const std::string& option, int64_t min, int64_t max);

// "op=name" pairs from --schedule values (each may also hold several pairs separated by commas),
// merged into one map; a malformed pair is a UsageError. The keys are op names ("conv") or node
// names; the Model checks the schedule names when it is built.
std::map<std::string, std::string> parse_schedules(const std::vector<std::string>& values);

// The threads option shared by run, eval and bench: "" leaves Halide's default.
void apply_threads_option(const ParsedArgs& args);

// Throws haqm::Error unless `path` names a readable regular file (clear message for a missing
// file, a directory, or no permission).
void check_readable_file(const std::string& path, const std::string& what);

// A model file: ONNX when the name ends in .onnx, otherwise the .haqm format.
// Errors from the importer or loader are rethrown naming the file.
Graph load_graph(const std::string& path);

// The node that produces tensor `id`, or nullptr (a graph input or a constant).
const Node* producer_of(const Graph& graph, int32_t id);

// "1x28x28x1"
std::string shape_text(const Shape& shape);
// Fixed-point text with `decimals` digits after the point.
std::string fixed(double value, int decimals);
// "12.3 KiB", "4.0 MiB"; plain bytes below 1 KiB.
std::string byte_size_text(int64_t bytes);

// Columns of text printed with aligned widths; columns marked numeric are right-aligned.
class TextTable {
public:
    explicit TextTable(std::vector<std::string> headers, std::vector<bool> numeric = {});
    void add_row(std::vector<std::string> cells);
    void print(std::ostream& out, const std::string& indent = "") const;

private:
    std::vector<std::string> headers_;
    std::vector<bool> numeric_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace haqm::cli
