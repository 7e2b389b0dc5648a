// 8-bit table lookups, out[i] = table[in[i] - type minimum], in plain C++ (the table activations
// and the activation tables fused into products use it).
//
// Why not a Halide kernel: Halide 14 lowers a table read to one extract and one insert per vector
// lane. In a product's epilogue that made conv + table slower than conv and a separate lut_q8
// (docs/performance.md, "Runtime ops, second part"); here, with AVX-512 VBMI, 64 values take three
// instructions (two vpermi2b over the table's four 64-byte quarters, a blend on the index's top
// bit), and with NEON on aarch64 16 values take four tbl lookups over the quarters. Other CPUs run
// a scalar loop. Every path reads the same table entry, so the results are the same bytes.
#pragma once
#include <cstdint>

namespace haqm::detail {

// `table`: 256 entries; `signed_values`: the bytes are int8 values (index = byte ^ 0x80), else
// uint8. `in` and `out` may be the same array.
void lookup_bytes(const uint8_t* table, const uint8_t* in, uint8_t* out, int64_t n, bool signed_values);

}  // namespace haqm::detail
