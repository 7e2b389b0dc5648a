// Every named schedule of every kernel family, written once. Read by
//  - CMake: cmake/schedule_table.cmake parses the HAQM_SCHEDULE rows below (one per line, keep that
//    form) into the lists generators/kernel_list.cmake builds kernels for;
//  - the schedule code (schedules/*.cpp): a name's row says how to tile it, unknown names get the
//    family's list;
//  - the runtime (haqm::schedule_traits, default_schedule) and through it the benches (which rows
//    are slow, threaded, worth a float-requantization row).
// No Halide here: the runtime includes this file too.
#pragma once
#include <stdexcept>
#include <string>

namespace haqm::schedule_table {

enum Trait : unsigned {
    kVectorized = 1u << 0,     // vector loops (register tiles for the products)
    kParallel = 1u << 1,       // its outer loop runs on the thread pool
    kAutoscheduled = 1u << 2,  // Mullapudi2016 schedules it, not schedules/*.cpp
    kDefault = 1u << 3,        // the family's default when nobody chose one
    kSlow = 1u << 4,           // a few GOPS at most: benches run it on small shapes only
    kNoVnni = 1u << 5,         // not built for avx512_vnni (see generators/kernel_list.cmake)
    kAssembly = 1u << 6,       // its assembly is kept: tests read it for the dot-product instructions
    kRegisterTiles = 1u << 7,  // register-tiled products: a user's tile parameters (HAQM_GEMM_PARAMS,
                               // HAQM_CONV_PARAMS; schedules/register_tiles.cpp) shape it
};

// Columns: family, name, register tile columns (0: the target's default), traits. A parallel
// schedule named <name>_par runs the loops of <name> with its outer loop threaded (the runtime
// falls back to <name> for small nodes, haqm::serial_schedule).
// Depthwise, pooling, add, mul and table lookup have no dot products: the best instruction set without
// VNNI serves them (kNoVnni on every row).
#define HAQM_SCHEDULE_TABLE(HAQM_SCHEDULE)                                                                   \
    HAQM_SCHEDULE(gemm_q8, naive, 0, kSlow | kNoVnni)                                                \
    HAQM_SCHEDULE(gemm_q8, interchange, 0, kSlow | kNoVnni)                                          \
    HAQM_SCHEDULE(gemm_q8, tiled, 0, kSlow | kNoVnni | kRegisterTiles)                               \
    HAQM_SCHEDULE(gemm_q8, tiled_vec, 0, kVectorized | kAssembly | kRegisterTiles)                   \
    HAQM_SCHEDULE(gemm_q8, tiled_vec_par, 0, kVectorized | kParallel | kDefault | kRegisterTiles)    \
    HAQM_SCHEDULE(gemm_q8, auto, 0, kAutoscheduled | kParallel | kNoVnni)                            \
    HAQM_SCHEDULE(conv2d_q8, naive, 0, kSlow | kNoVnni)                                              \
    HAQM_SCHEDULE(conv2d_q8, output_stationary, 0, kSlow)                                            \
    HAQM_SCHEDULE(conv2d_q8, weight_stationary, 0, kSlow)                                            \
    HAQM_SCHEDULE(conv2d_q8, tiled, 0, kSlow | kNoVnni | kRegisterTiles)                             \
    HAQM_SCHEDULE(conv2d_q8, tiled_vec, 0, kVectorized | kAssembly | kRegisterTiles)                 \
    HAQM_SCHEDULE(conv2d_q8, tiled_vec_c16, 16, kVectorized | kRegisterTiles)                        \
    HAQM_SCHEDULE(conv2d_q8, tiled_vec_c32, 32, kVectorized | kRegisterTiles)                        \
    HAQM_SCHEDULE(conv2d_q8, tiled_vec_par, 0, kVectorized | kParallel | kDefault | kRegisterTiles)  \
    HAQM_SCHEDULE(conv2d_q8, auto, 0, kAutoscheduled | kParallel | kSlow | kNoVnni)                  \
    HAQM_SCHEDULE(depthwise_conv2d_q8, naive, 0, kSlow | kNoVnni)                                    \
    HAQM_SCHEDULE(depthwise_conv2d_q8, tiled_vec, 0, kVectorized | kNoVnni)                          \
    HAQM_SCHEDULE(depthwise_conv2d_q8, tiled_vec_par, 0, kVectorized | kParallel | kDefault | kNoVnni) \
    HAQM_SCHEDULE(pool_q8, naive, 0, kSlow | kNoVnni)                                                \
    HAQM_SCHEDULE(pool_q8, tiled_vec, 0, kVectorized | kNoVnni)                                      \
    HAQM_SCHEDULE(pool_q8, tiled_vec_par, 0, kVectorized | kParallel | kDefault | kNoVnni)           \
    HAQM_SCHEDULE(add_q8, naive, 0, kSlow | kNoVnni)                                                 \
    HAQM_SCHEDULE(add_q8, default, 0, kVectorized | kDefault | kNoVnni)                              \
    HAQM_SCHEDULE(lut_q8, naive, 0, kSlow | kNoVnni)                                                 \
    HAQM_SCHEDULE(lut_q8, default, 0, kVectorized | kDefault | kNoVnni)                              \
    HAQM_SCHEDULE(mul_q8, naive, 0, kSlow | kNoVnni)                                                 \
    HAQM_SCHEDULE(mul_q8, default, 0, kVectorized | kDefault | kNoVnni)                              \
    HAQM_SCHEDULE(quantize, default, 0, kVectorized | kDefault)                                      \
    HAQM_SCHEDULE(dequantize, default, 0, kVectorized | kDefault)                                    \
    HAQM_SCHEDULE(requantize, default, 0, kVectorized | kDefault)                                    \
    HAQM_SCHEDULE(im2col_q8, default, 0, kVectorized | kDefault)

struct Row {
    const char* family;
    const char* name;
    int tile_columns;
    unsigned traits;
    bool has(Trait t) const { return (traits & t) != 0; }
};

inline constexpr Row kRows[] = {
#define HAQM_SCHEDULE_ROW(family, name, columns, traits) {#family, #name, columns, traits},
    HAQM_SCHEDULE_TABLE(HAQM_SCHEDULE_ROW)
#undef HAQM_SCHEDULE_ROW
};

// The row, or nullptr when the family has no schedule of that name.
inline const Row* find(const std::string& family, const std::string& name) {
    for (const Row& row : kRows) {
        if (family == row.family && name == row.name) return &row;
    }
    return nullptr;
}

// "naive, tiled, ..." for messages.
inline std::string names_of(const std::string& family) {
    std::string list;
    for (const Row& row : kRows) {
        if (family == row.family) list += (list.empty() ? "" : ", ") + std::string(row.name);
    }
    return list;
}

// The row; an unknown name throws std::invalid_argument naming the family's schedules.
inline const Row& require(const std::string& family, const std::string& name) {
    if (const Row* row = find(family, name)) return *row;
    throw std::invalid_argument(family + ": unknown schedule '" + name + "' (known: " + names_of(family) + ")");
}

// The family's default schedule's name; empty for a family not in the table.
inline std::string default_name(const std::string& family) {
    for (const Row& row : kRows) {
        if (family == row.family && row.has(kDefault)) return row.name;
    }
    return "";
}

}  // namespace haqm::schedule_table
