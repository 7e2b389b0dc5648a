#include "kernel_registry.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "haqm_generated_kernels.h"

namespace haqm::detail {
namespace {

// static_cast checks each generated function against its family's signature at compile time.
#define HAQM_KERNEL(family, variant, schedule, isa)                                         \
    KernelEntry{#family, #variant, #schedule, #isa,                                         \
                reinterpret_cast<void*>(static_cast<family##_fn>(                           \
                    &haqm_##family##_##variant##__##schedule##__##isa))},
const KernelEntry kKernels[] = {
#include "haqm_kernel_table.inc"
};
#undef HAQM_KERNEL

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) {
        out += (out.empty() ? "" : ", ") + name;
    }
    return out;
}

void add_unique(std::vector<std::string>& names, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
    }
}

}  // namespace

const std::vector<std::string>& supported_isa_list() {
    // The CPU does not change while the process runs: detect once.
    static const std::vector<std::string> names = [] {
        std::vector<std::string> supported;
        for (const auto& isa : compiled_isas()) {
            if (cpu_supports(isa)) {
                supported.push_back(isa);
            }
        }
        return supported;
    }();
    return names;
}

namespace {

const KernelEntry& search_kernel(const std::string& family, const std::string& variant, const KernelChoice& choice) {
    const std::string schedule = choice.schedule.empty() ? default_schedule(family) : choice.schedule;
    const bool schedule_known = std::any_of(std::begin(kKernels), std::end(kKernels), [&](const KernelEntry& e) {
        return family == e.family && schedule == e.schedule;
    });
    if (!schedule_known) {
        throw Error("unknown schedule '" + schedule + "' for " + family + " (known: " + join(schedules(family)) + ")");
    }
    auto find = [&](const std::string& isa) -> const KernelEntry* {
        for (const auto& entry : kKernels) {
            if (family == entry.family && variant == entry.variant && schedule == entry.schedule && isa == entry.isa) {
                return &entry;
            }
        }
        return nullptr;
    };
    if (choice.isa.empty()) {
        for (const auto& isa : supported_isa_list()) {
            if (const KernelEntry* entry = find(isa)) {
                return *entry;
            }
        }
    } else {
        const bool compiled = std::any_of(std::begin(kKernels), std::end(kKernels),
                                          [&](const KernelEntry& e) { return choice.isa == e.isa; });
        if (!compiled) {
            throw Error("instruction set '" + choice.isa + "' is not compiled in (compiled: " +
                        join(compiled_isas()) + ")");
        }
        if (!cpu_supports(choice.isa)) {
            throw Error("instruction set '" + choice.isa + "' is not supported by this CPU");
        }
        if (const KernelEntry* entry = find(choice.isa)) {
            return *entry;
        }
    }
    throw Error("no " + family + " kernel for " + variant + " with schedule '" + schedule + "'" +
                (choice.isa.empty() ? std::string(" on this CPU") : " for instruction set '" + choice.isa + "'"));
}

}  // namespace

const KernelEntry& find_kernel(const std::string& family, const std::string& variant, const KernelChoice& choice) {
    // Called on every kernel call: the table scan (~1500 entries) is done once per choice, then
    // remembered (entries are static; failures are not cached, so they keep their messages).
    static std::mutex mutex;
    static std::unordered_map<std::string, const KernelEntry*> found;
    std::string key = family;
    for (const std::string* part : {&variant, &choice.schedule, &choice.isa}) {
        key += '\0';
        key += *part;
    }
    {
        std::lock_guard<std::mutex> lock(mutex);
        const auto it = found.find(key);
        if (it != found.end()) return *it->second;
    }
    const KernelEntry& entry = search_kernel(family, variant, choice);
    std::lock_guard<std::mutex> lock(mutex);
    found.emplace(std::move(key), &entry);
    return entry;
}

}  // namespace haqm::detail

namespace haqm {

std::vector<std::string> schedules(const std::string& family) {
    std::vector<std::string> names;
    for (const auto& entry : detail::kKernels) {
        if (family == entry.family) {
            detail::add_unique(names, entry.schedule);
        }
    }
    return names;
}

std::vector<std::string> compiled_isas() {
    std::vector<std::string> names;
    for (const auto& entry : detail::kKernels) {
        detail::add_unique(names, entry.isa);
    }
    return names;
}

std::vector<std::string> supported_isas() {
    return detail::supported_isa_list();
}

std::vector<KernelChoice> kernel_variants(const std::string& family) {
    std::vector<KernelChoice> variants;
    for (const auto& entry : detail::kKernels) {
        if (family != entry.family || !detail::cpu_supports(entry.isa)) {
            continue;
        }
        const bool seen = std::any_of(variants.begin(), variants.end(), [&](const KernelChoice& v) {
            return v.schedule == entry.schedule && v.isa == entry.isa;
        });
        if (!seen) {
            variants.push_back({entry.schedule, entry.isa});
        }
    }
    return variants;
}

std::string default_schedule(const std::string& family) {
    // The product and pooling kernels' fastest; the elementwise ones' vectorized schedule.
    const bool has_threaded_tiles = family == "gemm_q8" || family == "conv2d_q8" ||
                                    family == "depthwise_conv2d_q8" || family == "pool_q8";
    return has_threaded_tiles ? "tiled_vec_par" : "default";
}

}  // namespace haqm
