// Activation operands of the 8-bit dot-product instructions. x86 VNNI (vpdpbusd) multiplies
// u8 x s8 and Arm sdot s8 x s8, so activations of the other signedness are re-encoded: flipping
// the top bit moves a value by exactly 128, and the zero point moves with it, so (a - za), the
// only thing the math uses, is unchanged.
#pragma once
#include "Halide.h"

namespace haqm {

struct DotOperand {
    Halide::Expr value;       // the activation in `type`
    Halide::Expr zero_point;  // its zero point in the same encoding
    Halide::Type type;
};

inline DotOperand encode_for_dot_product(const Halide::Target& target, const Halide::Expr& value,
                                         const Halide::Expr& zero_point) {
    const bool want_unsigned = target.arch == Halide::Target::X86;
    const Halide::Type type = want_unsigned ? Halide::UInt(8) : Halide::Int(8);
    if (want_unsigned == value.type().is_uint()) {
        return {value, zero_point, type};
    }
    Halide::Expr flipped = Halide::cast(type, Halide::cast<uint8_t>(value) ^ Halide::cast<uint8_t>(0x80));
    return {flipped, zero_point + (want_unsigned ? 128 : -128), type};
}

}  // namespace haqm
