// The subcommands of `haqm`. Each takes the arguments after its name, prints its own --help, and
// returns the exit status; errors are thrown (haqm::Error, UsageError) and reported by main().
#pragma once
#include <string>
#include <vector>

namespace haqm::cli {

struct Command {
    const char* name;
    const char* summary;  // one line for `haqm --help`
    int (*run)(const std::vector<std::string>& args);
};

int quantize_command(const std::vector<std::string>& args);
int run_command(const std::vector<std::string>& args);
int eval_command(const std::vector<std::string>& args);
int bench_command(const std::vector<std::string>& args);
int inspect_command(const std::vector<std::string>& args);

const std::vector<Command>& commands();

}  // namespace haqm::cli
