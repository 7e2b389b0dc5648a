// haqm kernel API: the AOT-compiled Halide kernels behind checked, typed entry points.
// Every function validates its arguments and throws haqm::Error naming the problem; kernel
// failures reported by the Halide runtime are thrown the same way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "haqm/dtype.h"
#include "haqm/error.h"
#include "haqm/quant.h"

namespace haqm {

// A pointer and an element count; converts from std::vector.
template <class T>
class Span {
public:
    Span() = default;
    Span(T* data, size_t size) : data_(data), size_(size) {}
    template <class U>
    Span(std::vector<U>& v) : data_(v.data()), size_(v.size()) {}
    template <class U>
    Span(const std::vector<U>& v) : data_(v.data()), size_(v.size()) {}
    T* data() const { return data_; }
    size_t size() const { return size_; }

private:
    T* data_ = nullptr;
    size_t size_ = 0;
};

using Shape = std::vector<int64_t>;

// Which compiled variant runs: a schedule name and an instruction set. Empty means the default
// schedule and the best instruction set this CPU supports.
struct KernelChoice {
    std::string schedule;
    std::string isa;
};

// A kernel call prepared once for fixed shapes, types and kernel: every argument check, the
// per-channel arrays of the epilogue, the padding plan and the kernel's function pointer are
// computed by the plan_* function that makes it; run() only hands pointers to the kernel (no
// allocation, no string, no re-check). Weights a plan was made from must outlive it.
// Each one-shot entry point below (conv2d_q8, gemm_q8, ...) is its plan_* followed by one run.
class KernelPlan {
public:
    struct Operand {
        DType dtype;
        Shape shape;
    };
    using Call = std::function<void(const void* const* inputs, void* output)>;

    KernelPlan() = default;
    KernelPlan(const char* what, std::vector<Operand> inputs, Operand output, std::string schedule, Call call)
        : what_(what), inputs_(std::move(inputs)), output_(std::move(output)), schedule_(std::move(schedule)),
          call_(std::move(call)) {}

    const std::vector<Operand>& inputs() const { return inputs_; }
    const Operand& output() const { return output_; }
    const std::string& schedule() const { return schedule_; }  // the schedule of the kernel that runs
    bool empty() const { return !call_; }

    // Unchecked: one pointer per input, each holding its operand's elements, and the output.
    void run(const void* const* inputs, void* output) const { call_(inputs, output); }
    // Checked: types and element counts against the plan's operands; throws haqm::Error.
    template <class In, class Out>
    void run(Span<const In> input, Span<Out> output) const {
        check(0, dtype_of<In>(), input.data(), input.size(), 1);
        check_output(dtype_of<Out>(), output.data(), output.size());
        const void* pointers[] = {input.data()};
        call_(pointers, output.data());
    }
    template <class In, class Out>
    void run(Span<const In> a, Span<const In> b, Span<Out> output) const {
        check(0, dtype_of<In>(), a.data(), a.size(), 2);
        check(1, dtype_of<In>(), b.data(), b.size(), 2);
        check_output(dtype_of<Out>(), output.data(), output.size());
        const void* pointers[] = {a.data(), b.data()};
        call_(pointers, output.data());
    }

private:
    void check(size_t index, DType dtype, const void* data, size_t size, size_t count) const;
    void check_output(DType dtype, const void* data, size_t size) const;

    const char* what_ = "";
    std::vector<Operand> inputs_;
    Operand output_{DType::float32, {}};
    std::string schedule_;
    Call call_;
};

// Scale and zero point per tensor (one entry) or per channel along `axis` (dims[axis] entries).
struct QuantizationSpec {
    std::vector<float> scales;
    std::vector<int32_t> zero_points;
    int axis = 0;  // negative counts from the end
    int bits = 8;  // 2..8, one value per byte
};

// y = saturate(round_half_even(x / scale) + zero_point) (ONNX QuantizeLinear).
void quantize(Span<const float> input, const Shape& shape, const QuantizationSpec& spec, Span<int8_t> output,
              const KernelChoice& choice = {});
void quantize(Span<const float> input, const Shape& shape, const QuantizationSpec& spec, Span<uint8_t> output,
              const KernelChoice& choice = {});

// Prepared once for one shape: a float32 input, an `output` (uint8/int8) output of the same shape.
KernelPlan plan_quantize(const Shape& shape, DType output, const QuantizationSpec& spec, const KernelChoice& choice = {});

// y = (x - zero_point) * scale (ONNX DequantizeLinear).
void dequantize(Span<const int8_t> input, const Shape& shape, const QuantizationSpec& spec, Span<float> output,
                const KernelChoice& choice = {});
void dequantize(Span<const uint8_t> input, const Shape& shape, const QuantizationSpec& spec, Span<float> output,
                const KernelChoice& choice = {});
void dequantize(Span<const int32_t> input, const Shape& shape, const QuantizationSpec& spec, Span<float> output,
                const KernelChoice& choice = {});

// Prepared once for one shape: an `input` (uint8/int8/int32) input, a float32 output.
KernelPlan plan_dequantize(const Shape& shape, DType input, const QuantizationSpec& spec, const KernelChoice& choice = {});

// int32 -> 8 bits: clamp(multiply_by_quantized_multiplier(x) + zero_point, min, max).
struct RequantizationSpec {
    std::vector<FixedPointMultiplier> multipliers;  // one, or one per channel along `axis`
    int axis = 0;
    int32_t output_zero_point = 0;
    std::optional<int32_t> output_min;  // unset: the output type's range; a fused ReLU sets the
    std::optional<int32_t> output_max;  // minimum to the zero point
};
void requantize(Span<const int32_t> input, const Shape& shape, const RequantizationSpec& spec, Span<int8_t> output,
                const KernelChoice& choice = {});
void requantize(Span<const int32_t> input, const Shape& shape, const RequantizationSpec& spec, Span<uint8_t> output,
                const KernelChoice& choice = {});

// int8 weights K x N (row-major, the ONNX MatMul B layout) packed once for gemm_q8: groups of four
// k per column, zero padded, with column sums for the activation zero point.
class PackedWeights {
public:
    PackedWeights(Span<const int8_t> weights, int64_t k, int64_t n, int32_t zero_point = 0);
    int64_t k() const { return k_; }
    int64_t n() const { return n_; }
    int32_t zero_point() const { return zero_point_; }
    int64_t padded_n() const { return padded_n_; }
    const std::vector<int8_t>& packed() const { return packed_; }
    const std::vector<int32_t>& column_sums() const { return column_sums_; }

private:
    int64_t k_, n_, padded_n_;
    int32_t zero_point_;
    std::vector<int8_t> packed_;
    std::vector<int32_t> column_sums_;
};

// How 8-bit outputs are requantized (docs/arithmetic.md): `fixed` uses Q31 multipliers and
// shifts (gemmlowp/TFLite, integer only), `float` multiplies by a float32 scale and rounds half to
// even (ONNX reference, XNNPACK).
enum class Requantization { fixed, float32 };

// out[m][n] = sum_k (a[m][k] - a_zero_point) * (b[k][n] - b_zero_point) + bias[n], then for 8-bit
// outputs requantized per tensor or per output column.
struct GemmSpec {
    int32_t a_zero_point = 0;
    std::vector<int32_t> bias;  // empty, or N entries
    Requantization requantization = Requantization::fixed;
    std::vector<FixedPointMultiplier> output_multipliers;  // fixed mode, 8-bit outputs: one, or N
    std::vector<float> output_scales;                      // float mode, 8-bit outputs: one, or N
    int32_t output_zero_point = 0;
    std::optional<int32_t> output_min;
    std::optional<int32_t> output_max;
    // Empty, or kLutEntries entries: an activation table the plan applies to each 8-bit output q
    // (entry q - type minimum, as lut_q8) right after the kernel wrote it.
    std::vector<uint8_t> output_table;
};
inline constexpr int64_t kMaxGemmDepth = 32768;  // keeps every int32 accumulator exact

// The gemm prepared once for M rows: `a` uint8/int8, `output` the same type or int32; one input
// [M, K], output [M, N]. `b` must outlive the plan.
KernelPlan plan_gemm_q8(int64_t m, DType a, DType output, const PackedWeights& b, const GemmSpec& spec,
                        const KernelChoice& choice = {});
void gemm_q8(Span<const uint8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<uint8_t> output,
             const KernelChoice& choice = {});
void gemm_q8(Span<const int8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<int8_t> output,
             const KernelChoice& choice = {});
void gemm_q8(Span<const uint8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<int32_t> output,
             const KernelChoice& choice = {});
void gemm_q8(Span<const int8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<int32_t> output,
             const KernelChoice& choice = {});

// Direct 2-D convolution, NHWC activations and HWIO int8 weights (kernel height, kernel width,
// input channels per group, output channels), int32 accumulation, then bias and the requantization
// of GemmSpec. Padding reads the input zero point, so padded taps contribute nothing.
struct Conv2dSpec {
    int stride_h = 1, stride_w = 1;
    int dilation_h = 1, dilation_w = 1;
    int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    bool same_padding = false;  // ONNX auto_pad SAME_UPPER: pads chosen so out = ceil(in / stride)
    int groups = 1;
    int32_t input_zero_point = 0;
    int32_t weight_zero_point = 0;
    std::vector<int32_t> bias;  // empty, or one per output channel
    Requantization requantization = Requantization::fixed;
    std::vector<FixedPointMultiplier> output_multipliers;  // fixed, 8-bit outputs: one or per channel
    std::vector<float> output_scales;                      // float, 8-bit outputs: one or per channel
    int32_t output_zero_point = 0;
    std::optional<int32_t> output_min;
    std::optional<int32_t> output_max;
    std::vector<uint8_t> output_table;  // as GemmSpec::output_table
};

// The two shapes of convolution with kernels of their own, decided here once:
// depthwise: one input channel per group (depthwise_conv2d_q8 runs it);
inline bool conv2d_is_depthwise(const Shape& weights_hwio, int groups) {
    return weights_hwio.size() == 4 && groups > 1 && weights_hwio[2] == 1;
}
// pointwise: 1x1, unit strides, no padding, one group, a plain matrix product of the NHWC input
// (gemm_q8's kernels run it for the schedules gemm_q8 has). SAME padding of such a kernel pads
// nothing.
inline bool conv2d_is_pointwise(const Shape& weights_hwio, const Conv2dSpec& spec) {
    const Shape& w = weights_hwio;
    const bool no_padding =
        spec.same_padding || (spec.pad_top == 0 && spec.pad_left == 0 && spec.pad_bottom == 0 && spec.pad_right == 0);
    return w.size() == 4 && w[0] == 1 && w[1] == 1 && spec.stride_h == 1 && spec.stride_w == 1 && spec.groups == 1 &&
           no_padding;
}

// {N, OH, OW, C_out} for an NHWC input and HWIO weights; throws haqm::Error for a bad stride,
// dilation, padding, group count, channel mismatch or a kernel larger than the padded input.
Shape conv2d_output_shape(const Shape& input_nhwc, const Shape& weights_hwio, const Conv2dSpec& spec);

// int8 HWIO weights packed once for conv2d_q8 (groups and weight zero point as the spec will say):
// per group, the weights seen as a (kernel taps x input channels rounded up to 4) x output
// channels matrix in the PackedWeights layout. Depthwise weights (one input channel per group)
// stay as they are: the depthwise kernels read HWIO directly.
class PackedConvWeights {
public:
    PackedConvWeights(Span<const int8_t> weights, const Shape& weights_hwio, int groups = 1, int32_t zero_point = 0);
    const Shape& shape() const { return shape_; }
    int groups() const { return groups_; }
    int32_t zero_point() const { return zero_point_; }
    bool depthwise() const { return conv2d_is_depthwise(shape_, groups_); }
    const std::vector<PackedWeights>& per_group() const { return per_group_; }
    const std::vector<int8_t>& depthwise_weights() const { return depthwise_weights_; }

private:
    Shape shape_;
    int groups_;
    int32_t zero_point_;
    std::vector<PackedWeights> per_group_;
    std::vector<int8_t> depthwise_weights_;
};

// A convolution whose groups each hold one input channel (depthwise, MobileNet: groups = input
// channels, output channels = input channels x a channel multiplier) runs the depthwise kernels,
// family "depthwise_conv2d_q8", whose schedules are named in `choice`.
// The same convolution on weights packed once (spec.groups and spec.weight_zero_point must match
// the packing).
void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<uint8_t> output, const KernelChoice& choice = {});
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<int8_t> output, const KernelChoice& choice = {});
void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& choice = {});
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& choice = {});

// The convolution prepared once for one input shape: `input` uint8/int8, `output` the same type
// or int32; one input (NHWC), output conv2d_output_shape(). `weights` must outlive the plan.
KernelPlan plan_conv2d_q8(const Shape& input_nhwc, DType input, DType output, const PackedConvWeights& weights,
                          const Conv2dSpec& spec, const KernelChoice& choice = {});

// Packs the weights on every call.
void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<uint8_t> output,
               const KernelChoice& choice = {});
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<int8_t> output,
               const KernelChoice& choice = {});
void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<int32_t> output,
               const KernelChoice& choice = {});
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<int32_t> output,
               const KernelChoice& choice = {});

// 2-D pooling over NHWC 8-bit tensors (family "pool_q8"; variants by type and kind).
//  max: the largest in-image value of each window (padding never wins); the output keeps the
//       input's quantization (scales and zero points ignored), clamped to [output_min, output_max].
//  average: acc = sum over the in-image taps of (x - input_zero_point), count = the in-image taps
//       (kernel_h * kernel_w with count_include_pad), out = clamp(requantize(acc, M[count]) +
//       output_zero_point) with the fixed rule and M[count] = input_scale / (output_scale * count),
//       so the pool may change the scale.
//  global_average: the average over the whole H x W image (kernel, stride and pads ignored);
//       output {N, 1, 1, C}.
// Output extent per axis: floor((in + pad_begin + pad_end - kernel) / stride) + 1. Pads must be
// smaller than the kernel, so no window lies entirely in padding.
enum class PoolKind { max, average, global_average };
struct Pool2dSpec {
    PoolKind kind = PoolKind::max;
    int kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1;
    int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    bool count_include_pad = false;
    int32_t input_zero_point = 0;
    float input_scale = 1.0f;   // average kinds
    float output_scale = 1.0f;  // average kinds
    int32_t output_zero_point = 0;
    std::optional<int32_t> output_min;
    std::optional<int32_t> output_max;
};
inline constexpr int64_t kMaxPoolWindow = int64_t(1) << 23;  // 255 x taps stays within int32

// {N, OH, OW, C}; throws haqm::Error for a bad rank, kernel, stride or padding.
Shape pool_output_shape(const Shape& input_nhwc, const Pool2dSpec& spec);
// Prepared once for one input shape and type (uint8/int8); output pool_output_shape().
KernelPlan plan_pool_q8(const Shape& input_nhwc, DType type, const Pool2dSpec& spec, const KernelChoice& choice = {});
void pool_q8(Span<const uint8_t> input, const Shape& input_nhwc, const Pool2dSpec& spec, Span<uint8_t> output,
             const KernelChoice& choice = {});
void pool_q8(Span<const int8_t> input, const Shape& input_nhwc, const Pool2dSpec& spec, Span<int8_t> output,
             const KernelChoice& choice = {});

// Elementwise out = a + b of two tensors of the same shape (no broadcasting), each with its own
// scale and zero point, by the integer rule of TFLite's reference quantized Add (left_shift = 20):
// a'' = multiply_by_quantized_multiplier((a - za) << 20, sa / (2 max(sa, sb))), likewise b'',
// out = clamp(multiply_by_quantized_multiplier(a'' + b'', 2 max(sa, sb) / (2^20 so)) + zo,
// output_min, output_max) (family "add_q8").
// The quantization of a binary op's two inputs and output, and the output clamp.
struct BinarySpec {
    float a_scale = 1.0f;
    int32_t a_zero_point = 0;
    float b_scale = 1.0f;
    int32_t b_zero_point = 0;
    float output_scale = 1.0f;
    int32_t output_zero_point = 0;
    std::optional<int32_t> output_min;  // a fused ReLU sets the minimum to the zero point
    std::optional<int32_t> output_max;
};
using AddSpec = BinarySpec;
// Prepared once for one shape and type (uint8/int8): inputs a and b, the output of the same shape.
KernelPlan plan_add_q8(const Shape& shape, DType type, const AddSpec& spec, const KernelChoice& choice = {});
void add_q8(Span<const uint8_t> a, Span<const uint8_t> b, const Shape& shape, const AddSpec& spec,
            Span<uint8_t> output, const KernelChoice& choice = {});
void add_q8(Span<const int8_t> a, Span<const int8_t> b, const Shape& shape, const AddSpec& spec,
            Span<int8_t> output, const KernelChoice& choice = {});

// out = a * b by the float rule (docs/arithmetic.md): clamp(round_half_even(float32((a - za) *
// (b - zb)) * (sa * sb / so)) + zo, output_min, output_max), the scale product in float32 (family
// "mul_q8"). b has a's shape, or is [N, 1, 1, C] over an NHWC a: one channel scale per image and
// channel (squeeze-excite).
using MulSpec = BinarySpec;
// The shapes mul_q8 takes: equal, or b [N, 1, 1, C] over an NHWC a.
inline bool mul_shapes_supported(const Shape& a, const Shape& b) {
    const bool channel_broadcast =
        a.size() == 4 && b.size() == 4 && b[0] == a[0] && b[1] == 1 && b[2] == 1 && b[3] == a[3];
    return a == b || channel_broadcast;
}
// Prepared once for the two shapes and a type (uint8/int8); the output has a's shape.
KernelPlan plan_mul_q8(const Shape& a_shape, const Shape& b_shape, DType type, const MulSpec& spec,
                       const KernelChoice& choice = {});

// Table lookup y = table[x - min], 256 entries of the input's type: table[0] belongs to the
// smallest value (-128 for int8, 0 for uint8) (family "lut_q8").
inline constexpr size_t kLutEntries = 256;
// Prepared once for one shape and type (uint8/int8); the table's 256 bytes are copied into the plan.
KernelPlan plan_lut_q8(const Shape& shape, DType type, Span<const uint8_t> table, const KernelChoice& choice = {});
void lut_q8(Span<const uint8_t> input, const Shape& shape, Span<const uint8_t> table, Span<uint8_t> output,
            const KernelChoice& choice = {});
void lut_q8(Span<const int8_t> input, const Shape& shape, Span<const int8_t> table, Span<int8_t> output,
            const KernelChoice& choice = {});

// The table of a quantized activation for lut_q8, from the ONNX definitions in float32:
// x = (q - in_zp) * in_scale (DequantizeLinear), y = f(x),
// table entry = saturate(round_half_even(y / out_scale) + out_zp) (QuantizeLinear).
//  hard_sigmoid: max(0, min(1, 0.2 x + 0.5)) (ONNX HardSigmoid, default alpha and beta)
//  hard_swish:   x * max(0, min(1, x / 6 + 0.5)) (ONNX HardSwish: alpha = 1/6 multiplies, beta = 0.5)
//  sigmoid:      1 / (1 + exp(-x))
//  tanh:         tanh(x)
// T is int8_t or uint8_t.
enum class LutFunction { hard_sigmoid, hard_swish, sigmoid, tanh };
template <class T>
std::vector<T> build_lut(LutFunction f, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);

// The same convolution by the other algorithm: im2col (each output pixel's receptive field becomes
// a row of a patch matrix in scratch memory) then gemm_q8, whose schedule and ISA `gemm_choice`
// names. Grouped convolutions run group by group; depthwise ones are refused (conv2d_q8 has
// kernels for them).
void conv2d_q8_im2col(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<uint8_t> output, const KernelChoice& gemm_choice = {});
void conv2d_q8_im2col(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<int8_t> output, const KernelChoice& gemm_choice = {});
void conv2d_q8_im2col(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& gemm_choice = {});
void conv2d_q8_im2col(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& gemm_choice = {});

// What is compiled in and what this CPU can run.
std::vector<std::string> schedules(const std::string& family);  // e.g. "gemm_q8"
std::vector<std::string> compiled_isas();                       // best first
std::vector<std::string> supported_isas();                      // the compiled ones this CPU runs
std::string default_schedule(const std::string& family);
// What a named schedule is, from schedules/schedule_table.h (the one table of schedule names);
// throws haqm::Error for a name the family does not have.
struct ScheduleTraits {
    bool vectorized = false;     // vector loops
    bool parallel = false;       // runs on the thread pool (set_num_threads)
    bool autoscheduled = false;  // Mullapudi2016 chose its loops
    bool slow = false;           // a few GOPS at most (benches keep it to small shapes)
    int tile_columns = 0;        // register tile width it forces (0: the target's default)
};
ScheduleTraits schedule_traits(const std::string& family, const std::string& schedule);
// The same loops without the parallel one (tiled_vec for tiled_vec_par); the schedule itself when
// it has no serial counterpart.
std::string serial_schedule(const std::string& family, const std::string& schedule);
// Every (schedule, isa) compiled for the family that this CPU can run.
std::vector<KernelChoice> kernel_variants(const std::string& family);

// Threads of the Halide thread pool used by parallel schedules (takes effect for the next kernel;
// call it while no kernel is running).
void set_num_threads(int threads);

}  // namespace haqm
