#include "halide_call.h"

#include <array>
#include <cstdlib>
#include <mutex>

#include "haqm/kernels.h"
#include "thread_pool.h"

namespace haqm::detail {

std::string& halide_error_message() {
    thread_local std::string message;
    return message;
}

namespace {
void record_halide_error(void* /*user_context*/, const char* message) {
    halide_error_message() += message;
}

// The kernels allocate their intermediate buffers (a padded input, sums) on every call. glibc
// serves blocks above its mmap threshold with fresh zero-filled pages each time, which measured
// about 10% of a ResNet-18 layer; freed blocks are kept per thread and reused instead.
constexpr size_t kBlockAlignment = 64;  // AVX-512 vectors; Halide needs 32 and 8 readable bytes around
constexpr size_t kCachedBlocksPerThread = 8;

struct Block {
    void* base;
    size_t capacity;
};

struct BlockCache {
    std::array<Block, kCachedBlocksPerThread> blocks{};
    size_t count = 0;
    ~BlockCache() {
        for (size_t i = 0; i < count; ++i) {
            std::free(blocks[i].base);
        }
    }
};

BlockCache& block_cache() {
    thread_local BlockCache cache;
    return cache;
}

// A block's capacity is stored in the alignment gap before the pointer handed out.
void* cached_malloc(void* /*user_context*/, size_t size) {
    BlockCache& cache = block_cache();
    for (size_t i = 0; i < cache.count; ++i) {
        const Block block = cache.blocks[i];
        if (block.capacity >= size && block.capacity / 2 <= size) {  // fits, and wastes at most half
            cache.blocks[i] = cache.blocks[--cache.count];
            return static_cast<char*>(block.base) + kBlockAlignment;
        }
    }
    const size_t capacity = (size + kBlockAlignment - 1) / kBlockAlignment * kBlockAlignment;
    void* base = std::aligned_alloc(kBlockAlignment, capacity + 2 * kBlockAlignment);
    if (base == nullptr) {
        return nullptr;
    }
    *static_cast<size_t*>(base) = capacity;
    return static_cast<char*>(base) + kBlockAlignment;
}

void cached_free(void* /*user_context*/, void* pointer) {
    if (pointer == nullptr) {
        return;
    }
    void* base = static_cast<char*>(pointer) - kBlockAlignment;
    BlockCache& cache = block_cache();
    if (cache.count < kCachedBlocksPerThread) {
        cache.blocks[cache.count++] = {base, *static_cast<size_t*>(base)};
        return;
    }
    std::free(base);
}
}  // namespace

void install_halide_runtime_hooks() {
    static std::once_flag once;
    std::call_once(once, [] {
        halide_set_error_handler(record_halide_error);
        halide_set_custom_malloc(cached_malloc);
        halide_set_custom_free(cached_free);
        install_thread_pool();
    });
}

}  // namespace haqm::detail

namespace haqm {

void set_num_threads(int threads) {
    if (threads < 1 || threads > 256) {
        throw Error("thread count " + std::to_string(threads) + " is out of range [1, 256]");
    }
    // The kernels' parallel loops run on haqm's pool (thread_pool.cpp). Not to be called while
    // kernels run.
    detail::set_pool_threads(threads);
}

}  // namespace haqm
