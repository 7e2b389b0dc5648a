#include "halide_call.h"

#include <mutex>

#include "haqm/kernels.h"

namespace haqm::detail {

std::string& halide_error_message() {
    thread_local std::string message;
    return message;
}

namespace {
void record_halide_error(void* /*user_context*/, const char* message) {
    halide_error_message() += message;
}
}  // namespace

void install_halide_error_handler() {
    static std::once_flag once;
    std::call_once(once, [] { halide_set_error_handler(record_halide_error); });
}

}  // namespace haqm::detail

namespace haqm {

void set_num_threads(int threads) {
    if (threads < 1 || threads > 256) {
        throw Error("thread count " + std::to_string(threads) + " is out of range [1, 256]");
    }
    // Halide 14's pool does not shrink once its workers exist: stop it, so that the next
    // parallel kernel starts exactly `threads` workers. Not to be called while kernels run.
    halide_shutdown_thread_pool();
    halide_set_num_threads(threads);
}

}  // namespace haqm
