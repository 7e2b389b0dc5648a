// Running a graph: a Model (validated graph, packed weights, schedule choices and memory plan;
// immutable, shared by any number of threads) and a Session (one arena and the per-layer profile;
// one per thread).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "haqm/graph.h"

namespace haqm {

// One arena for all activations: tensor lifetimes in execution order, offsets chosen greedily
// (largest first, best fit), outputs of elementwise ops written over an input that dies there.
struct MemoryPlan {
    std::vector<int64_t> offsets;  // per tensor id; -1 for constants and graph inputs
    int64_t arena_bytes = 0;       // peak bytes of the plan
    int64_t lower_bound_bytes = 0;  // the largest sum of live tensor bytes at any step
    int in_place_count = 0;         // outputs that reuse an input's bytes
};
// keep_all: every tensor gets its own bytes (calibration and per-layer comparisons read them all).
MemoryPlan plan_memory(const Graph& graph, bool keep_all = false);

struct ModelOptions {
    // Schedule per op name ("conv", "fully_connected", ...) or per node name; a node's own
    // `schedule` field wins over both; unset ones use the target's default table.
    std::map<std::string, std::string> schedules;
    std::string isa;         // empty: the best this CPU runs
    // Every tensor keeps its own bytes and no activation is fused into its producer (calibration
    // and per-layer comparisons read every intermediate tensor).
    bool keep_all_tensors = false;
};

class Model {
public:
    explicit Model(Graph graph, ModelOptions options = {});
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    // The graph as it runs: activations fused into their producers (docs/architecture.md) unless
    // the options keep every tensor.
    const Graph& graph() const;
    const MemoryPlan& memory_plan() const;
    // The kernel schedule each node runs ("" for nodes that run plain C++: reshape, concat, ...).
    const std::vector<std::string>& node_schedules() const;

    struct Prepared;  // packed weights and kernel specs per node (runtime/src/executor.cpp)
    const Prepared& prepared() const { return *prepared_; }

private:
    std::unique_ptr<Prepared> prepared_;
};

struct LayerTime {
    std::string node;
    std::string op;
    std::string schedule;
    double milliseconds = 0;
};

class Session {
public:
    explicit Session(const Model& model);

    // Input: the graph input's elements (float32, in the graph's layout: NHWC for images).
    // Returns the first graph output converted to float (dequantized when quantized).
    std::vector<float> run(Span<const float> input);
    // One span per graph input, in the order of Graph::inputs.
    std::vector<float> run(const std::vector<Span<const float>>& inputs);
    // One view per graph input, each of the input's dtype and shape with any strides: gathered
    // into the arena. Throws haqm::Error for a dtype or shape mismatch, a null pointer or a
    // negative stride.
    std::vector<float> run(const std::vector<TensorView>& inputs);
    // A graph output after run(), as a dense view into the session's memory.
    TensorView output(size_t index = 0) const;

    // After run(): any tensor's bytes (constants, inputs, and activations when the model keeps
    // all tensors or the tensor is a graph output), and its values as float (dequantized).
    Span<const uint8_t> tensor_bytes(int32_t id) const;
    std::vector<float> tensor_as_float(int32_t id) const;

    void set_profiling(bool on) { profiling_ = on; }
    const std::vector<LayerTime>& profile() const { return profile_; }

private:
    const Model& model_;
    std::vector<uint8_t> arena_storage_;
    uint8_t* arena_ = nullptr;  // 64-byte aligned inside arena_storage_
    std::vector<const uint8_t*> node_inputs_;  // the running node's input pointers, reused by run()
    bool profiling_ = false;
    std::vector<LayerTime> profile_;
};

}  // namespace haqm
