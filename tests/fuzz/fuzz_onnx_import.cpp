// libFuzzer target for the ONNX importer: every input must import or throw haqm::Error. Any other
// exception (from protobuf, the ONNX checker or the standard library), crash or sanitizer report
// is a bug. A graph that imports must also pass validate() and survive a .haqm round trip.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "haqm/model_format.h"
#include "haqm/onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    haqm::Graph graph;
    try {
        graph = haqm::import_onnx_bytes(data, size);
    } catch (const haqm::Error&) {
        return 0;
    }
    // Outside the try: the importer promises a valid graph, so an Error from here on is a bug.
    haqm::validate(graph);
    const std::vector<uint8_t> bytes = haqm::serialize_model(graph);
    haqm::load_model_bytes(bytes.data(), bytes.size());
    return 0;
}
