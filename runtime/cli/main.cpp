// haqm: quantize, run, evaluate, benchmark and inspect models from the command line.
// Every failure ends here as one line on stderr, "haqm: error: <message>", and a non-zero exit:
// 2 for a mistake in the command line, 1 for anything else (missing file, corrupt model, ...).
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli_common.h"
#include "commands.h"
#include "haqm/error.h"

namespace haqm::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> list = {
        {"quantize", "post-training quantization of an ONNX model into a .haqm file", quantize_command},
        {"run", "classify one image and print the top-5 classes", run_command},
        {"eval", "accuracy on an IDX data set (MNIST, Fashion-MNIST)", eval_command},
        {"bench", "batch-1 latency per schedule choice (median, p90, p99, min)", bench_command},
        {"inspect", "layers, shapes, parameters, MACs and the memory plan of a model", inspect_command},
    };
    return list;
}

static void print_usage(std::ostream& out) {
    out << "usage: haqm <command> [options]\n\n"
           "Quantized inference with Halide-scheduled kernels.\n\ncommands:\n";
    for (const Command& command : commands()) {
        out << "  " << command.name << std::string(10 - std::strlen(command.name), ' ') << command.summary << '\n';
    }
    out << "\n'haqm <command> --help' describes a command's options, e.g. 'haqm quantize --help'.\n";
}

static int dispatch(const std::vector<std::string>& args) {
    if (args.empty()) throw UsageError("no command given");
    const std::string& name = args[0];
    if (name == "help" && args.size() == 2) return dispatch({args[1], "--help"});  // haqm help run
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(std::cout);
        return 0;
    }
    for (const Command& command : commands()) {
        if (name == command.name) return command.run(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    if (!name.empty() && name[0] == '-') throw UsageError("unknown option '" + name + "'");
    throw UsageError("unknown command '" + name + "'");
}

// Messages from libraries may span lines (a checker's report); the CLI promises one line.
static std::string one_line(const char* message) {
    std::string text = message ? message : "";
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

}  // namespace haqm::cli

int main(int argc, char** argv) {
    using namespace haqm::cli;
    std::vector<std::string> args(argv + 1, argv + argc);
    // Which command's help to point at when the command line is wrong.
    std::string help_hint = "haqm --help";
    if (!args.empty()) {
        for (const Command& command : commands()) {
            if (args[0] == command.name) help_hint = "haqm " + args[0] + " --help";
        }
    }
    try {
        const int status = dispatch(args);
        std::cout.flush();
        return status;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "haqm: error: %s (see '%s')\n", one_line(e.what()).c_str(), help_hint.c_str());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "haqm: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "haqm: error: %s\n", one_line(e.what()).c_str());
        return 1;
    } catch (...) {
        std::fprintf(stderr, "haqm: error: unexpected failure\n");
        return 1;
    }
}
