// Memory planning: every activation gets an offset in one arena.
//  1. Buffers: a reshape's output is its input's bytes; an elementwise op's output is written over
//     an input of the same size whose last reader is that op (and which is not a graph output).
//  2. Each buffer lives from the step that produces its first tensor to the last step that reads
//     any of them (graph inputs from step 0, graph outputs to the end).
//  3. Buffers placed one by one, each in the smallest gap among the placed buffers whose lifetime
//     it shares (best fit), in three orders (largest first as in TFLite's arena planner, earliest
//     first, longest-lived first); the smallest arena wins.
// The lower bound reported is the largest sum of live buffer bytes at any step: no arena can be
// smaller, so arena_bytes / lower_bound_bytes says how much fragmentation costs.
#include <algorithm>
#include <numeric>

#include "haqm/model.h"
#include "ops/op.h"

namespace haqm {
namespace {

constexpr int64_t kAlignment = 64;

int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }


struct Buffer {
    int64_t bytes = 0;
    int first = 0, last = 0;  // steps; graph inputs are produced at step -1
    int64_t offset = -1;
};

// Places each buffer, in `order`, at the lowest offset of the smallest gap that holds it among the
// placed buffers alive at the same time (else after them). Returns the arena size.
int64_t place_greedily(std::vector<Buffer>& buffers, const std::vector<size_t>& order) {
    int64_t arena = 0;
    std::vector<size_t> placed;
    for (size_t i : order) {
        Buffer& b = buffers[i];
        std::vector<std::pair<int64_t, int64_t>> busy;
        for (size_t j : placed) {
            const Buffer& p = buffers[j];
            if (p.first <= b.last && b.first <= p.last) busy.push_back({p.offset, p.offset + aligned(p.bytes)});
        }
        std::sort(busy.begin(), busy.end());
        int64_t best = -1, best_gap = 0, cursor = 0;
        for (const auto& [begin, end] : busy) {
            const int64_t gap = begin - cursor;
            if (gap >= aligned(b.bytes) && (best < 0 || gap < best_gap)) {
                best = cursor;
                best_gap = gap;
            }
            cursor = std::max(cursor, end);
        }
        b.offset = best >= 0 ? best : cursor;
        arena = std::max(arena, b.offset + aligned(b.bytes));
        placed.push_back(i);
    }
    return arena;
}

}  // namespace

MemoryPlan plan_memory(const Graph& graph, bool keep_all) {
    const size_t count = graph.tensors.size();
    const int steps = static_cast<int>(graph.nodes.size());
    MemoryPlan plan;
    plan.offsets.assign(count, -1);

    std::vector<int> first(count, steps), last(count, -1);
    for (int32_t id : graph.inputs) first[static_cast<size_t>(id)] = -1;
    for (int s = 0; s < steps; ++s) {
        const Node& node = graph.nodes[static_cast<size_t>(s)];
        for (int32_t id : node.outputs) first[static_cast<size_t>(id)] = s;
        for (int32_t id : node.inputs) {
            if (id >= 0) last[static_cast<size_t>(id)] = std::max(last[static_cast<size_t>(id)], s);
        }
    }
    std::vector<bool> is_output(count, false);
    for (int32_t id : graph.outputs) {
        is_output[static_cast<size_t>(id)] = true;
        last[static_cast<size_t>(id)] = steps;
    }
    for (size_t t = 0; t < count; ++t) last[t] = std::max(last[t], first[t]);

    // Buffer of each tensor (union by aliasing).
    std::vector<int> buffer_of(count, -1);
    std::vector<Buffer> buffers;
    const auto new_buffer = [&](size_t t) {
        buffer_of[t] = static_cast<int>(buffers.size());
        buffers.push_back({static_cast<int64_t>(graph.tensors[t].bytes()), first[t], last[t], -1});
    };
    for (int32_t id : graph.inputs) new_buffer(static_cast<size_t>(id));
    for (int s = 0; s < steps; ++s) {
        const Node& node = graph.nodes[static_cast<size_t>(s)];
        const size_t out = static_cast<size_t>(node.outputs[0]);
        int reuse = -1;
        if (!keep_all) {
            const auto can_take = [&](int32_t in) {
                if (in < 0 || graph.tensors[static_cast<size_t>(in)].constant) return false;
                const size_t i = static_cast<size_t>(in);
                return last[i] == s && !is_output[i] && graph.tensors[i].bytes() == graph.tensors[out].bytes() &&
                       buffers[static_cast<size_t>(buffer_of[i])].last == s;
            };
            const ops::OpTraits& traits = ops::definition(node.op).traits;
            if (traits.aliases_input && node.inputs[0] >= 0 && !graph.tensors[static_cast<size_t>(node.inputs[0])].constant &&
                !is_output[static_cast<size_t>(node.inputs[0])]) {
                reuse = buffer_of[static_cast<size_t>(node.inputs[0])];  // a view: lives as long as either
            } else if (traits.elementwise) {
                for (size_t k = 0; k < node.inputs.size() && reuse < 0; ++k) {
                    if (can_take(node.inputs[k])) reuse = buffer_of[static_cast<size_t>(node.inputs[k])];
                }
            }
        }
        if (reuse >= 0) {
            buffer_of[out] = reuse;
            Buffer& b = buffers[static_cast<size_t>(reuse)];
            b.last = std::max(b.last, last[out]);
            b.bytes = std::max(b.bytes, static_cast<int64_t>(graph.tensors[out].bytes()));
            ++plan.in_place_count;
        } else {
            new_buffer(out);
        }
    }

    if (keep_all) {
        int64_t offset = 0;
        for (Buffer& b : buffers) {
            b.offset = offset;
            offset += aligned(b.bytes);
        }
        plan.arena_bytes = offset;
    } else {
        // Greedy placement is sensitive to the order buffers are placed in: try the usual orders
        // (largest first; earliest first; longest-lived first) and keep the smallest arena.
        std::vector<size_t> by_size(buffers.size());
        std::iota(by_size.begin(), by_size.end(), size_t(0));
        std::vector<size_t> by_start = by_size, by_length = by_size;
        std::stable_sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
        std::stable_sort(by_start.begin(), by_start.end(), [&](size_t a, size_t b) { return buffers[a].first < buffers[b].first; });
        std::stable_sort(by_length.begin(), by_length.end(), [&](size_t a, size_t b) {
            return buffers[a].last - buffers[a].first > buffers[b].last - buffers[b].first;
        });
        std::vector<Buffer> best;
        for (const auto* order : {&by_size, &by_start, &by_length}) {
            std::vector<Buffer> trial = buffers;
            const int64_t arena = place_greedily(trial, *order);
            if (best.empty() || arena < plan.arena_bytes) {
                best = std::move(trial);
                plan.arena_bytes = arena;
            }
        }
        buffers = std::move(best);
    }
    for (int s = -1; s <= steps; ++s) {
        int64_t live = 0;
        for (const Buffer& b : buffers) {
            if (b.first <= s && s <= b.last) live += aligned(b.bytes);
        }
        plan.lower_bound_bytes = std::max(plan.lower_bound_bytes, live);
    }
    for (size_t t = 0; t < count; ++t) {
        if (buffer_of[t] >= 0) plan.offsets[t] = buffers[static_cast<size_t>(buffer_of[t])].offset;
    }
    return plan;
}

}  // namespace haqm
