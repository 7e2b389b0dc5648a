// The one error type of haqm: every public entry point reports bad input by throwing it, with a
// message that names the thing that is wrong.
#pragma once
#include <stdexcept>
#include <string>

namespace haqm {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace haqm
