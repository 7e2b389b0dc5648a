// The .haqm model file (docs/model-format.md): versioned, checksummed, little-endian, with every
// constant 64-byte aligned so a mapped file is used in place. The loader never trusts the file:
// every count, size, offset, id and enum is checked, and a bad file throws haqm::Error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "haqm/graph.h"

namespace haqm {

inline constexpr uint32_t kModelFormatVersion = 1;

std::vector<uint8_t> serialize_model(const Graph& graph);
// Writes to a temporary file next to `path` and renames it: a failed save leaves nothing partial.
void save_model(const Graph& graph, const std::string& path);

// Maps the file; constants point into the mapping (kept alive by the graph's constants).
Graph load_model(const std::string& path);
// Parses bytes held by the caller; constants are copied.
Graph load_model_bytes(const uint8_t* data, size_t size);

}  // namespace haqm
