// Peer-library int8 convolution wrappers. See conv_peers.h for the semantics.
//
// Built by bench/CMakeLists.txt (haqm_conv_peers).
#include "conv_peers.h"

#include <omp.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <stdexcept>
#include <string>
#include <unordered_map>

namespace haqm_bench {

namespace {

bool is_depthwise(const ConvShape& s) {
    return s.groups > 1 && s.groups == s.in_channels && s.groups == s.out_channels;
}

// Checks the shape / data combination and returns the output element count.
size_t validate(const ConvShape& s, const ConvData& d) {
    if (s.batch <= 0 || s.height <= 0 || s.width <= 0 || s.in_channels <= 0 || s.out_channels <= 0 ||
        s.kernel <= 0 || s.stride <= 0 || s.pad < 0)
        throw std::invalid_argument("conv_peers: bad shape");
    if (s.groups != 1 && !is_depthwise(s))
        throw std::invalid_argument("conv_peers: only groups == 1 or depthwise are supported");
    const int oh = conv_output_extent(s.height, s.kernel, s.stride, s.pad);
    const int ow = conv_output_extent(s.width, s.kernel, s.stride, s.pad);
    if (oh <= 0 || ow <= 0) throw std::invalid_argument("conv_peers: empty output");
    const size_t k2 = size_t(s.kernel) * s.kernel;
    const size_t wsize = s.groups == 1 ? k2 * s.in_channels * s.out_channels : k2 * s.out_channels;
    if (d.input.size() != size_t(s.batch) * s.height * s.width * s.in_channels ||
        d.weights.size() != wsize || d.bias.size() != size_t(s.out_channels) ||
        d.weight_scales.size() != size_t(s.out_channels))
        throw std::invalid_argument("conv_peers: data sizes do not match the shape");
    return size_t(s.batch) * oh * ow * s.out_channels;
}

}  // namespace

// ---------------------------------------------------------------------------
// oneDNN
// ---------------------------------------------------------------------------
//
// Layout choice: src and dst are described as plain NHWC (format_tag::nhwc), not
// format_tag::any. The benchmark's tensors are NHWC, and with `any` a real user
// would pay a src reorder and a dst reorder per call; on AVX-512 (VNNI) oneDNN's
// int8 convolutions (jit x8s8s32x / brgemm) are written for NHWC anyway. Checked
// with oneDNN 2.6 on an AVX-512 VNNI machine: for 1x56x56x64->64 k3, `any` picks
// the same plain NHWC src/dst layout and the same "jit_int8:avx512_core_vnni"
// kernel, at the same speed, so nothing is lost by fixing nhwc.
// Weights use format_tag::any and are reordered once here (this reorder also
// computes the compensation for the source zero point).
//
// Quantization attributes (oneDNN 2.x semantics: dst = scale * (conv + bias), the
// s32 bias is in accumulator units):
//   * output scales: per output channel, mask 1 << 1 (dst dim 1 = channels),
//     value input_scale * weight_scale[c] / output_scale, fixed at creation;
//   * src / dst zero points: common (mask 0), declared as run-time values
//     (DNNL_RUNTIME_S32_VAL) and supplied as one-element s32 memories at
//     execution, so one primitive could serve any zero point. (2.6 also accepts
//     fixed values here; checked: same kernel, results and speed.) oneDNN treats padding
//     as the src zero point, matching the reference semantics.
struct OnednnConv::Impl {
    int threads = 1;
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};
    dnnl::convolution_forward prim;
    dnnl::convolution_forward::primitive_desc pd;
    std::vector<uint8_t> input;
    std::vector<uint8_t> output;
    std::vector<int32_t> bias;
    int32_t src_zp = 0, dst_zp = 0;
    dnnl::memory src_mem, wei_mem, bias_mem, dst_mem, src_zp_mem, dst_zp_mem, scratch_mem;
    std::unordered_map<int, dnnl::memory> args;
};

OnednnConv::OnednnConv(const ConvShape& s, const ConvData& d, int threads) : impl_(new Impl) {
    using namespace dnnl;
    using tag = memory::format_tag;
    using dt = memory::data_type;
    Impl& m = *impl_;

    const size_t out_size = validate(s, d);
    m.threads = threads < 1 ? 1 : threads;
    // oneDNN sizes its work partitioning from omp_get_max_threads() at
    // primitive-descriptor creation, so this must be set before creating it.
    omp_set_num_threads(m.threads);

    const int oh = conv_output_extent(s.height, s.kernel, s.stride, s.pad);
    const int ow = conv_output_extent(s.width, s.kernel, s.stride, s.pad);
    const memory::dim N = s.batch, IC = s.in_channels, OC = s.out_channels, K = s.kernel, G = s.groups;

    const memory::desc src_md({N, IC, s.height, s.width}, dt::u8, tag::nhwc);
    const memory::desc dst_md({N, OC, oh, ow}, dt::u8, tag::nhwc);
    const memory::desc bias_md({OC}, dt::s32, tag::x);

    // User weights as stored in ConvData.
    memory::dims wei_dims;
    memory::desc wei_user_md;
    if (G == 1) {
        wei_dims = {OC, IC, K, K};
        wei_user_md = memory::desc(wei_dims, dt::s8, tag::hwio);
    } else {
        // Depthwise: grouped dims {G, OC/G = 1, IC/G = 1, KH, KW}; the H x W x C
        // data has strides g:1, h:K*C, w:C (o and i have extent 1).
        wei_dims = {G, 1, 1, K, K};
        wei_user_md = memory::desc(wei_dims, dt::s8, memory::dims{1, 1, 1, K * G, G});
    }
    const memory::desc wei_any_md(wei_dims, dt::s8, tag::any);

    const memory::dims strides{s.stride, s.stride};
    const memory::dims padding{s.pad, s.pad};
    const convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                         src_md, wei_any_md, bias_md, dst_md, strides, padding, padding);

    std::vector<float> scales(OC);
    for (int c = 0; c < OC; ++c) scales[c] = d.input_scale * d.weight_scales[c] / d.output_scale;
    primitive_attr attr;
    attr.set_output_scales(1 << 1, scales);
    attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
    // Scratchpad allocated once here rather than by the library inside run().
    attr.set_scratchpad_mode(scratchpad_mode::user);

    try {
        m.pd = convolution_forward::primitive_desc(desc, attr, m.engine);
    } catch (const dnnl::error& e) {
        throw std::runtime_error(std::string("oneDNN: no int8 convolution implementation: ") + e.what());
    }
    m.prim = convolution_forward(m.pd);

    // Buffers owned by the wrapper; oneDNN memories wrap them without copies.
    m.input = d.input;
    m.output.assign(out_size, 0);
    m.bias = d.bias;
    m.src_zp = d.input_zero_point;
    m.dst_zp = d.output_zero_point;
    m.src_mem = memory(m.pd.src_desc(), m.engine, m.input.data());
    m.dst_mem = memory(m.pd.dst_desc(), m.engine, m.output.data());
    m.bias_mem = memory(m.pd.bias_desc(), m.engine, m.bias.data());
    const memory::desc zp_md({1}, dt::s32, tag::x);
    m.src_zp_mem = memory(zp_md, m.engine, &m.src_zp);
    m.dst_zp_mem = memory(zp_md, m.engine, &m.dst_zp);
    m.scratch_mem = memory(m.pd.scratchpad_desc(), m.engine);

    // One-off weight reorder into the primitive's preferred layout.
    memory wei_user(wei_user_md, m.engine, const_cast<int8_t*>(d.weights.data()));
    m.wei_mem = memory(m.pd.weights_desc(), m.engine);
    reorder(wei_user, m.wei_mem).execute(m.stream, wei_user, m.wei_mem);
    m.stream.wait();

    m.args = {{DNNL_ARG_SRC, m.src_mem},
              {DNNL_ARG_WEIGHTS, m.wei_mem},
              {DNNL_ARG_BIAS, m.bias_mem},
              {DNNL_ARG_DST, m.dst_mem},
              {DNNL_ARG_SCRATCHPAD, m.scratch_mem},
              {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, m.src_zp_mem},
              {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, m.dst_zp_mem}};
}

OnednnConv::~OnednnConv() = default;

void OnednnConv::run() {
    // Cheap; guards against other code changing the OpenMP thread count
    // between construction and run (ICVs are per calling thread).
    omp_set_num_threads(impl_->threads);
    impl_->prim.execute(impl_->stream, impl_->args);
    impl_->stream.wait();
}

const std::vector<uint8_t>& OnednnConv::output() const { return impl_->output; }

const char* OnednnConv::implementation() const { return impl_->pd.impl_info_str(); }

// ---------------------------------------------------------------------------
// XNNPACK
// ---------------------------------------------------------------------------
//
// Operator choice: XNNPACK (2022-02) has three int8 convolutions:
//   * qu8: uint8 activations, but one per-tensor kernel scale + kernel zero point;
//   * qs8: int8 activations, per-tensor kernel scale;
//   * qc8: int8 activations, per-output-channel kernel scales (what we need).
// qc8 is used, with activations shifted to int8: (x - zp) == ((x-128) - (zp-128))
// and the uint8 result is the int8 result + 128, so this is exact.
//
// Weights: groups == 1 uses XNNPACK's OHWI kernel layout (transposed from HWIO
// here); depthwise uses XNN_FLAG_DEPTHWISE_CONVOLUTION whose "HWGo" layout is
// exactly our H x W x C. XNNPACK packs the weights at creation. setup (which
// binds the buffers and builds the indirection buffer) is also done once here,
// since the buffers never change; run() is just xnn_run_operator.
struct XnnpackConv::Impl {
    std::vector<int8_t> input;   // input - 128
    std::vector<int8_t> output;  // int8 result written by run()
    mutable std::vector<uint8_t> output_u8;
    xnn_operator_t op = nullptr;
    pthreadpool_t pool = nullptr;

    ~Impl() {
        if (op) xnn_delete_operator(op);
        if (pool) pthreadpool_destroy(pool);
    }
};

namespace {
void xnn_check(xnn_status st, const char* what) {
    if (st != xnn_status_success)
        throw std::runtime_error(std::string("XNNPACK: ") + what + " failed, status " + std::to_string(int(st)));
}
}  // namespace

XnnpackConv::XnnpackConv(const ConvShape& s, const ConvData& d, int threads) : impl_(new Impl) {
    Impl& m = *impl_;
    const size_t out_size = validate(s, d);
    xnn_check(xnn_initialize(nullptr), "xnn_initialize");  // idempotent

    // threads <= 1: no pool, XNNPACK then runs inline on the calling thread.
    if (threads > 1) {
        m.pool = pthreadpool_create(size_t(threads));
        if (!m.pool) throw std::runtime_error("pthreadpool_create failed");
    }

    const bool dw = is_depthwise(s);
    const size_t IC = s.in_channels, OC = s.out_channels, K = s.kernel;
    std::vector<int8_t> kernel;
    if (dw) {
        kernel = d.weights;  // H x W x C == HWGo with o = 1
    } else {
        kernel.resize(d.weights.size());  // HWIO -> OHWI
        for (size_t ky = 0; ky < K; ++ky)
            for (size_t kx = 0; kx < K; ++kx)
                for (size_t ci = 0; ci < IC; ++ci)
                    for (size_t co = 0; co < OC; ++co)
                        kernel[((co * K + ky) * K + kx) * IC + ci] = d.weights[((ky * K + kx) * IC + ci) * OC + co];
    }

    const int8_t in_zp = int8_t(int(d.input_zero_point) - 128);
    const int8_t out_zp = int8_t(int(d.output_zero_point) - 128);
    const uint32_t p = uint32_t(s.pad);
    xnn_check(xnn_create_convolution2d_nhwc_qc8(
                  p, p, p, p, K, K, s.stride, s.stride, /*dilation*/ 1, 1,
                  /*groups*/ s.groups,
                  /*group_input_channels*/ IC / s.groups,
                  /*group_output_channels*/ OC / s.groups,
                  /*input_channel_stride*/ IC, /*output_channel_stride*/ OC,
                  in_zp, d.input_scale, d.weight_scales.data(), kernel.data(), d.bias.data(),
                  out_zp, d.output_scale, /*output_min*/ -128, /*output_max*/ 127,
                  dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &m.op),
              "xnn_create_convolution2d_nhwc_qc8");

    m.input.resize(d.input.size());
    for (size_t i = 0; i < d.input.size(); ++i) m.input[i] = int8_t(int(d.input[i]) - 128);
    m.output.assign(out_size, 0);
    m.output_u8.assign(out_size, 0);

    xnn_check(xnn_setup_convolution2d_nhwc_qc8(m.op, s.batch, s.height, s.width, m.input.data(),
                                               m.output.data(), m.pool),
              "xnn_setup_convolution2d_nhwc_qc8");
}

XnnpackConv::~XnnpackConv() = default;

void XnnpackConv::run() { xnn_check(xnn_run_operator(impl_->op, impl_->pool), "xnn_run_operator"); }

const std::vector<uint8_t>& XnnpackConv::output() const {
    // Not part of the timed run(): convert the int8 result back to uint8.
    const auto& o = impl_->output;
    auto& u = impl_->output_u8;
    for (size_t i = 0; i < o.size(); ++i) u[i] = uint8_t(int(o[i]) + 128);
    return u;
}

}  // namespace haqm_bench
