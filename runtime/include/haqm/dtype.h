// Element types: the one table of every type a tensor may hold, and every predicate on them.
//
// Packed sub-byte types (1..7 bits, signed or unsigned) store the last dimension packed
// least-significant bits first, each row (the elements of one last-dimension run) starting on a
// byte boundary, so a row of C values takes ceil(C * bits / 8) bytes and pixels stay addressable
// (docs/model-format.md "Packed types"). Signed values are two's complement in `bits` bits.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace haqm {

// X(identifier, file code, bits, is_signed, is_float, packed, ONNX TensorProto type or 0).
// The file code is the byte the .haqm format stores: fixed forever, never reused.
#define HAQM_DTYPES(X)                                 \
    X(float32, 0, 32, true, true, false, 1)            \
    X(int32, 1, 32, true, false, false, 6)             \
    X(int8, 2, 8, true, false, false, 3)               \
    X(uint8, 3, 8, false, false, false, 2)             \
    X(int4_packed, 4, 4, true, false, true, 0)         \
    X(uint4_packed, 5, 4, false, false, true, 0)       \
    X(int1_packed, 6, 1, true, false, true, 0)         \
    X(uint1_packed, 7, 1, false, false, true, 0)       \
    X(int2_packed, 8, 2, true, false, true, 0)         \
    X(uint2_packed, 9, 2, false, false, true, 0)       \
    X(int3_packed, 10, 3, true, false, true, 0)        \
    X(uint3_packed, 11, 3, false, false, true, 0)      \
    X(int5_packed, 12, 5, true, false, true, 0)        \
    X(uint5_packed, 13, 5, false, false, true, 0)      \
    X(int6_packed, 14, 6, true, false, true, 0)        \
    X(uint6_packed, 15, 6, false, false, true, 0)      \
    X(int7_packed, 16, 7, true, false, true, 0)        \
    X(uint7_packed, 17, 7, false, false, true, 0)

enum class DType : uint8_t {
#define HAQM_DTYPE_ENUM(id, code, bits, is_signed, is_float, packed, onnx) id,
    HAQM_DTYPES(HAQM_DTYPE_ENUM)
#undef HAQM_DTYPE_ENUM
};
#define HAQM_DTYPE_COUNT(id, code, bits, is_signed, is_float, packed, onnx) +1
inline constexpr uint8_t kDTypeCount = 0 HAQM_DTYPES(HAQM_DTYPE_COUNT);
#undef HAQM_DTYPE_COUNT

struct DTypeInfo {
    const char* name;
    uint8_t file_code;
    int bits;
    bool is_signed;
    bool is_float;
    bool packed;  // sub-byte values packed along the last dimension
    int onnx_type;  // onnx::TensorProto::DataType, 0 when ONNX has none
};

// Throws haqm::Error for a value outside the table.
const DTypeInfo& dtype_info(DType dtype);
const char* dtype_name(DType dtype);
bool is_known_dtype(DType dtype);
// Bytes per element; throws for packed types, whose size depends on the shape.
size_t dtype_bytes(DType dtype);
// Bytes of a dense tensor of `shape` (packed types: rows padded to whole bytes), in 64-bit
// arithmetic so that a loader can compare it with what 32-bit size_t holds. Dimensions >= 0.
uint64_t dtype_storage_bytes(DType dtype, const std::vector<int64_t>& shape);
// Integer types with quantization parameters: int8, uint8 and the packed types.
bool is_quantized_dtype(DType dtype);
inline bool is_8bit(DType dtype) { return dtype == DType::int8 || dtype == DType::uint8; }
// The packed type of `bits` (1..7) and signedness; throws for other widths.
DType packed_dtype(int bits, bool is_signed);
// The type the file code stands for; throws for an unknown code.
DType dtype_from_file_code(uint8_t code);

// The DType of a C++ element type (float, int32_t, int8_t, uint8_t).
template <class T>
constexpr DType dtype_of() {
    if constexpr (std::is_same_v<T, float>) {
        return DType::float32;
    } else if constexpr (std::is_same_v<T, int32_t>) {
        return DType::int32;
    } else if constexpr (std::is_same_v<T, int8_t>) {
        return DType::int8;
    } else {
        static_assert(std::is_same_v<T, uint8_t>, "no DType for this element type");
        return DType::uint8;
    }
}

}  // namespace haqm
