// lut_q8 entry points and build_lut, the tables of quantized activations (plain C++).
#include <algorithm>
#include <cstring>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "checks.h"
#include "float_ops.h"
#include "function_table.h"
#include "halide_call.h"
#include "haqm/kernels.h"
#include "kernel_registry.h"

namespace haqm {
namespace {

constexpr const char* kWhat = "lut_q8";

// The table is copied into the plan.
template <class T>
KernelPlan plan_lookup(const Shape& shape, Span<const T> table, const KernelChoice& choice) {
    const int64_t elements = detail::channel_view(shape, 1, 0, kWhat).elements();
    if (table.size() != kLutEntries) {
        throw Error(std::string(kWhat) + ": table holds " + std::to_string(table.size()) + " entries, needs " +
                    std::to_string(kLutEntries));
    }
    detail::check_span(table, kLutEntries, kWhat, "table");
    const auto& entry = detail::find_kernel({detail::KernelFamily::lut_q8, dtype_of<T>(), dtype_of<T>()}, choice);
    const auto fn = detail::kernel_function<detail::lut_q8_fn>(entry);
    std::vector<T> entries(table.data(), table.data() + kLutEntries);
    auto call = [elements, fn, entries = std::move(entries)](const void* const* inputs, void* output) {
        detail::BufferRef in_buf(static_cast<const T*>(inputs[0]), {elements});
        detail::BufferRef table_buf(entries.data(), {static_cast<int64_t>(kLutEntries)});
        detail::BufferRef out_buf(static_cast<T*>(output), {elements});
        detail::run_kernel(kWhat, [&] { return fn(in_buf.get(), table_buf.get(), out_buf.get()); });
    };
    return KernelPlan(kWhat, {{dtype_of<T>(), shape}}, {dtype_of<T>(), shape}, entry.schedule, std::move(call));
}

template <class T>
void lookup(Span<const T> input, const Shape& shape, Span<const T> table, Span<T> output, const KernelChoice& choice) {
    const int64_t elements = detail::channel_view(shape, 1, 0, kWhat).elements();
    detail::check_span(input, elements, kWhat, "input");
    detail::check_span(output, elements, kWhat, "output");
    const KernelPlan plan = plan_lookup(shape, table, choice);
    const void* inputs[] = {input.data()};
    plan.run(inputs, output.data());
}

// The graph's activation for each table function (float_ops.cpp computes them all; hard_sigmoid
// with ONNX's default alpha and beta, NodeAttributes' defaults).
NodeAttributes activation_of(LutFunction f) {
    NodeAttributes a;
    switch (f) {
        case LutFunction::hard_sigmoid: a.activation = Activation::hard_sigmoid; return a;
        case LutFunction::hard_swish: a.activation = Activation::hard_swish; return a;
        case LutFunction::sigmoid: a.activation = Activation::sigmoid; return a;
        case LutFunction::tanh: a.activation = Activation::tanh; return a;
    }
    throw Error("build_lut: unknown function");
}

}  // namespace

void lut_q8(Span<const uint8_t> input, const Shape& shape, Span<const uint8_t> table, Span<uint8_t> output,
            const KernelChoice& choice) {
    lookup(input, shape, table, output, choice);
}
void lut_q8(Span<const int8_t> input, const Shape& shape, Span<const int8_t> table, Span<int8_t> output,
            const KernelChoice& choice) {
    lookup(input, shape, table, output, choice);
}

template <class T>
std::vector<T> build_lut(LutFunction f, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
    static_assert(std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>, "build_lut makes 8-bit tables");
    const IntegerRange range = integer_range(8, std::is_signed_v<T>);
    check_scale(in_scale, "build_lut: input scale");
    check_scale(out_scale, "build_lut: output scale");
    check_zero_point(in_zp, range, "build_lut: input zero point");
    check_zero_point(out_zp, range, "build_lut: output zero point");
    const NodeAttributes attrs = activation_of(f);
    const std::vector<uint8_t> bytes = detail::function_table([&](float x) { return detail::activate(x, attrs); },
                                                              std::is_signed_v<T>, in_scale, in_zp, out_scale, out_zp,
                                                              range);
    std::vector<T> table(kLutEntries);
    std::memcpy(table.data(), bytes.data(), kLutEntries);
    return table;
}
KernelPlan plan_lut_q8(const Shape& shape, DType type, Span<const uint8_t> table, const KernelChoice& choice) {
    if (type == DType::uint8) return plan_lookup(shape, table, choice);
    if (type == DType::int8) {
        return plan_lookup(shape, Span<const int8_t>(reinterpret_cast<const int8_t*>(table.data()), table.size()), choice);
    }
    throw Error(std::string(kWhat) + ": no kernel for " + dtype_name(type) + " (uint8, int8)");
}

template std::vector<int8_t> build_lut(LutFunction, float, int32_t, float, int32_t);
template std::vector<uint8_t> build_lut(LutFunction, float, int32_t, float, int32_t);

}  // namespace haqm
