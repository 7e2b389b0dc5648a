// The generator executable's entry point: Halide's generator main (GenGen), with two additions.
//  - Any error, in user parameters or while generating, is one line on stderr and exit status 1.
//    GenGen alone lets exceptions escape (terminate, abort, core dump) on a bad tile parameter.
//  - `haqm_generators --check LABEL GENERATOR TARGET key=value...` builds and lowers the pipeline
//    (algorithm and schedule, no machine code: a fraction of a second) with those parameters and reports
//    what is wrong, prefixed with LABEL. CMake runs it for every instruction set and schedule a
//    user's parameters reach before any kernel is generated (cmake/kernels.cmake), so the rules
//    stay where they are enforced: in the generators and schedules.
#include <exception>
#include <iostream>
#include <string>

#include "Halide.h"

namespace {

// Halide's own messages start with "Error: " and end with a newline.
std::string one_line(std::string message) {
    if (message.rfind("Error: ", 0) == 0) message.erase(0, 7);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    for (char& c : message) {
        if (c == '\n') c = ' ';
    }
    return message;
}

int check_parameters(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: haqm_generators --check LABEL GENERATOR TARGET [key=value...]\n";
        return 1;
    }
    const std::string label = argv[0], generator_name = argv[1];
    std::string current;  // the parameter being set, named in its error
    try {
        auto generator = Halide::Internal::GeneratorRegistry::create(
            generator_name, Halide::GeneratorContext(Halide::Target(argv[2])));
        for (int i = 3; i < argc; ++i) {
            current = argv[i];
            const size_t eq = current.find('=');
            if (eq == std::string::npos || eq == 0) throw std::invalid_argument("not key=value");
            generator->set_generator_param_values({{current.substr(0, eq), current.substr(eq + 1)}});
        }
        current.clear();
        generator->build_module();
    } catch (const std::exception& e) {
        std::cerr << label << ": " << (current.empty() ? "" : current + ": ") << one_line(e.what()) << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--check") return check_parameters(argc - 2, argv + 2);
    try {
        return Halide::Internal::generate_filter_main(argc, argv, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "haqm_generators: " << one_line(e.what()) << "\n";
        return 1;
    }
}
