// load_graph() lives apart from the other shared helpers so that code which never loads a model
// (and its tests) does not link the ONNX importer.
#include <algorithm>
#include <cctype>

#include "cli_common.h"
#include "haqm/model_format.h"
#include "haqm/onnx_import.h"

namespace haqm::cli {

static bool ends_with(const std::string& text, const std::string& suffix) {
    if (text.size() < suffix.size()) return false;
    // Case-insensitive: "MODEL.ONNX" is an ONNX file too (`suffix` is lower case).
    return std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(), [](char wanted, char actual) {
        return wanted == std::tolower(static_cast<unsigned char>(actual));
    });
}

Graph load_graph(const std::string& path) {
    check_readable_file(path, "model");
    const bool is_onnx = ends_with(path, ".onnx");
    try {
        return is_onnx ? import_onnx(path) : load_model(path);
    } catch (const std::bad_alloc&) {
        throw Error("cannot load model '" + path + "': out of memory");
    } catch (const std::exception& e) {
        std::string message = e.what();
        // The loaders usually name the file already; say which file otherwise.
        if (message.find(path) != std::string::npos) throw Error(message);
        throw Error(std::string(is_onnx ? "cannot import ONNX model '" : "cannot load model '") + path + "': " +
                    message);
    }
}

}  // namespace haqm::cli
