#include "kernel_registry.h"

#include <algorithm>
#include <mutex>

#include "haqm_generated_kernels.h"
#include "schedule_table.h"

namespace haqm::detail {
namespace {

constexpr const char* kFamilyNames[] = {
#define HAQM_FAMILY_NAME(family, ...) #family,
    HAQM_KERNEL_FAMILIES(HAQM_FAMILY_NAME)
#undef HAQM_FAMILY_NAME
};

constexpr const char* kIsaNames[] = {"avx512_vnni", "avx512", "avx2", "sse41", "dotprod", "neon"};
constexpr Isa kIsaOrder[] = {Isa::avx512_vnni, Isa::avx512, Isa::avx2, Isa::sse41, Isa::dotprod, Isa::neon};

DType short_type(const std::string& name) {
    if (name == "u8") return DType::uint8;
    if (name == "s8") return DType::int8;
    if (name == "s32") return DType::int32;
    throw Error("kernel table: unknown type '" + name + "' in a variant name");
}

// The variant names of generators/kernel_list.cmake: "<in>" (elementwise families, the output of
// quantize / the input of dequantize and requantize), "<in>_<out>[_float]" (products),
// "<in>_max" / "<in>_average" (pools).
KernelKey parse_variant(KernelFamily family, const std::string& variant) {
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
        const size_t end = variant.find('_', start);
        parts.push_back(variant.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    KernelKey key{family, short_type(parts[0]), short_type(parts[0])};
    switch (family) {
    case KernelFamily::quantize: key.input = DType::float32; break;
    case KernelFamily::dequantize: key.output = DType::float32; break;
    case KernelFamily::requantize:
        key.input = DType::int32;
        key.output = short_type(parts[0]);
        break;
    case KernelFamily::gemm_q8:
    case KernelFamily::conv2d_q8:
    case KernelFamily::depthwise_conv2d_q8:
        key.output = short_type(parts.at(1));
        if (parts.size() == 3 && parts[2] == "float") key.requantization = Requantization::float32;
        break;
    case KernelFamily::pool_q8: key.pool_kind = parts.at(1) == "max" ? PoolKind::max : PoolKind::average; break;
    default: break;
    }
    return key;
}

Isa isa_from_name(const std::string& name) {
    for (Isa isa : kIsaOrder) {
        if (name == kIsaNames[static_cast<int>(isa)]) return isa;
    }
    throw Error("unknown instruction set '" + name + "'");
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

void add_unique(std::vector<std::string>& names, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

std::string key_text(const KernelKey& key) {
    std::string text = std::string(family_name(key.family)) + " " + dtype_name(key.input) + " -> " + dtype_name(key.output);
    if (key.family == KernelFamily::pool_q8) text += key.pool_kind == PoolKind::max ? " (max)" : " (average)";
    if (key.requantization == Requantization::float32 && is_8bit(key.output) && key.family != KernelFamily::pool_q8) {
        text += " (float requantization)";
    }
    return text;
}

}  // namespace

const char* family_name(KernelFamily family) { return kFamilyNames[static_cast<size_t>(family)]; }
const char* isa_name(Isa isa) { return kIsaNames[static_cast<size_t>(isa)]; }

const std::vector<const char*>& family_arguments(KernelFamily family) {
    static const std::vector<std::vector<const char*>> arguments = {
#define HAQM_FAMILY_ARGUMENTS(family, ...) {__VA_ARGS__},
        HAQM_KERNEL_FAMILIES(HAQM_FAMILY_ARGUMENTS)
#undef HAQM_FAMILY_ARGUMENTS
    };
    return arguments[static_cast<size_t>(family)];
}

bool KernelKey::operator==(const KernelKey& o) const {
    // The rule matters only where a product requantizes to 8 bits, the kind only for pools.
    const bool requantizes = is_8bit(output) && (family == KernelFamily::gemm_q8 || family == KernelFamily::conv2d_q8 ||
                                                 family == KernelFamily::depthwise_conv2d_q8);
    return family == o.family && input == o.input && output == o.output &&
           (!requantizes || requantization == o.requantization) &&
           (family != KernelFamily::pool_q8 || pool_kind == o.pool_kind);
}

const std::vector<KernelEntry>& kernel_table() {
    // static_cast checks each generated function against its family's signature at compile time.
#define HAQM_KERNEL(family, variant, schedule, isa)                                                          \
    KernelEntry{parse_variant(KernelFamily::family, #variant), #schedule, Isa::isa,                          \
                reinterpret_cast<void*>(static_cast<family##_fn>(&haqm_##family##_##variant##__##schedule##__##isa)), \
                &haqm_##family##_##variant##__##schedule##__##isa##_metadata},
    static const std::vector<KernelEntry> table = {
#include "haqm_kernel_table.inc"
    };
#undef HAQM_KERNEL
    return table;
}

namespace {

const KernelEntry& search_kernel(const KernelKey& key, const KernelChoice& choice) {
    const std::string family = family_name(key.family);
    const std::string schedule = choice.schedule.empty() ? default_schedule(family) : choice.schedule;
    const auto& table = kernel_table();
    const bool schedule_known = std::any_of(table.begin(), table.end(), [&](const KernelEntry& e) {
        return e.key.family == key.family && schedule == e.schedule;
    });
    if (!schedule_known) {
        throw Error("unknown schedule '" + schedule + "' for " + family + " (known: " + join(schedules(family)) + ")");
    }
    const auto find = [&](Isa isa) -> const KernelEntry* {
        for (const auto& entry : table) {
            if (entry.key == key && schedule == entry.schedule && entry.isa == isa) return &entry;
        }
        return nullptr;
    };
    if (choice.isa.empty()) {
        for (Isa isa : kIsaOrder) {
            if (!cpu_supports(isa)) continue;
            if (const KernelEntry* entry = find(isa)) return *entry;
        }
    } else {
        const auto compiled = compiled_isas();
        if (std::find(compiled.begin(), compiled.end(), choice.isa) == compiled.end()) {
            throw Error("instruction set '" + choice.isa + "' is not compiled in (compiled: " + join(compiled) + ")");
        }
        const Isa isa = isa_from_name(choice.isa);
        if (!cpu_supports(isa)) throw Error("instruction set '" + choice.isa + "' is not supported by this CPU");
        if (const KernelEntry* entry = find(isa)) return *entry;
    }
    throw Error("no " + key_text(key) + " kernel with schedule '" + schedule + "'" +
                (choice.isa.empty() ? std::string(" on this CPU") : " for instruction set '" + choice.isa + "'"));
}

}  // namespace

const KernelEntry& find_kernel(const KernelKey& key, const KernelChoice& choice) {
    // Plans resolve once; the one-shot calls (a plan per call) find their kernel here each time, so
    // a found one is remembered (entries are static; failures are not, so they keep their messages).
    struct Found {
        KernelKey key;
        KernelChoice choice;
        const KernelEntry* entry;
    };
    static std::mutex mutex;
    static std::vector<Found> found;
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (const Found& f : found) {
            if (f.key == key && f.choice.schedule == choice.schedule && f.choice.isa == choice.isa) return *f.entry;
        }
    }
    const KernelEntry& entry = search_kernel(key, choice);
    std::lock_guard<std::mutex> lock(mutex);
    found.push_back({key, choice, &entry});
    return entry;
}

}  // namespace haqm::detail

namespace haqm {

std::vector<std::string> schedules(const std::string& family) {
    std::vector<std::string> names;
    for (const auto& entry : detail::kernel_table()) {
        if (family == detail::family_name(entry.key.family)) detail::add_unique(names, entry.schedule);
    }
    return names;
}

std::vector<std::string> compiled_isas() {
    std::vector<std::string> names;
    for (detail::Isa isa : detail::kIsaOrder) {
        const auto& table = detail::kernel_table();
        if (std::any_of(table.begin(), table.end(), [&](const detail::KernelEntry& e) { return e.isa == isa; })) {
            names.push_back(detail::isa_name(isa));
        }
    }
    return names;
}

std::vector<std::string> supported_isas() {
    std::vector<std::string> names;
    for (const auto& name : compiled_isas()) {
        if (detail::cpu_supports(detail::isa_from_name(name))) names.push_back(name);
    }
    return names;
}

std::vector<KernelChoice> kernel_variants(const std::string& family) {
    std::vector<KernelChoice> variants;
    for (const auto& entry : detail::kernel_table()) {
        if (family != detail::family_name(entry.key.family) || !detail::cpu_supports(entry.isa)) continue;
        const bool seen = std::any_of(variants.begin(), variants.end(), [&](const KernelChoice& v) {
            return v.schedule == entry.schedule && v.isa == detail::isa_name(entry.isa);
        });
        if (!seen) variants.push_back({entry.schedule, detail::isa_name(entry.isa)});
    }
    return variants;
}

std::string default_schedule(const std::string& family) { return schedule_table::default_name(family); }

ScheduleTraits schedule_traits(const std::string& family, const std::string& schedule) {
    const schedule_table::Row* row = schedule_table::find(family, schedule);
    if (!row) {
        throw Error("unknown schedule '" + schedule + "' for " + family + " (known: " +
                    schedule_table::names_of(family) + ")");
    }
    ScheduleTraits t;
    t.vectorized = row->has(schedule_table::kVectorized);
    t.parallel = row->has(schedule_table::kParallel);
    t.autoscheduled = row->has(schedule_table::kAutoscheduled);
    t.slow = row->has(schedule_table::kSlow);
    t.tile_columns = row->tile_columns;
    return t;
}

std::string serial_schedule(const std::string& family, const std::string& schedule) {
    const std::string suffix = "_par";
    const bool named_parallel = schedule.size() > suffix.size() &&
                                schedule.compare(schedule.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (!named_parallel) return schedule;
    const std::string serial = schedule.substr(0, schedule.size() - suffix.size());
    return schedule_table::find(family, serial) ? serial : schedule;
}

}  // namespace haqm
