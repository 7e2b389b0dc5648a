// The kernel table against what the generators emitted: every compiled kernel's arguments
// (names, kinds, order) are those its family's call passes (HAQM_KERNEL_FAMILIES in
// kernel_registry.h), so reordering a generator's inputs cannot silently swap two arguments; and
// typed keys resolve with the documented ISA fallback order.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "HalideRuntime.h"
#include "haqm/kernels.h"
#include "../runtime/src/kernel_registry.h"
#include "../schedules/schedule_table.h"

namespace haqm {
namespace {

using detail::KernelFamily;

TEST(KernelRegistry, EveryKernelTakesItsFamilysArgumentsInOrder) {
    std::set<std::string> families_seen;
    for (const auto& entry : detail::kernel_table()) {
        const std::vector<const char*>& expected = detail::family_arguments(entry.key.family);
        const halide_filter_metadata_t* metadata = entry.metadata();
        const std::string name = std::string(detail::family_name(entry.key.family)) + " " + entry.schedule + " " +
                                 detail::isa_name(entry.isa);
        ASSERT_EQ(metadata->num_arguments, static_cast<int>(expected.size())) << name;
        for (size_t i = 0; i < expected.size(); ++i) {
            const halide_filter_argument_t& argument = metadata->arguments[i];
            EXPECT_EQ(std::string(argument.name), expected[i]) << name << ", argument " << i;
            const bool last = i + 1 == expected.size();
            EXPECT_EQ(argument.kind == halide_argument_kind_output_buffer, last) << name << ", argument " << i;
        }
        families_seen.insert(detail::family_name(entry.key.family));
    }
    EXPECT_EQ(families_seen.size(), 11u);  // every family of HAQM_KERNEL_FAMILIES is compiled in
}

// The build reads schedules/schedule_table.h too (cmake/schedule_table.cmake): each family has
// exactly the schedules its rows name compiled in, and the traits the benches read are the rows'.
TEST(KernelRegistry, CompiledSchedulesAreTheScheduleTable) {
    std::set<std::string> families;
    for (const auto& entry : detail::kernel_table()) families.insert(detail::family_name(entry.key.family));
    for (const std::string& family : families) {
        std::set<std::string> from_table;
        for (const schedule_table::Row& row : schedule_table::kRows) {
            if (family == row.family) from_table.insert(row.name);
        }
        const auto compiled = schedules(family);
        EXPECT_EQ(std::set<std::string>(compiled.begin(), compiled.end()), from_table) << family;
        ASSERT_TRUE(schedule_table::find(family, default_schedule(family))) << family;
    }
    EXPECT_EQ(default_schedule("conv2d_q8"), "tiled_vec_par");
    EXPECT_EQ(serial_schedule("conv2d_q8", "tiled_vec_par"), "tiled_vec");
    EXPECT_EQ(serial_schedule("conv2d_q8", "tiled_vec_c16"), "tiled_vec_c16");
    const ScheduleTraits c16 = schedule_traits("conv2d_q8", "tiled_vec_c16");
    EXPECT_TRUE(c16.vectorized && !c16.parallel && !c16.slow);
    EXPECT_EQ(c16.tile_columns, 16);
    EXPECT_TRUE(schedule_traits("gemm_q8", "naive").slow);
    try {
        schedule_traits("gemm_q8", "tiled_vec_c16");
        ADD_FAILURE() << "gemm_q8 has no tiled_vec_c16";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("known: naive, interchange"), std::string::npos) << e.what();
    }
}

TEST(KernelRegistry, TypedKeysResolveInTheFallbackOrder) {
    const detail::KernelKey key{KernelFamily::gemm_q8, DType::uint8, DType::uint8, Requantization::float32};
    const auto& best = detail::find_kernel(key, {"tiled_vec", ""});
    EXPECT_TRUE(best.key == key);
    EXPECT_EQ(std::string(best.schedule), "tiled_vec");
    EXPECT_EQ(std::string(detail::isa_name(best.isa)), supported_isas().front());  // best first
    for (const auto& isa : supported_isas()) {
        EXPECT_EQ(std::string(detail::isa_name(detail::find_kernel(key, {"tiled_vec", isa}).isa)), isa);
    }
    const detail::KernelKey no_such{KernelFamily::lut_q8, DType::uint8, DType::int8};
    try {
        detail::find_kernel(no_such, {});
        ADD_FAILURE() << "found a kernel for a key nothing computes";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no lut_q8 uint8 -> int8 kernel"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace haqm
