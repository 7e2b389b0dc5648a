#include "cli_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "haqm/kernels.h"

namespace haqm::cli {

std::string ParsedArgs::value(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                      const std::string& command) {
    ParsedArgs parsed;
    bool options_ended = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (options_ended || arg.size() < 2 || arg[0] != '-') {
            parsed.positionals.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_ended = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") {
            parsed.help = true;
            continue;
        }
        // "--name=value" carries its value inline.
        std::string name = arg;
        std::string inline_value;
        bool has_inline_value = false;
        if (arg.rfind("--", 0) == 0) {
            size_t equals = arg.find('=');
            if (equals != std::string::npos) {
                name = arg.substr(0, equals);
                inline_value = arg.substr(equals + 1);
                has_inline_value = true;
            }
        }
        auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) {
            return s.name == name || (!s.short_name.empty() && s.short_name == name);
        });
        if (spec == specs.end()) {
            throw UsageError("unknown option '" + name + "' for 'haqm " + command + "'");
        }
        if (!spec->repeatable && parsed.has(spec->name)) {
            throw UsageError("option " + spec->name + " is given more than once");
        }
        if (!spec->takes_value) {
            if (has_inline_value) throw UsageError("option " + spec->name + " takes no value");
            parsed.add(spec->name, "");
            continue;
        }
        if (has_inline_value) {
            parsed.add(spec->name, inline_value);
        } else if (i + 1 < args.size()) {
            parsed.add(spec->name, args[++i]);
        } else {
            throw UsageError("option " + spec->name + " needs a value");
        }
    }
    return parsed;
}

std::optional<ParsedArgs> parse_command(const std::vector<std::string>& arguments, const std::vector<OptionSpec>& specs,
                                        const std::string& command, const char* help) {
    ParsedArgs args = parse_args(arguments, specs, command);
    if (args.help) {
        std::cout << help;
        return std::nullopt;
    }
    return args;
}

const std::string& single_model_argument(const ParsedArgs& args) {
    if (args.positionals.size() != 1) {
        throw UsageError(args.positionals.empty()
                             ? "no model given"
                             : "expected one model, got " + std::to_string(args.positionals.size()) + " arguments");
    }
    return args.positionals[0];
}

int64_t parse_integer(const std::string& text, const std::string& option, int64_t min, int64_t max) {
    auto bad = [&]() {
        return UsageError("bad value '" + text + "' for " + option + ": expected an integer from " +
                          std::to_string(min) + " to " + std::to_string(max));
    };
    if (text.empty()) throw bad();
    size_t used = 0;
    long long value = 0;
    try {
        value = std::stoll(text, &used, 10);
    } catch (const std::exception&) {
        throw bad();
    }
    if (used != text.size() || value < min || value > max) throw bad();
    return value;
}

std::map<std::string, std::string> parse_schedules(const std::vector<std::string>& values) {
    std::map<std::string, std::string> schedules;
    for (const std::string& value : values) {
        std::stringstream pairs(value);
        std::string pair;
        while (std::getline(pairs, pair, ',')) {
            size_t equals = pair.find('=');
            if (equals == std::string::npos || equals == 0 || equals + 1 == pair.size()) {
                throw UsageError("bad value '" + pair + "' for --schedule: expected OP=SCHEDULE, e.g. conv=tiled_vec");
            }
            schedules[pair.substr(0, equals)] = pair.substr(equals + 1);
        }
    }
    return schedules;
}

void apply_threads_option(const ParsedArgs& args) {
    if (!args.has("--threads")) return;
    set_num_threads(static_cast<int>(parse_integer(args.value("--threads"), "--threads", 1, 1024)));
}

void check_readable_file(const std::string& path, const std::string& what) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        throw Error("cannot open " + what + " '" + path + "': " + std::strerror(errno));
    }
    if (S_ISDIR(info.st_mode)) throw Error(what + " '" + path + "' is a directory, not a file");
    if (::access(path.c_str(), R_OK) != 0) {
        throw Error("cannot read " + what + " '" + path + "': " + std::strerror(errno));
    }
}

const Node* producer_of(const Graph& graph, int32_t id) {
    for (const Node& node : graph.nodes) {
        if (std::find(node.outputs.begin(), node.outputs.end(), id) != node.outputs.end()) return &node;
    }
    return nullptr;
}

std::string shape_text(const Shape& shape) {
    if (shape.empty()) return "scalar";
    std::string text;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) text += "x";
        text += std::to_string(shape[i]);
    }
    return text;
}

std::string fixed(double value, int decimals) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(decimals) << value;
    return out.str();
}

std::string byte_size_text(int64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " B";
    if (bytes < 1024 * 1024) return fixed(bytes / 1024.0, 1) + " KiB";
    return fixed(bytes / (1024.0 * 1024.0), 1) + " MiB";
}

TextTable::TextTable(std::vector<std::string> headers, std::vector<bool> numeric)
    : headers_(std::move(headers)), numeric_(std::move(numeric)) {
    numeric_.resize(headers_.size(), false);
}

void TextTable::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
}

void TextTable::print(std::ostream& out, const std::string& indent) const {
    std::vector<size_t> widths(headers_.size());
    for (size_t c = 0; c < headers_.size(); ++c) {
        widths[c] = headers_[c].size();
        for (const auto& row : rows_) widths[c] = std::max(widths[c], row[c].size());
    }
    auto print_row = [&](const std::vector<std::string>& cells) {
        std::string line = indent;
        for (size_t c = 0; c < cells.size(); ++c) {
            const size_t pad = widths[c] - cells[c].size();
            if (c) line += "  ";
            if (numeric_[c]) line += std::string(pad, ' ') + cells[c];
            else if (c + 1 < cells.size()) line += cells[c] + std::string(pad, ' ');
            else line += cells[c];  // no trailing blanks after the last column
        }
        out << line << '\n';
    };
    print_row(headers_);
    for (const auto& row : rows_) print_row(row);
}

}  // namespace haqm::cli
