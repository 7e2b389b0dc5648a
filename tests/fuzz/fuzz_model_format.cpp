// libFuzzer target for the .haqm loader. Every input must load or throw haqm::Error: any other
// exception, crash, sanitizer report or broken round trip is a bug.
//
// Most mutated files fail the CRC-32 at once, so each input is loaded twice: as given (the header
// and checksum checks), and "resealed" with its file size and checksum made to match, which lets
// mutations reach the section, record and constant checks and validate().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "haqm/model_format.h"
#include "model_file_edit.h"

namespace {

// A loaded graph is valid, so it must serialize, and its bytes must load back to the same bytes.
void check_round_trip(const haqm::Graph& graph) {
    const std::vector<uint8_t> bytes = haqm::serialize_model(graph);
    const haqm::Graph again = haqm::load_model_bytes(bytes.data(), bytes.size());
    if (haqm::serialize_model(again) != bytes) std::abort();
}

void load(const uint8_t* data, size_t size) {
    haqm::Graph graph;
    try {
        graph = haqm::load_model_bytes(data, size);
    } catch (const haqm::Error&) {
        return;
    }
    check_round_trip(graph);  // outside the try: an Error here is a bug too
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    load(data, size);
    std::vector<uint8_t> resealed(data, data + size);
    haqm::model_file::reseal(resealed);
    load(resealed.data(), resealed.size());
    return 0;
}
