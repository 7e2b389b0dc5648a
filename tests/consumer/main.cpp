// Links the installed static library and runs a quantize and a small int8 GEMM through it.
#include <cstdio>
#include <vector>

#include "haqm/kernels.h"

int main() {
    try {
        // 0.5 / 0.25 = 2 and -1.0 / 0.25 = -4, plus zero point 3.
        const std::vector<float> x = {0.5f, -1.0f};
        std::vector<int8_t> q(2);
        haqm::quantize(haqm::Span<const float>(x), {2}, {{0.25f}, {3}, 0, 8}, haqm::Span<int8_t>(q));
        if (q[0] != 5 || q[1] != -1) {
            std::fprintf(stderr, "quantize gave %d %d, expected 5 -1\n", q[0], q[1]);
            return 1;
        }
        // [1 2; 3 4] x [1 0; 0 1] with no zero points is the identity product.
        const std::vector<uint8_t> a = {1, 2, 3, 4};
        const haqm::PackedWeights b(std::vector<int8_t>{1, 0, 0, 1}, 2, 2);
        std::vector<int32_t> out(4);
        haqm::gemm_q8(haqm::Span<const uint8_t>(a), 2, b, {}, haqm::Span<int32_t>(out));
        for (int i = 0; i < 4; ++i) {
            if (out[i] != a[i]) {
                std::fprintf(stderr, "gemm element %d is %d, expected %d\n", i, out[i], a[i]);
                return 1;
            }
        }
        std::printf("haqm consumer: ok on %s\n", haqm::supported_isas().front().c_str());
        return 0;
    } catch (const haqm::Error& e) {
        std::fprintf(stderr, "haqm error: %s\n", e.what());
        return 1;
    }
}
