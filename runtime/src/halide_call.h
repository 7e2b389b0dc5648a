// Calling a generated kernel: buffer descriptors over caller memory (no copies) and the Halide
// runtime's errors turned into haqm::Error instead of abort().
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

#include "HalideRuntime.h"
#include "haqm/error.h"

namespace haqm::detail {

// A dense buffer descriptor: extents innermost first, strides implied.
class BufferRef {
public:
    template <class T>
    BufferRef(const T* data, std::initializer_list<int64_t> extents) {
        buffer_.host = reinterpret_cast<uint8_t*>(const_cast<T*>(data));
        buffer_.type = halide_type_of<T>();
        buffer_.dimensions = static_cast<int32_t>(extents.size());
        buffer_.dim = dims_;
        int32_t stride = 1;
        int i = 0;
        for (int64_t extent : extents) {
            dims_[i++] = halide_dimension_t(0, static_cast<int32_t>(extent), stride);
            stride *= static_cast<int32_t>(extent);
        }
    }
    // A strided view: extents and strides in elements, innermost first.
    template <class T>
    BufferRef(const T* data, std::initializer_list<int64_t> extents, std::initializer_list<int64_t> strides)
        : BufferRef(data, extents) {
        int i = 0;
        for (int64_t stride : strides) {
            dims_[i++].stride = static_cast<int32_t>(stride);
        }
    }
    BufferRef(const BufferRef&) = delete;
    BufferRef& operator=(const BufferRef&) = delete;
    halide_buffer_t* get() { return &buffer_; }

private:
    halide_buffer_t buffer_{};
    halide_dimension_t dims_[4];
};

// Runs the kernel call; throws haqm::Error with the Halide runtime's message if it fails.
std::string& halide_error_message();
// Routes the Halide runtime's errors to haqm::Error and its allocations to a per-thread block cache.
void install_halide_runtime_hooks();

template <class Call>
void run_kernel(const char* name, Call&& call) {
    install_halide_runtime_hooks();
    halide_error_message().clear();
    const int status = call();
    if (status != 0) {
        std::string message = halide_error_message();
        while (!message.empty() && message.back() == '\n') {
            message.pop_back();
        }
        throw Error(std::string(name) + " kernel failed (Halide status " + std::to_string(status) +
                    "): " + (message.empty() ? "no message" : message));
    }
}

}  // namespace haqm::detail
