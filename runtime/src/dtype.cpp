#include "haqm/dtype.h"

#include <string>

#include "haqm/error.h"

namespace haqm {
namespace {

constexpr DTypeInfo kDTypes[] = {
#define HAQM_DTYPE_INFO(id, code, bits, is_signed, is_float, packed, onnx) {#id, code, bits, is_signed, is_float, packed, onnx},
    HAQM_DTYPES(HAQM_DTYPE_INFO)
#undef HAQM_DTYPE_INFO
};

}  // namespace

bool is_known_dtype(DType dtype) { return static_cast<uint8_t>(dtype) < kDTypeCount; }

const DTypeInfo& dtype_info(DType dtype) {
    if (!is_known_dtype(dtype)) throw Error("unknown dtype " + std::to_string(static_cast<int>(dtype)));
    return kDTypes[static_cast<uint8_t>(dtype)];
}

const char* dtype_name(DType dtype) { return is_known_dtype(dtype) ? dtype_info(dtype).name : "unknown"; }

size_t dtype_bytes(DType dtype) {
    const DTypeInfo& info = dtype_info(dtype);
    if (info.packed) throw Error(std::string("dtype ") + info.name + " has no whole-byte element size");
    return static_cast<size_t>(info.bits / 8);
}

uint64_t dtype_storage_bytes(DType dtype, const std::vector<int64_t>& shape) {
    const DTypeInfo& info = dtype_info(dtype);
    uint64_t rows = 1;
    for (size_t d = 0; d + 1 < shape.size(); ++d) rows *= static_cast<uint64_t>(shape[d]);
    const uint64_t row = shape.empty() ? 1 : static_cast<uint64_t>(shape.back());
    // Whole-byte types give rows * row * bits / 8 as well: the padding applies to packed rows only.
    return rows * ((row * static_cast<uint64_t>(info.bits) + 7) / 8);
}

bool is_quantized_dtype(DType dtype) {
    const DTypeInfo& info = dtype_info(dtype);
    return !info.is_float && info.bits <= 8;
}

DType packed_dtype(int bits, bool is_signed) {
    for (uint8_t i = 0; i < kDTypeCount; ++i) {
        const DTypeInfo& info = kDTypes[i];
        if (info.packed && info.bits == bits && info.is_signed == is_signed) return static_cast<DType>(i);
    }
    throw Error("no packed type of " + std::to_string(bits) + " bits (1..7)");
}

DType dtype_from_file_code(uint8_t code) {
    for (uint8_t i = 0; i < kDTypeCount; ++i) {
        if (kDTypes[i].file_code == code) return static_cast<DType>(i);
    }
    throw Error("unknown dtype code " + std::to_string(code));
}

}  // namespace haqm
