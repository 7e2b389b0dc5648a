// How each ISA named in cmake/targets.cmake is detected on the running CPU. The requirements
// follow the Halide target features each ISA is compiled with.
#include "kernel_registry.h"

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace haqm::detail {

bool cpu_supports(Isa isa) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    const bool avx512_skylake = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                                __builtin_cpu_supports("avx512vl");
    if (isa == Isa::avx512_vnni) {
        // Halide's avx512_sapphirerapids: cannonlake (ifma, vbmi) + vnni + bf16.
        return avx512_skylake && __builtin_cpu_supports("avx512ifma") && __builtin_cpu_supports("avx512vbmi") &&
               __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bf16");
    }
    if (isa == Isa::avx512) {
        return avx512_skylake;
    }
    if (isa == Isa::avx2) {
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return isa == Isa::sse41 && __builtin_cpu_supports("sse4.1");
#elif defined(__aarch64__)
    if (isa == Isa::dotprod) {
        return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
    }
    return isa == Isa::neon;
#else
    return isa == Isa::neon;  // armhf builds target cores with NEON (Halide arm-32-linux)
#endif
}

}  // namespace haqm::detail
