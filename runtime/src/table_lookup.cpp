#include "table_lookup.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAQM_TABLE_VBMI 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace haqm::detail {
namespace {

void lookup_scalar(const uint8_t* table, const uint8_t* in, uint8_t* out, int64_t n, uint8_t flip) {
    for (int64_t i = 0; i < n; ++i) out[i] = table[in[i] ^ flip];
}

#ifdef HAQM_TABLE_VBMI
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) __m512i lookup64(const __m512i t[4], __m512i index) {
    // vpermi2b: index bits 0-5 pick the byte, bit 6 the first or second table of the pair.
    const __m512i low = _mm512_permutex2var_epi8(t[0], index, t[1]);
    const __m512i high = _mm512_permutex2var_epi8(t[2], index, t[3]);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), low, high);  // bit 7: the upper half
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void lookup_vbmi(const uint8_t* table, const uint8_t* in,
                                                                         uint8_t* out, int64_t n, uint8_t flip) {
    const __m512i t[4] = {_mm512_loadu_si512(table), _mm512_loadu_si512(table + 64), _mm512_loadu_si512(table + 128),
                          _mm512_loadu_si512(table + 192)};
    const __m512i f = _mm512_set1_epi8(static_cast<char>(flip));
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i index = _mm512_xor_si512(_mm512_loadu_si512(in + i), f);
        _mm512_storeu_si512(out + i, lookup64(t, index));
    }
    if (i < n) {  // the tail under a mask: nothing read or written past n
        const __mmask64 mask = (uint64_t(1) << (n - i)) - 1;
        const __m512i index = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, in + i), f);
        _mm512_mask_storeu_epi8(out + i, mask, lookup64(t, index));
    }
}

bool has_vbmi() {
    static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                  __builtin_cpu_supports("avx512vbmi");
    return supported;
}
#endif

#if defined(__aarch64__)
void lookup_neon(const uint8_t* table, const uint8_t* in, uint8_t* out, int64_t n, uint8_t flip) {
    const uint8x16x4_t q0 = vld1q_u8_x4(table), q1 = vld1q_u8_x4(table + 64), q2 = vld1q_u8_x4(table + 128),
                       q3 = vld1q_u8_x4(table + 192);
    const uint8x16_t f = vdupq_n_u8(flip), quarter = vdupq_n_u8(64);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        // tbl gives 0 for an index past its 64 bytes: each quarter answers only its own indices.
        const uint8x16_t i0 = veorq_u8(vld1q_u8(in + i), f);
        const uint8x16_t i1 = vsubq_u8(i0, quarter), i2 = vsubq_u8(i1, quarter), i3 = vsubq_u8(i2, quarter);
        uint8x16_t r = vqtbl4q_u8(q0, i0);
        r = vorrq_u8(r, vqtbl4q_u8(q1, i1));
        r = vorrq_u8(r, vqtbl4q_u8(q2, i2));
        r = vorrq_u8(r, vqtbl4q_u8(q3, i3));
        vst1q_u8(out + i, r);
    }
    lookup_scalar(table, in + i, out + i, n - i, flip);
}
#endif

}  // namespace

void lookup_bytes(const uint8_t* table, const uint8_t* in, uint8_t* out, int64_t n, bool signed_values) {
    const uint8_t flip = signed_values ? 0x80 : 0x00;
#ifdef HAQM_TABLE_VBMI
    if (has_vbmi()) return lookup_vbmi(table, in, out, n, flip);
#endif
#if defined(__aarch64__)
    return lookup_neon(table, in, out, n, flip);
#else
    lookup_scalar(table, in, out, n, flip);
#endif
}

}  // namespace haqm::detail
