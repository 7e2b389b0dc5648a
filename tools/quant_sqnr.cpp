// Measures the SQNR of haqm's quantizers on seeded synthetic data and prints a markdown table
// (docs/quantization.md). Every uniform row calibrates with an observer over 10 batches, then
// quantizes the whole tensor with the resulting parameters; the non-uniform rows encode it as
// weights. Build and run: see docs/quantization.md.
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "haqm/nonuniform.h"
#include "haqm/observers.h"
#include "haqm/quant_params.h"

namespace {

using haqm::Granularity;

constexpr int64_t kChannels = 16;
constexpr int64_t kColumns = 6250;  // 16 * 6250 = 100000 values
constexpr int64_t kBatches = 10;    // observers see the columns in 10 slabs of 625
const std::vector<int64_t> kShape = {kChannels, kColumns};

using MakeObserver = std::function<std::unique_ptr<haqm::Observer>(const haqm::QuantScheme&)>;

// Seeded samples of shape kShape (row = channel): unit-variance samples times the channel's
// standard deviation, all 1 or 2^((c - 8) / 4), spread over 0.25 .. 3.4.
std::vector<float> make_dataset(bool laplacian, bool varied_channels, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::exponential_distribution<float> exponential(std::sqrt(2.0f));  // Laplace(b = 1/sqrt2): variance 1
    std::bernoulli_distribution coin(0.5);
    std::vector<float> data(kChannels * kColumns);
    for (int64_t c = 0; c < kChannels; ++c) {
        const float std_dev = varied_channels ? std::exp2((static_cast<float>(c) - 8.0f) / 4.0f) : 1.0f;
        for (int64_t j = 0; j < kColumns; ++j) {
            const float unit = laplacian ? (coin(rng) ? 1.0f : -1.0f) * exponential(rng) : normal(rng);
            data[c * kColumns + j] = std_dev * unit;
        }
    }
    return data;
}

// One table column: a dataset quantized per tensor or per channel (axis 0).
struct Column {
    const std::vector<float>* data;
    Granularity granularity;
    std::string title;
};

double uniform_sqnr(const Column& column, int bits, bool symmetric, const MakeObserver& make_observer) {
    haqm::QuantScheme scheme;
    scheme.bits = bits;
    scheme.is_signed = true;
    scheme.symmetric = symmetric;
    scheme.granularity = column.granularity;
    scheme.axis = 0;
    const std::unique_ptr<haqm::Observer> observer = make_observer(scheme);
    const int64_t slab = kColumns / kBatches;
    for (int64_t b = 0; b < kBatches; ++b) {
        std::vector<float> batch;
        for (int64_t c = 0; c < kChannels; ++c) {
            const auto row = column.data->begin() + c * kColumns + b * slab;
            batch.insert(batch.end(), row, row + slab);
        }
        observer->observe(batch, {kChannels, slab});
    }
    const haqm::QuantParams params = observer->params();
    const std::vector<float>& x = *column.data;
    return haqm::sqnr_db(x, haqm::dequantize_tensor(haqm::quantize_tensor(x, kShape, params), kShape, params));
}

haqm::ScaleSharing sharing_of(const Column& column) {
    haqm::ScaleSharing sharing;
    sharing.granularity = column.granularity;
    sharing.axis = 0;
    return sharing;
}

void print_row(const std::string& name, const std::vector<Column>& columns,
               const std::function<double(const Column&)>& sqnr) {
    std::printf("| %s |", name.c_str());
    for (const Column& column : columns) {
        std::printf(" %.2f |", sqnr(column));
    }
    std::printf("\n");
    std::fflush(stdout);
}

}  // namespace

int main() {
    const std::vector<float> gauss = make_dataset(false, false, 1);
    const std::vector<float> laplace = make_dataset(true, false, 2);
    const std::vector<float> gauss16 = make_dataset(false, true, 3);
    const std::vector<float> laplace16 = make_dataset(true, true, 4);
    const std::vector<Column> columns = {
        {&gauss, Granularity::per_tensor, "Gaussian"},
        {&laplace, Granularity::per_tensor, "Laplacian"},
        {&gauss16, Granularity::per_tensor, "Gauss 16 ch, per tensor"},
        {&gauss16, Granularity::per_channel, "Gauss 16 ch, per channel"},
        {&laplace16, Granularity::per_tensor, "Laplace 16 ch, per tensor"},
        {&laplace16, Granularity::per_channel, "Laplace 16 ch, per channel"},
    };

    const std::vector<std::pair<std::string, MakeObserver>> observers = {
        {"minmax", [](const haqm::QuantScheme& s) { return std::make_unique<haqm::MinMaxObserver>(s); }},
        {"moving avg 0.01",
         [](const haqm::QuantScheme& s) { return std::make_unique<haqm::MovingAverageMinMaxObserver>(s, 0.01); }},
        {"percentile 99.99",
         [](const haqm::QuantScheme& s) { return std::make_unique<haqm::PercentileObserver>(s, 99.99); }},
        {"mse", [](const haqm::QuantScheme& s) { return std::make_unique<haqm::MseObserver>(s); }},
        {"kl", [](const haqm::QuantScheme& s) { return std::make_unique<haqm::KlObserver>(s); }},
    };

    std::printf("| SQNR (dB) |");
    for (const Column& column : columns) {
        std::printf(" %s |", column.title.c_str());
    }
    std::printf("\n|---|");
    for (size_t i = 0; i < columns.size(); ++i) {
        std::printf("---:|");
    }
    std::printf("\n");

    for (int bits : {8, 4, 2}) {
        for (bool symmetric : {true, false}) {
            for (const auto& [observer_name, make_observer] : observers) {
                const std::string name = std::to_string(bits) + "-bit " + (symmetric ? "sym" : "asym") + ", " +
                                         observer_name;
                const MakeObserver& make = make_observer;  // C++17 lambdas cannot capture structured bindings
                print_row(name, columns, [&](const Column& column) {
                    return uniform_sqnr(column, bits, symmetric, make);
                });
            }
        }
    }

    using RoundTrip = std::function<std::vector<float>(const std::vector<float>&, const haqm::ScaleSharing&)>;
    const auto nonuniform_row = [&columns](const std::string& name, const RoundTrip& round_trip) {
        print_row(name, columns, [&round_trip](const Column& column) {
            return haqm::sqnr_db(*column.data, round_trip(*column.data, sharing_of(column)));
        });
    };
    nonuniform_row("power of two, 4-bit", [](const std::vector<float>& x, const haqm::ScaleSharing& sharing) {
        const haqm::LogQuantizer quantizer = haqm::power_of_two_quantizer(4, sharing);
        return quantizer.decode(quantizer.encode(x, kShape));
    });
    nonuniform_row("log base sqrt2, 4-bit", [](const std::vector<float>& x, const haqm::ScaleSharing& sharing) {
        const haqm::LogQuantizer quantizer(4, std::sqrt(2.0), sharing);
        return quantizer.decode(quantizer.encode(x, kShape));
    });
    nonuniform_row("binary", [](const std::vector<float>& x, const haqm::ScaleSharing& sharing) {
        return haqm::decode(haqm::BinaryQuantizer(sharing).encode(x, kShape));
    });
    nonuniform_row("ternary, one scale", [](const std::vector<float>& x, const haqm::ScaleSharing& sharing) {
        return haqm::decode(haqm::TernaryQuantizer(false, sharing).encode(x, kShape));
    });
    nonuniform_row("ternary, two scales", [](const std::vector<float>& x, const haqm::ScaleSharing& sharing) {
        return haqm::decode(haqm::TernaryQuantizer(true, sharing).encode(x, kShape));
    });
    return 0;
}
