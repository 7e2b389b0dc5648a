#include "peak.h"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#include <asm/hwcap.h>
#include <sys/auxv.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace haqm::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kSecondsPerRepetition = 0.2;
constexpr double kSmokeSecondsPerRepetition = 0.005;
constexpr int kRepetitions = 3;
// Loop iterations between two clock reads: well under a millisecond of work, so a repetition
// overshoots its 0.2 s by little, and far more than the cost of reading the clock.
constexpr int64_t kIterationsPerChunk = 1 << 14;

// Independent accumulators per loop. Each needs its previous value, so the loop is bound by
// instruction throughput only with at least latency x throughput chains in flight: vpdpbusd and
// vfmadd231ps take 4-5 cycles at up to 2 per cycle. The vectors and the few loop inputs still fit
// the 32 zmm (AVX2: 16 ymm) registers. Every loop over an accumulator array is fully unrolled
// (`#pragma GCC unroll` takes the counts as literals) so the array can live in registers.
//
// After each update an empty asm claims to change the accumulator. It emits nothing, but the
// compiler no longer knows the value, and without it GCC 12 -O3 was seen to (a) merge accumulators
// that start equal into a single dependency chain, and (b) with distinct starting values, copy
// every accumulator and spill some to the stack in each iteration. Either way the loop would
// time something other than the arithmetic.
// The loops start from these and end in the sinks: volatile, so the compiler can neither fold the
// arithmetic at compile time nor drop a loop whose result is unused.
volatile int32_t int_seed = 0x01020304;
volatile float float_seed = 1e-3f;
volatile int32_t int_sink;
volatile float float_sink;

// Sum of all lanes, through memory: the reductions of GCC 12's headers (_mm512_reduce_add_*)
// trip its own -Wuninitialized, and the cost is paid once per call, outside the timed loop.
template <class Lane, class Vector>
Lane sum_lanes(const Vector& vector) {
    Lane lanes[sizeof(Vector) / sizeof(Lane)];
    std::memcpy(lanes, &vector, sizeof(Vector));
    Lane total = 0;
    for (Lane lane : lanes) {
        total += lane;
    }
    return total;
}

#if defined(__x86_64__)
constexpr int kVnniAccumulators = 16;
constexpr int kAvx2Int8Accumulators = 8;  // its loop-carried add has latency 1: 8 is plenty
constexpr int kFmaAccumulators = 12;

// Operations per loop iteration: 64 u8 x s8 MACs per vpdpbusd zmm, 32 per vpmaddubsw ymm,
// 16 fp32 FMAs per zmm and 8 per ymm; 2 ops each.
constexpr double kVnniOpsPerIteration = kVnniAccumulators * 64 * 2.0;
constexpr double kAvx2Int8OpsPerIteration = kAvx2Int8Accumulators * 32 * 2.0;
constexpr double kAvx512FmaOpsPerIteration = kFmaAccumulators * 16 * 2.0;
constexpr double kAvx2FmaOpsPerIteration = kFmaAccumulators * 8 * 2.0;

__attribute__((target("avx512f,avx512vnni"))) int32_t vnni_loop(int64_t iterations) {
    const __m512i a = _mm512_set1_epi32(int_seed);
    const __m512i b = _mm512_set1_epi32(int_seed >> 1);
    __m512i acc[kVnniAccumulators];
#pragma GCC unroll 16
    for (int j = 0; j < kVnniAccumulators; ++j) {
        acc[j] = _mm512_set1_epi32(j);
    }
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int j = 0; j < kVnniAccumulators; ++j) {
            acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
            asm volatile("" : "+v"(acc[j]));
        }
    }
    __m512i sum = acc[0];
#pragma GCC unroll 16
    for (int j = 1; j < kVnniAccumulators; ++j) {
        sum = _mm512_add_epi32(sum, acc[j]);
    }
    return sum_lanes<int32_t>(sum);
}

__attribute__((target("avx2"))) int32_t avx2_int8_loop(int64_t iterations) {
    __m256i a = _mm256_set1_epi32(int_seed);
    const __m256i b = _mm256_set1_epi32(int_seed >> 1);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[kAvx2Int8Accumulators];
#pragma GCC unroll 8
    for (int j = 0; j < kAvx2Int8Accumulators; ++j) {
        acc[j] = _mm256_set1_epi32(j);
    }
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 8
        for (int j = 0; j < kAvx2Int8Accumulators; ++j) {
            // The products do not depend on the accumulator, so the compiler would compute them
            // once for the whole loop; the empty asm says `a` may have changed, which forces
            // each product to be recomputed without emitting an instruction.
            asm volatile("" : "+x"(a));
            const __m256i pairs = _mm256_maddubs_epi16(a, b);  // 32 u8 x s8 products, summed in pairs
            acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(pairs, ones));
            asm volatile("" : "+x"(acc[j]));
        }
    }
    __m256i sum = acc[0];
#pragma GCC unroll 8
    for (int j = 1; j < kAvx2Int8Accumulators; ++j) {
        sum = _mm256_add_epi32(sum, acc[j]);
    }
    return sum_lanes<int32_t>(sum);
}

// acc += x * y with small x, y: the sums grow slowly and never become denormal (denormal
// operands would run far slower than the FMA units can).
__attribute__((target("avx512f"))) float avx512_fma_loop(int64_t iterations) {
    const __m512 x = _mm512_set1_ps(float_seed);
    const __m512 y = _mm512_set1_ps(float_seed * 0.5f);
    __m512 acc[kFmaAccumulators];
#pragma GCC unroll 12
    for (int j = 0; j < kFmaAccumulators; ++j) {
        acc[j] = _mm512_set1_ps(static_cast<float>(j));
    }
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int j = 0; j < kFmaAccumulators; ++j) {
            acc[j] = _mm512_fmadd_ps(x, y, acc[j]);
            asm volatile("" : "+v"(acc[j]));
        }
    }
    __m512 sum = acc[0];
#pragma GCC unroll 12
    for (int j = 1; j < kFmaAccumulators; ++j) {
        sum = _mm512_add_ps(sum, acc[j]);
    }
    return sum_lanes<float>(sum);
}

__attribute__((target("avx2,fma"))) float avx2_fma_loop(int64_t iterations) {
    const __m256 x = _mm256_set1_ps(float_seed);
    const __m256 y = _mm256_set1_ps(float_seed * 0.5f);
    __m256 acc[kFmaAccumulators];
#pragma GCC unroll 12
    for (int j = 0; j < kFmaAccumulators; ++j) {
        acc[j] = _mm256_set1_ps(static_cast<float>(j));
    }
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int j = 0; j < kFmaAccumulators; ++j) {
            acc[j] = _mm256_fmadd_ps(x, y, acc[j]);
            asm volatile("" : "+x"(acc[j]));
        }
    }
    __m256 sum = acc[0];
#pragma GCC unroll 12
    for (int j = 1; j < kFmaAccumulators; ++j) {
        sum = _mm256_add_ps(sum, acc[j]);
    }
    return sum_lanes<float>(sum);
}

#elif defined(__ARM_NEON)
// ARM: 16 accumulators of 128 bits (of 32 registers on aarch64, 16 on armhf: 8 there).
#if defined(__aarch64__)
constexpr int kArmAccumulators = 16;
#else
constexpr int kArmAccumulators = 8;
#endif
// Per accumulator and iteration: sdot 16 s8 x s8 MACs; smlal / vmlal.s8 8 (16-bit sums, the
// multiply-accumulate of cores without a dot product); fmla / vmla.f32 4 fp32 FMAs. 2 ops each.
constexpr double kSdotOpsPerIteration = kArmAccumulators * 16 * 2.0;
constexpr double kMlalOpsPerIteration = kArmAccumulators * 8 * 2.0;
constexpr double kNeonFmaOpsPerIteration = kArmAccumulators * 4 * 2.0;

#if defined(__aarch64__)
__attribute__((target("arch=armv8.2-a+dotprod"))) int32_t sdot_loop(int64_t iterations) {
    const int8x16_t a = vreinterpretq_s8_s32(vdupq_n_s32(int_seed));
    const int8x16_t b = vreinterpretq_s8_s32(vdupq_n_s32(int_seed >> 1));
    int32x4_t acc[kArmAccumulators];
#pragma GCC unroll 16
    for (int j = 0; j < kArmAccumulators; ++j) {
        acc[j] = vdupq_n_s32(j);
    }
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int j = 0; j < kArmAccumulators; ++j) {
            acc[j] = vdotq_s32(acc[j], a, b);
            asm volatile("" : "+w"(acc[j]));
        }
    }
    int32x4_t sum = acc[0];
#pragma GCC unroll 16
    for (int j = 1; j < kArmAccumulators; ++j) {
        sum = vaddq_s32(sum, acc[j]);
    }
    return sum_lanes<int32_t>(sum);
}
#endif

int32_t mlal_loop(int64_t iterations) {
    const int8x8_t a = vreinterpret_s8_s32(vdup_n_s32(int_seed));
    const int8x8_t b = vreinterpret_s8_s32(vdup_n_s32(int_seed >> 1));
    int16x8_t acc[kArmAccumulators];
#pragma GCC unroll 16
    for (int j = 0; j < kArmAccumulators; ++j) {
        acc[j] = vdupq_n_s16(static_cast<int16_t>(j));
    }
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int j = 0; j < kArmAccumulators; ++j) {
            acc[j] = vmlal_s8(acc[j], a, b);
            asm volatile("" : "+w"(acc[j]));
        }
    }
    int16x8_t sum = acc[0];
#pragma GCC unroll 16
    for (int j = 1; j < kArmAccumulators; ++j) {
        sum = vaddq_s16(sum, acc[j]);
    }
    return sum_lanes<int16_t>(sum);
}

float neon_fma_loop(int64_t iterations) {
    const float32x4_t x = vdupq_n_f32(float_seed);
    const float32x4_t y = vdupq_n_f32(float_seed * 0.5f);
    float32x4_t acc[kArmAccumulators];
#pragma GCC unroll 16
    for (int j = 0; j < kArmAccumulators; ++j) {
        acc[j] = vdupq_n_f32(static_cast<float>(j));
    }
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int j = 0; j < kArmAccumulators; ++j) {
#if defined(__aarch64__)
            acc[j] = vfmaq_f32(acc[j], x, y);  // fmla
#else
            acc[j] = vmlaq_f32(acc[j], x, y);  // vmla.f32 (bench/CMakeLists.txt builds this with NEON)
#endif
            asm volatile("" : "+w"(acc[j]));
        }
    }
    float32x4_t sum = acc[0];
#pragma GCC unroll 16
    for (int j = 1; j < kArmAccumulators; ++j) {
        sum = vaddq_f32(sum, acc[j]);
    }
    return sum_lanes<float>(sum);
}
#endif

// One thread: runs `chunk` (kIterationsPerChunk loop iterations per call) for about
// kSecondsPerRepetition and returns operations per second.
template <class Chunk>
double time_one_thread(const Chunk& chunk, double ops_per_iteration) {
    int64_t iterations = 0;
    const auto start = Clock::now();
    std::chrono::duration<double> elapsed{};
    do {
        chunk();
        iterations += kIterationsPerChunk;
        elapsed = Clock::now() - start;
    } while (elapsed.count() < (smoke_run() ? kSmokeSecondsPerRepetition : kSecondsPerRepetition));
    return static_cast<double>(iterations) * ops_per_iteration / elapsed.count();
}

// All threads run the loop at once (they wait for each other before starting, so the timed
// spans overlap); the rates add up. Best of kRepetitions, in GOPS.
template <class Chunk>
double best_rate_gops(int threads, const Chunk& chunk, double ops_per_iteration) {
    double best = 0.0;
    for (int repetition = 0; repetition < kRepetitions; ++repetition) {
        std::vector<double> rates(threads);
        std::atomic<int> ready{0};
        auto run = [&](int index) {
            ready.fetch_add(1);
            while (ready.load() < threads) {
                std::this_thread::yield();
            }
            rates[index] = time_one_thread(chunk, ops_per_iteration);
        };
        std::vector<std::thread> helpers;
        for (int index = 1; index < threads; ++index) {
            helpers.emplace_back(run, index);
        }
        run(0);
        for (auto& helper : helpers) {
            helper.join();
        }
        double total = 0.0;
        for (double rate : rates) {
            total += rate;
        }
        best = std::max(best, total / 1e9);
    }
    return best;
}

void check_threads(int threads) {
    if (threads < 1) {
        throw std::invalid_argument("peak: threads must be >= 1, got " + std::to_string(threads));
    }
}

Peak cached(std::map<int, Peak>& cache, int threads, Peak (*measure)(int)) {
    static std::mutex mutex;
    const std::lock_guard<std::mutex> lock(mutex);
    auto found = cache.find(threads);
    if (found == cache.end()) {
        found = cache.emplace(threads, measure(threads)).first;
    }
    return found->second;
}

}  // namespace

bool smoke_run() {
    static const bool smoke = [] {
        const char* value = std::getenv("HAQM_BENCH_SMOKE");
        return value != nullptr && std::string(value) == "1";
    }();
    return smoke;
}

Peak measure_int8_peak_gops(int threads) {
    check_threads(threads);
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512vnni")) {
        const auto chunk = [] { int_sink = vnni_loop(kIterationsPerChunk); };
        return {best_rate_gops(threads, chunk, kVnniOpsPerIteration), "avx512_vnni vpdpbusd zmm"};
    }
    if (__builtin_cpu_supports("avx2")) {
        const auto chunk = [] { int_sink = avx2_int8_loop(kIterationsPerChunk); };
        return {best_rate_gops(threads, chunk, kAvx2Int8OpsPerIteration), "avx2 vpmaddubsw+vpmaddwd+vpaddd ymm"};
    }
    return {0.0, "not measured: the CPU has no AVX2"};
#elif defined(__ARM_NEON)
#if defined(__aarch64__)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) {
        const auto chunk = [] { int_sink = sdot_loop(kIterationsPerChunk); };
        return {best_rate_gops(threads, chunk, kSdotOpsPerIteration), "aarch64 sdot"};
    }
    const char* kind = "aarch64 smlal (no dot product)";
#else
    const char* kind = "armhf vmlal.s8";
#endif
    const auto chunk = [] { int_sink = mlal_loop(kIterationsPerChunk); };
    return {best_rate_gops(threads, chunk, kMlalOpsPerIteration), kind};
#else
    return {0.0, "not measured: no int8 loop for this CPU"};
#endif
}

Peak measure_fp32_peak_gflops(int threads) {
    check_threads(threads);
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        const auto chunk = [] { float_sink = avx512_fma_loop(kIterationsPerChunk); };
        return {best_rate_gops(threads, chunk, kAvx512FmaOpsPerIteration), "avx512f vfmadd231ps zmm"};
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        const auto chunk = [] { float_sink = avx2_fma_loop(kIterationsPerChunk); };
        return {best_rate_gops(threads, chunk, kAvx2FmaOpsPerIteration), "avx2 vfmadd231ps ymm"};
    }
    return {0.0, "not measured: the CPU has no AVX2+FMA"};
#elif defined(__ARM_NEON)
    const auto chunk = [] { float_sink = neon_fma_loop(kIterationsPerChunk); };
#if defined(__aarch64__)
    return {best_rate_gops(threads, chunk, kNeonFmaOpsPerIteration), "aarch64 fmla 4s"};
#else
    return {best_rate_gops(threads, chunk, kNeonFmaOpsPerIteration), "armhf vmla.f32 q"};
#endif
#else
    return {0.0, "not measured: no fp32 loop for this CPU"};
#endif
}

Peak cached_int8_peak_gops(int threads) {
    static std::map<int, Peak> cache;
    return cached(cache, threads, measure_int8_peak_gops);
}

Peak cached_fp32_peak_gflops(int threads) {
    static std::map<int, Peak> cache;
    return cached(cache, threads, measure_fp32_peak_gflops);
}

}  // namespace haqm::bench
