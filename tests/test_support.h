// Shared helpers for the kernel tests: seeded random data and the kernel variants to sweep.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "haqm/kernels.h"

namespace haqm::testing {

// Sizes the issue names for every dimension: tiny, odd, around powers of two.
inline const std::vector<int64_t> kEdgeSizes = {1, 3, 17, 63, 65, 257};

// One fixed seed: every run draws the same cases, so a failure reproduces.
inline std::mt19937& rng() {
    static std::mt19937 engine(20261125);
    return engine;
}

template <class T>
std::vector<T> random_ints(size_t count, int32_t lo, int32_t hi) {
    std::uniform_int_distribution<int32_t> dist(lo, hi);
    std::vector<T> values(count);
    for (auto& v : values) {
        v = static_cast<T>(dist(rng()));
    }
    return values;
}

inline int32_t random_int(int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng());
}

inline float random_float(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(rng());
}

// Every compiled ISA this CPU supports, for parameterized tests.
inline std::vector<std::string> isas_to_test() {
    return haqm::supported_isas();
}

inline std::string param_name(const std::string& s) {
    std::string out;
    for (char c : s) {
        out += (isalnum(static_cast<unsigned char>(c)) ? c : '_');
    }
    return out;
}

// Runs `call` and expects haqm::Error whose message contains `fragment`.
template <class Call>
void expect_error(Call&& call, const std::string& fragment) {
    try {
        call();
        ADD_FAILURE() << "no error; expected one mentioning '" << fragment << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
            << "message '" << e.what() << "' does not mention '" << fragment << "'";
    }
}

}  // namespace haqm::testing
