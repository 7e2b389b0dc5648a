// Post-training quantization (see quantizer.h and docs/quantization.md).
#include "haqm/quantizer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <sstream>

#include "haqm/model.h"
#include "haqm/observers.h"
#include "ops/op.h"

namespace haqm {
namespace {

std::unique_ptr<Observer> make_observer(const std::string& kind, const QuantScheme& scheme) {
    if (kind == "minmax") return std::make_unique<MinMaxObserver>(scheme);
    if (kind == "percentile") return std::make_unique<PercentileObserver>(scheme);
    if (kind == "mse") return std::make_unique<MseObserver>(scheme);
    if (kind == "kl") return std::make_unique<KlObserver>(scheme);
    throw Error("quantize: unknown observer '" + kind + "' (minmax, percentile, mse, kl)");
}

void check_bits(int bits, const std::string& what) {
    if (bits < 2 || bits > 8) throw Error("quantize: " + what + " bit width " + std::to_string(bits) + " is outside 2..8");
}

bool has_weights(OpKind op) { return ops::definition(op).traits.types == ops::TypeRule::product; }

// Ops whose output keeps its input's parameters (the op table's trait: layout ops and pools; an
// average stays inside its input's range, and the TFLite int8 spec and PyTorch's quantized pools
// do the same).
bool keeps_input_parameters(OpKind op) { return ops::definition(op).traits.keeps_input_parameters; }

// Activations with a known output range get fixed parameters instead of observed ones (as in the
// TFLite int8 spec and PyTorch's fixed-qparams ops): sigmoid-like outputs in [0, 1) with scale
// 1/256, tanh in [-1, 1) with scale 1/128. Empty for everything else.
TensorQuant fixed_output_parameters(const Node& node, DType dtype, int bits) {
    if (node.op != OpKind::activation || bits != 8) return {};
    const bool is_signed = dtype == DType::int8;
    switch (node.attrs.activation) {
    case Activation::sigmoid:
    case Activation::hard_sigmoid: return {{1.0f / 256.0f}, {is_signed ? -128 : 0}, 0, 8};
    case Activation::tanh: return {{1.0f / 128.0f}, {is_signed ? 0 : 128}, 0, 8};
    default: return {};
    }
}

QuantScheme activation_scheme(int bits, DType dtype) {
    QuantScheme s;
    s.bits = bits;
    s.is_signed = dtype == DType::int8;
    s.symmetric = false;
    s.granularity = Granularity::per_tensor;
    return s;
}

TensorQuant to_tensor_quant(const QuantParams& p, int axis, int bits) {
    return {p.scales, p.zero_points, axis, bits};
}

// Float weights -> int8 storage of `bits`-bit symmetric values, per output channel (last axis of
// HWIO and of [K, N]) or per tensor.
TensorInfo quantize_weights(const TensorInfo& w, int bits, bool per_channel) {
    QuantScheme s;
    s.bits = bits;
    s.is_signed = true;
    s.symmetric = true;
    s.granularity = per_channel ? Granularity::per_channel : Granularity::per_tensor;
    s.axis = static_cast<int>(w.shape.size()) - 1;
    const auto values = w.constant->as<float>();
    const std::vector<float> x(values.data(), values.data() + values.size());
    const size_t sets = parameter_count(s, w.shape);
    std::vector<float> mins(sets, 0.0f), maxs(sets, 0.0f);
    for (size_t i = 0; i < x.size(); ++i) {
        const size_t set = parameter_index(s, w.shape, static_cast<int64_t>(i));
        mins[set] = std::min(mins[set], x[i]);
        maxs[set] = std::max(maxs[set], x[i]);
    }
    const QuantParams params = params_from_ranges(s, mins, maxs);
    // round_half_even(w * (1 / scale)) in float32, as PyTorch quantizes weights (its quantize_val
    // multiplies by the reciprocal), so that a model PyTorch also quantizes gets the same levels.
    const IntegerRange range = quant_range(bits, true);
    std::vector<int8_t> q(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const size_t set = parameter_index(s, w.shape, static_cast<int64_t>(i));
        const float inverse_scale = 1.0f / params.scales[set];
        const float level = std::nearbyint(x[i] * inverse_scale);
        q[i] = static_cast<int8_t>(std::clamp(static_cast<int32_t>(std::clamp(level, -1e9f, 1e9f)), range.min, range.max));
    }
    TensorInfo out{w.name, DType::int8, w.shape, to_tensor_quant(params, s.axis, bits), std::nullopt};
    out.constant = ConstantData::from_vector(std::move(q));
    return out;
}

TensorInfo quantize_bias(const TensorInfo& b, float input_scale, const std::vector<float>& weight_scales) {
    const auto values = b.constant->as<float>();
    std::vector<int32_t> q(values.size());
    for (size_t c = 0; c < q.size(); ++c) {
        const double scale = double(input_scale) * weight_scales[weight_scales.size() == 1 ? 0 : c];
        const double level = std::nearbyint(values.data()[c] / scale);
        q[c] = static_cast<int32_t>(std::clamp(level, -2147483648.0, 2147483647.0));
    }
    TensorInfo out{b.name, DType::int32, b.shape, {}, std::nullopt};
    out.constant = ConstantData::from_vector(std::move(q));
    return out;
}

Node plain_node(const std::string& name, OpKind op, int32_t input, int32_t output) {
    Node node;
    node.name = name;
    node.op = op;
    node.inputs = {input};
    node.outputs = {output};
    return node;
}

double sqnr(double signal, double noise) { return noise == 0 ? INFINITY : 10.0 * std::log10(signal / noise); }

class Quantizer {
public:
    Quantizer(const Graph& source, const std::vector<std::vector<float>>& calibration, const QuantizeOptions& options)
        : f_(source), inputs_(calibration), options_(options) {}

    QuantizeResult run() {
        check_inputs();
        calibrate();
        build();
        if (options_.bias_correction) correct_biases();
        QuantizeResult result;
        result.report = report();
        result.graph = std::move(q_);
        return result;
    }

private:
    LayerBits bits_for(const Node& node) const {
        LayerBits bits{options_.weight_bits, 8};
        const auto it = options_.layer_overrides.find(node.name);
        if (it != options_.layer_overrides.end()) bits = it->second;
        check_bits(bits.weight_bits, "weight (" + node.name + ")");
        check_bits(bits.activation_bits, "activation (" + node.name + ")");
        return bits;
    }

    void check_inputs() {
        validate(f_);
        if (options_.activation_dtype != DType::int8 && options_.activation_dtype != DType::uint8) {
            throw Error("quantize: activations must be int8 or uint8");
        }
        check_bits(options_.weight_bits, "weight");
        for (const auto& [name, bits] : options_.layer_overrides) {
            const bool found = std::any_of(f_.nodes.begin(), f_.nodes.end(), [&](const Node& n) { return n.name == name; });
            if (!found) throw Error("quantize: the overrides name a layer '" + name + "' the model does not have");
        }
        for (const TensorInfo& t : f_.tensors) {
            if (t.dtype != DType::float32 && !(t.constant && t.dtype == DType::int32)) {
                throw Error("quantize: tensor '" + t.name + "' is " + dtype_name(t.dtype) + "; the model must be float32");
            }
        }
        if (f_.inputs.size() != 1 || f_.outputs.size() != 1) throw Error("quantize: the model needs one input and one output");
        if (inputs_.empty()) throw Error("quantize: no calibration data");
        const int64_t need = f_.tensors[static_cast<size_t>(f_.inputs[0])].elements();
        for (const auto& c : inputs_) {
            if (static_cast<int64_t>(c.size()) != need) {
                throw Error("quantize: a calibration input has " + std::to_string(c.size()) + " values, the model needs " + std::to_string(need));
            }
        }
    }

    // The bits of the tensor a node writes (its own override, else 8).
    void calibrate() {
        act_bits_.assign(f_.tensors.size(), 8);
        for (const Node& n : f_.nodes) act_bits_[static_cast<size_t>(n.outputs[0])] = bits_for(n).activation_bits;
        ModelOptions keep;
        keep.keep_all_tensors = true;
        float_model_ = std::make_unique<Model>(f_, keep);
        observers_.resize(f_.tensors.size());
        std::vector<int32_t> activations = f_.inputs;  // everything the float graph computes
        for (const Node& n : f_.nodes) activations.push_back(n.outputs[0]);
        for (int32_t t : activations) {
            observers_[static_cast<size_t>(t)] = make_observer(options_.observer, activation_scheme(act_bits_[static_cast<size_t>(t)], options_.activation_dtype));
        }
        Session session(*float_model_);
        for (const auto& input : inputs_) {
            session.run(input);
            for (size_t t = 0; t < f_.tensors.size(); ++t) {
                if (!observers_[t]) continue;
                const TensorInfo& info = f_.tensors[t];
                observers_[t]->observe(session.tensor_as_float(static_cast<int32_t>(t)), info.shape);
            }
        }
    }

    TensorQuant observed(int32_t float_id) const {
        return to_tensor_quant(observers_[static_cast<size_t>(float_id)]->params(), 0, act_bits_[static_cast<size_t>(float_id)]);
    }

    int32_t activation_tensor(int32_t float_id, TensorQuant quant) {
        const TensorInfo& f = f_.tensors[static_cast<size_t>(float_id)];
        return q_.add_tensor({f.name, options_.activation_dtype, f.shape, std::move(quant), std::nullopt});
    }

    void build() {
        q_.requantization = options_.requantization;
        q_.metadata = f_.metadata;
        map_.assign(f_.tensors.size(), -1);
        const int32_t input = f_.inputs[0];
        const TensorInfo& in = f_.tensors[static_cast<size_t>(input)];
        const int32_t q_input = q_.add_tensor({in.name, DType::float32, in.shape, {}, std::nullopt});
        q_.inputs = {q_input};
        TensorQuant in_quant = observed(input);
        const int32_t quantized_input = q_.add_tensor({in.name + ".quantized", options_.activation_dtype, in.shape, in_quant, std::nullopt});
        q_.nodes.push_back(plain_node(in.name + ".quantize", OpKind::quantize, q_input, quantized_input));
        map_[static_cast<size_t>(input)] = quantized_input;

        for (const Node& node : f_.nodes) {
            Node out = node;
            out.inputs.clear();
            const int32_t f_out = node.outputs[0];
            if (node.op == OpKind::softmax) {  // runs in float on the dequantized logits
                const int32_t logits = dequantized(node.inputs[0]);
                out.inputs = {logits};
                const TensorInfo& t = f_.tensors[static_cast<size_t>(f_out)];
                out.outputs = {q_.add_tensor({t.name, DType::float32, t.shape, {}, std::nullopt})};
                map_[static_cast<size_t>(f_out)] = out.outputs[0];
                float_outputs_.insert(f_out);
                q_.nodes.push_back(out);
                continue;
            }
            const int32_t x = map_.at(static_cast<size_t>(node.inputs[0]));
            if (x < 0 || q_.tensors[static_cast<size_t>(x)].dtype == DType::float32) {
                throw Error("quantize: node '" + node.name + "' (" + op_name(node.op) + ") reads a float tensor after softmax");
            }
            const TensorQuant x_quant = q_.tensors[static_cast<size_t>(x)].quant;  // a copy: add_tensor moves tensors
            out.inputs.push_back(x);
            if (has_weights(node.op)) {
                const LayerBits bits = bits_for(node);
                const TensorInfo w = quantize_weights(f_.tensors[static_cast<size_t>(node.inputs[1])], bits.weight_bits, options_.per_channel);
                out.inputs.push_back(q_.add_tensor(w));
                if (node.inputs.size() == 3 && node.inputs[2] >= 0) {
                    out.inputs.push_back(q_.add_tensor(quantize_bias(f_.tensors[static_cast<size_t>(node.inputs[2])], x_quant.scales[0], w.quant.scales)));
                } else {
                    // a zero bias, so bias correction has something to correct
                    TensorInfo b{node.name + ".bias", DType::int32, {w.shape.back()}, {}, std::nullopt};
                    b.constant = ConstantData::from_vector(std::vector<int32_t>(static_cast<size_t>(w.shape.back()), 0));
                    out.inputs.push_back(q_.add_tensor(b));
                }
            } else {
                for (size_t i = 1; i < node.inputs.size(); ++i) out.inputs.push_back(map_.at(static_cast<size_t>(node.inputs[i])));
            }
            TensorQuant out_quant = fixed_output_parameters(node, options_.activation_dtype, act_bits_[static_cast<size_t>(f_out)]);
            if (out_quant.empty()) out_quant = keeps_input_parameters(node.op) ? x_quant : observed(f_out);
            out.outputs = {activation_tensor(f_out, out_quant)};
            map_[static_cast<size_t>(f_out)] = out.outputs[0];
            q_.nodes.push_back(out);
        }
        const int32_t result = f_.outputs[0];
        q_.outputs = {float_outputs_.count(result) ? map_[static_cast<size_t>(result)] : dequantized(result)};
        validate(q_);
    }

    // A float copy of a quantized tensor (for softmax and the graph output).
    int32_t dequantized(int32_t float_id) {
        const int32_t q = map_.at(static_cast<size_t>(float_id));
        const TensorInfo t = q_.tensors[static_cast<size_t>(q)];  // a copy: add_tensor moves tensors
        const int32_t out = q_.add_tensor({t.name + ".float", DType::float32, t.shape, {}, std::nullopt});
        q_.nodes.push_back(plain_node(t.name + ".dequantize", OpKind::dequantize, q, out));
        return out;
    }

    // Empirical bias correction, layer by layer in execution order: the mean of each output channel
    // over the calibration set, float graph against the quantized graph with the earlier layers
    // already corrected; the difference goes into the int32 bias. Measured after a fused ReLU/Clip,
    // so channels the activation clips are corrected only on their unclipped part.
    void correct_biases() {
        const size_t samples = std::min<size_t>(inputs_.size(), 200);
        Session float_session(*float_model_);
        std::vector<std::vector<float>> float_means(f_.tensors.size());
        for (size_t i = 0; i < samples; ++i) {
            float_session.run(inputs_[i]);
            for (const Node& node : f_.nodes) {
                if (!has_weights(node.op)) continue;
                accumulate_channel_means(float_session.tensor_as_float(node.outputs[0]), f_.tensors[static_cast<size_t>(node.outputs[0])].shape,
                                         float_means[static_cast<size_t>(node.outputs[0])]);
            }
        }
        for (size_t n = 0; n < q_.nodes.size(); ++n) {
            Node& node = q_.nodes[n];
            if (!has_weights(node.op)) continue;
            ModelOptions keep;
            keep.keep_all_tensors = true;
            const Model model(q_, keep);
            Session session(model);
            std::vector<float> means;
            for (size_t i = 0; i < samples; ++i) {
                session.run(inputs_[i]);
                accumulate_channel_means(session.tensor_as_float(node.outputs[0]), q_.tensors[static_cast<size_t>(node.outputs[0])].shape, means);
            }
            const int32_t f_out = f_.find_tensor(q_.tensors[static_cast<size_t>(node.outputs[0])].name);
            const std::vector<float>& target = float_means[static_cast<size_t>(f_out)];
            TensorInfo& bias = q_.tensors[static_cast<size_t>(node.inputs[2])];
            const TensorInfo& w = q_.tensors[static_cast<size_t>(node.inputs[1])];
            const float in_scale = q_.tensors[static_cast<size_t>(node.inputs[0])].quant.scales[0];
            const auto old = bias.constant->as<int32_t>();
            std::vector<int32_t> corrected(old.data(), old.data() + old.size());
            for (size_t c = 0; c < corrected.size(); ++c) {
                const double scale = double(in_scale) * w.quant.scales[w.quant.scales.size() == 1 ? 0 : c];
                const double shift = (target[c] - means[c]) / static_cast<double>(samples);
                corrected[c] = static_cast<int32_t>(std::clamp(corrected[c] + std::nearbyint(shift / scale), -2147483648.0, 2147483647.0));
            }
            bias.constant = ConstantData::from_vector(std::move(corrected));
        }
    }

    static void accumulate_channel_means(const std::vector<float>& values, const Shape& shape, std::vector<float>& sums) {
        const size_t channels = static_cast<size_t>(shape.back());
        if (sums.empty()) sums.assign(channels, 0.0f);
        const double per_channel = static_cast<double>(values.size() / channels);
        for (size_t i = 0; i < values.size(); ++i) sums[i % channels] += static_cast<float>(values[i] / per_channel);
    }

    std::vector<LayerReport> report() {
        ModelOptions keep;
        keep.keep_all_tensors = true;
        const Model model(q_, keep);
        Session session(model);
        Session float_session(*float_model_);
        const size_t samples = std::min<size_t>(inputs_.size(), 200);
        std::vector<double> signal(f_.nodes.size(), 0.0), noise(f_.nodes.size(), 0.0);  // summed over the samples
        for (size_t i = 0; i < samples; ++i) {
            float_session.run(inputs_[i]);
            session.run(inputs_[i]);
            for (size_t n = 0; n < f_.nodes.size(); ++n) {
                const int32_t f_out = f_.nodes[n].outputs[0];
                const auto x = float_session.tensor_as_float(f_out);
                const auto y = session.tensor_as_float(map_[static_cast<size_t>(f_out)]);
                for (size_t e = 0; e < x.size(); ++e) {
                    signal[n] += double(x[e]) * x[e];
                    noise[n] += (double(x[e]) - y[e]) * (double(x[e]) - y[e]);
                }
            }
        }
        std::vector<LayerReport> rows;
        for (size_t n = 0; n < f_.nodes.size(); ++n) {
            const Node& node = f_.nodes[n];
            if (node.op == OpKind::reshape) continue;
            const TensorInfo& out = q_.tensors[static_cast<size_t>(map_[static_cast<size_t>(node.outputs[0])])];
            LayerReport r;
            r.node = node.name;
            r.op = node.op == OpKind::activation ? activation_name(node.attrs.activation) : op_name(node.op);
            r.weight_bits = has_weights(node.op) ? bits_for(node).weight_bits : 0;
            r.activation_bits = out.quant.empty() ? 32 : out.quant.bits;
            r.output_scale = out.quant.empty() ? 0.0f : out.quant.scales[0];
            r.output_zero_point = out.quant.empty() ? 0 : out.quant.zero_points[0];
            r.sqnr_db = sqnr(signal[n], noise[n]);
            rows.push_back(r);
        }
        return rows;
    }

    const Graph& f_;
    const std::vector<std::vector<float>>& inputs_;  // calibration inputs
    std::vector<std::unique_ptr<Observer>> observers_;  // per float tensor (activations only)
    const QuantizeOptions& options_;
    std::vector<int> act_bits_;
    std::unique_ptr<Model> float_model_;
    Graph q_;
    std::vector<int32_t> map_;  // float tensor id -> quantized graph tensor id
    std::set<int32_t> float_outputs_;
};

}  // namespace

std::map<std::string, LayerBits> parse_layer_overrides(const std::string& text) {
    std::map<std::string, LayerBits> overrides;
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        const size_t hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        std::string name, word;
        if (!(words >> name)) continue;
        LayerBits bits;
        bool any = false;
        while (words >> word) {
            const size_t eq = word.find('=');
            const std::string key = word.substr(0, eq == std::string::npos ? word.size() : eq);
            const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
            int parsed = 0;
            try {
                size_t used = 0;
                parsed = std::stoi(value, &used);
                if (used != value.size()) throw std::invalid_argument(value);
            } catch (const std::exception&) {
                throw Error("overrides line " + std::to_string(number) + ": '" + word + "' needs key=integer");
            }
            if (key == "weights") bits.weight_bits = parsed;
            else if (key == "acts") bits.activation_bits = parsed;
            else throw Error("overrides line " + std::to_string(number) + ": unknown key '" + key + "' (weights, acts)");
            check_bits(parsed, "overrides line " + std::to_string(number) + " " + key);
            any = true;
        }
        if (!any) throw Error("overrides line " + std::to_string(number) + ": '" + name + "' sets nothing (weights=N acts=N)");
        overrides[name] = bits;
    }
    return overrides;
}

QuantizeResult quantize_graph(const Graph& float_graph, const std::vector<std::vector<float>>& calibration,
                              const QuantizeOptions& options) {
    return Quantizer(float_graph, calibration, options).run();
}

}  // namespace haqm
