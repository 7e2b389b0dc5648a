#include "image_input.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>

#include "cli_common.h"

namespace haqm::cli {

namespace {

std::vector<uint8_t> read_file(const std::string& path) {
    check_readable_file(path, "image");
    std::ifstream in(path, std::ios::binary);
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) throw Error("cannot read image '" + path + "'");
    if (size > kMaxImageFileBytes) {
        throw Error("image '" + path + "' is " + std::to_string(size) + " bytes, more than the " +
                    std::to_string(kMaxImageFileBytes) + " haqm reads");
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(bytes.data()), size);
    if (!in) throw Error("cannot read image '" + path + "'");
    return bytes;
}

// stb_image decodes a binary PGM/PPM whose pixel data is cut short without complaint (the missing
// pixels are left undefined), so the header's size is checked against the file here.
void check_binary_pnm_complete(const std::vector<uint8_t>& bytes, const std::string& path) {
    if (bytes.size() < 2 || bytes[0] != 'P' || (bytes[1] != '5' && bytes[1] != '6')) return;
    size_t at = 2;
    int64_t fields[3] = {0, 0, 0};  // width, height, maximum value
    for (int64_t& field : fields) {
        while (at < bytes.size() && (std::isspace(bytes[at]) || bytes[at] == '#')) {
            if (bytes[at] == '#') {
                while (at < bytes.size() && bytes[at] != '\n') ++at;
            } else {
                ++at;
            }
        }
        if (at >= bytes.size() || !std::isdigit(bytes[at])) return;  // malformed: stb reports it
        while (at < bytes.size() && std::isdigit(bytes[at]) && field < (int64_t(1) << 31)) {
            field = field * 10 + (bytes[at++] - '0');
        }
    }
    ++at;  // the single whitespace byte before the pixels
    if (fields[0] > (1 << 24) || fields[1] > (1 << 24)) return;  // stb refuses these sizes itself
    const int64_t channels = bytes[1] == '5' ? 1 : 3;
    const int64_t sample_bytes = fields[2] > 255 ? 2 : 1;
    const int64_t needed = fields[0] * fields[1] * channels * sample_bytes;
    const int64_t present = static_cast<int64_t>(bytes.size()) - static_cast<int64_t>(std::min(at, bytes.size()));
    if (present < needed) {
        throw Error("image '" + path + "' is truncated: its header declares " + std::to_string(fields[0]) + "x" +
                    std::to_string(fields[1]) + " pixels (" + std::to_string(needed) + " bytes), the file holds " +
                    std::to_string(present));
    }
}

}  // namespace

Image load_image(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file(path);
    if (bytes.size() > size_t(std::numeric_limits<int>::max())) throw Error("image '" + path + "' is too large");
    const int size = static_cast<int>(bytes.size());
    int width = 0, height = 0, channels = 0;
    // Refuse huge pictures before decoding them: a model input is small, and a forged header must
    // not make us allocate gigabytes.
    if (stbi_info_from_memory(bytes.data(), size, &width, &height, &channels) &&
        int64_t(width) * height > kMaxImagePixels) {
        throw Error("image '" + path + "' is " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels, more than the " + std::to_string(kMaxImagePixels) + " haqm reads");
    }
    check_binary_pnm_complete(bytes, path);
    std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
        stbi_load_from_memory(bytes.data(), size, &width, &height, &channels, 0), stbi_image_free);
    if (!decoded) {
        const char* reason = stbi_failure_reason();
        throw Error("cannot decode image '" + path + "': " + (reason ? reason : "unknown reason") +
                    " (PNG, JPEG, PGM/PPM, BMP, TGA and GIF are read)");
    }
    Image image;
    image.width = width;
    image.height = height;
    image.channels = channels;
    image.pixels.assign(decoded.get(), decoded.get() + size_t(width) * size_t(height) * size_t(channels));
    return image;
}

ImageGeometry image_geometry(const Shape& shape) {
    auto fail = [&](const std::string& why) {
        return Error("the model input " + shape_text(shape) + " is not an image input: " + why);
    };
    if (shape.empty() || shape[0] != 1) throw fail("expected a batch of 1 ([1, H, W, C])");
    for (int64_t dim : shape) {
        if (dim <= 0) throw fail("its dimensions must be positive");
    }
    if (shape.size() == 4) return {shape[1], shape[2], shape[3]};
    if (shape.size() == 3) return {shape[1], shape[2], 1};
    if (shape.size() == 2) {
        const auto side = static_cast<int64_t>(std::llround(std::sqrt(double(shape[1]))));
        if (side * side == shape[1]) return {side, side, 1};
        throw fail("a flat input must hold a square grey image");
    }
    throw fail("expected [1, H, W, C], [1, H, W] or [1, H*W]");
}

ImageGeometry model_input_geometry(const Graph& graph) {
    if (graph.inputs.empty()) throw Error("the model has no input");
    const TensorInfo& input = graph.tensors.at(static_cast<size_t>(graph.inputs[0]));
    if (input.dtype != DType::float32) {
        throw Error("the model input '" + input.name + "' is " + dtype_name(input.dtype) +
                    "; images are fed as float32");
    }
    return image_geometry(input.shape);
}

std::vector<float> convert_channels(const std::vector<float>& pixels, int64_t pixel_count, int from, int to) {
    if (from == to) return pixels;
    auto cannot = [&]() {
        return Error("cannot convert a " + std::to_string(from) + "-channel image to the model's " + std::to_string(to) +
                     " channels");
    };
    if (from < 1 || from > 4 || to < 1 || to > 4 || to == 2) throw cannot();
    std::vector<float> out(static_cast<size_t>(pixel_count * to));
    for (int64_t p = 0; p < pixel_count; ++p) {
        const float* in = &pixels[static_cast<size_t>(p * from)];
        float* o = &out[static_cast<size_t>(p * to)];
        const bool colour = from >= 3;
        const float grey = colour ? 0.299f * in[0] + 0.587f * in[1] + 0.114f * in[2] : in[0];
        const float alpha = from == 2 ? in[1] : from == 4 ? in[3] : 1.0f;
        if (to == 1) {
            o[0] = grey;
        } else {
            for (int c = 0; c < 3; ++c) o[c] = colour ? in[c] : grey;
            if (to == 4) o[3] = alpha;
        }
    }
    return out;
}

std::vector<float> resize_bilinear(const std::vector<float>& pixels, int64_t width, int64_t height, int64_t channels,
                                   int64_t new_width, int64_t new_height) {
    if (width == new_width && height == new_height) return pixels;
    std::vector<float> out(static_cast<size_t>(new_width * new_height * channels));
    const double scale_x = double(width) / double(new_width);
    const double scale_y = double(height) / double(new_height);
    // Source coordinate of an output pixel centre, clamped to the image: neighbours at the border
    // repeat the edge pixel.
    auto source = [](int64_t dst, double scale, int64_t size, int64_t& lo, int64_t& hi, float& frac) {
        double s = (double(dst) + 0.5) * scale - 0.5;
        s = std::clamp(s, 0.0, double(size - 1));
        lo = static_cast<int64_t>(std::floor(s));
        hi = std::min(lo + 1, size - 1);
        frac = static_cast<float>(s - double(lo));
    };
    for (int64_t y = 0; y < new_height; ++y) {
        int64_t y0, y1;
        float fy;
        source(y, scale_y, height, y0, y1, fy);
        for (int64_t x = 0; x < new_width; ++x) {
            int64_t x0, x1;
            float fx;
            source(x, scale_x, width, x0, x1, fx);
            for (int64_t c = 0; c < channels; ++c) {
                auto at = [&](int64_t yy, int64_t xx) { return pixels[static_cast<size_t>((yy * width + xx) * channels + c)]; };
                const float top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
                const float bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
                out[static_cast<size_t>((y * new_width + x) * channels + c)] = top + (bottom - top) * fy;
            }
        }
    }
    return out;
}

std::vector<float> image_to_input(const Image& image, const ImageGeometry& geometry, const ModelMetadata& metadata) {
    if (image.width <= 0 || image.height <= 0 || image.channels <= 0 ||
        image.pixels.size() != size_t(image.width) * size_t(image.height) * size_t(image.channels)) {
        throw Error("the image is empty or its pixel count does not match its size");
    }
    const int64_t channels = geometry.channels;
    auto per_channel = [&](const std::vector<float>& values, const char* what) {
        if (values.size() != 1 && values.size() != static_cast<size_t>(channels)) {
            throw Error(std::string("the model metadata has ") + std::to_string(values.size()) + " " + what +
                        " values for an input of " + std::to_string(channels) + " channels");
        }
    };
    per_channel(metadata.mean, "mean");
    per_channel(metadata.std, "std");
    for (float s : metadata.std) {
        if (!(std::isfinite(s) && s != 0.0f)) throw Error("the model metadata has a std of " + std::to_string(s));
    }

    std::vector<float> unit(image.pixels.size());
    for (size_t i = 0; i < unit.size(); ++i) unit[i] = image.pixels[i] / 255.0f;
    const int64_t pixel_count = int64_t(image.width) * image.height;
    if (channels > 4 && image.channels != channels) {
        throw Error("cannot convert a " + std::to_string(image.channels) + "-channel image to the model's " +
                    std::to_string(channels) + " channels");
    }
    std::vector<float> converted = convert_channels(unit, pixel_count, image.channels, static_cast<int>(channels));
    std::vector<float> resized =
        resize_bilinear(converted, image.width, image.height, channels, geometry.width, geometry.height);
    for (size_t i = 0; i < resized.size(); ++i) {
        const size_t c = i % static_cast<size_t>(channels);
        const float mean = metadata.mean.size() == 1 ? metadata.mean[0] : metadata.mean[c];
        const float std = metadata.std.size() == 1 ? metadata.std[0] : metadata.std[c];
        resized[i] = (resized[i] - mean) / std;
    }
    return resized;
}

}  // namespace haqm::cli
