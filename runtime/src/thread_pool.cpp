// The thread pool behind the kernels' parallel loops (installed as Halide's do_par_for).
//
// Halide 14's own pool puts its workers to sleep between parallel loops and wakes them for each
// one. This pool's workers spin for a while after each loop, so the loops of one kernel and the
// layers of one inference find them awake, and sleep on a condition variable when no loop comes
// (an idle process does not burn a core). Measured here (2 vCPUs, /tmp probes of this session,
// docs/performance.md): gemm_q8 1024^3 on 2 threads, Halide's pool 768 GOPS (1.04x of one thread),
// this pool 1086 (1.3x). Small layers still lose on two threads (3x3 7x7x64: 6.9 us on one, 10.5
// on two: each kernel runs several parallel loops), so the default table keeps them on one.
//
// One loop runs at a time: a caller that finds the pool busy (another session's kernel on another
// thread) runs its loop by itself, as does a loop started from inside a task.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "HalideRuntime.h"
#include "thread_pool.h"

namespace haqm::detail {
namespace {

// How long an idle worker spins before it sleeps: longer than the gap between two layers' loops.
constexpr auto kSpin = std::chrono::microseconds(300);

// The protocol: `sequence_` is odd while a loop is open. The caller writes the loop's fields, then
// opens it (release); a worker enters by counting itself in `inside_` and then checking that the
// sequence is still the one it saw, so it reads the fields only of a loop that is open. The caller
// runs tasks too, waits until every task is done, closes the loop and waits until no worker is
// inside before it returns (the tasks' closure lives in its caller's frame).
class SpinningPool {
public:
    ~SpinningPool() { resize(1); }

    // workers + the calling thread = threads. Not to be called while a loop runs.
    void resize(int threads) {
        {
            std::lock_guard<std::mutex> lock(sleep_mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
        workers_.clear();
        stopping_ = false;
        for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }

    int run(void* user_context, halide_task_t task, int min, int size, uint8_t* closure) {
        if (workers_.empty() || size <= 1 || inside_task()) return run_serially(user_context, task, min, size, closure);
        std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
        if (!busy.owns_lock()) return run_serially(user_context, task, min, size, closure);
        user_context_ = user_context;
        task_ = task;
        closure_ = closure;
        end_ = min + size;
        error_.store(0, std::memory_order_relaxed);
        pending_.store(size, std::memory_order_relaxed);
        next_.store(min, std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(sleep_mutex_);
            sequence_.fetch_add(1, std::memory_order_release);  // open
        }
        wake_.notify_all();
        take_tasks();
        while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
        // Sequentially consistent, as the worker's side in join(): closing the loop and then reading
        // `inside_` must not be reordered against a worker counting itself in and then reading the
        // sequence (else each could miss the other's write).
        sequence_.fetch_add(1);  // closed
        while (inside_.load() > 0) std::this_thread::yield();
        return error_.load(std::memory_order_relaxed);
    }

private:
    static bool& inside_task() {
        thread_local bool inside = false;
        return inside;
    }

    static int run_serially(void* user_context, halide_task_t task, int min, int size, uint8_t* closure) {
        for (int i = min; i < min + size; ++i) {
            if (const int error = task(user_context, i, closure)) return error;
        }
        return 0;
    }

    // Runs tasks of the open loop until none is left to start.
    void take_tasks() {
        inside_task() = true;
        for (int i = next_.fetch_add(1, std::memory_order_acq_rel); i < end_;
             i = next_.fetch_add(1, std::memory_order_acq_rel)) {
            if (const int error = task_(user_context_, i, closure_)) {
                int none = 0;
                error_.compare_exchange_strong(none, error);
            }
            pending_.fetch_sub(1, std::memory_order_acq_rel);
        }
        inside_task() = false;
    }

    // Enters the loop `seen` if it is still open; true if it did (and ran its tasks).
    bool join(uint64_t seen) {
        inside_.fetch_add(1);
        const bool open = sequence_.load() == seen;
        if (open) take_tasks();
        inside_.fetch_sub(1, std::memory_order_acq_rel);
        return open;
    }

    void work() {
        uint64_t done = sequence_.load(std::memory_order_acquire);
        for (;;) {
            const auto idle_since = std::chrono::steady_clock::now();
            uint64_t now = sequence_.load(std::memory_order_acquire);
            while (now == done || now % 2 == 0) {
                if (std::chrono::steady_clock::now() - idle_since > kSpin) {
                    std::unique_lock<std::mutex> lock(sleep_mutex_);
                    wake_.wait(lock, [&] {
                        const uint64_t s = sequence_.load(std::memory_order_acquire);
                        return stopping_ || (s != done && s % 2 == 1);
                    });
                }
                if (stopping_) return;
                std::this_thread::yield();
                now = sequence_.load(std::memory_order_acquire);
            }
            join(now);
            done = now;
        }
    }

    std::vector<std::thread> workers_;
    std::mutex busy_;  // one loop at a time
    std::mutex sleep_mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> sequence_{0};
    std::atomic<int> inside_{0};
    // The open loop.
    void* user_context_ = nullptr;
    halide_task_t task_ = nullptr;
    uint8_t* closure_ = nullptr;
    int end_ = 0;
    std::atomic<int> next_{0};
    std::atomic<int> pending_{0};
    std::atomic<int> error_{0};
};

SpinningPool& pool() {
    static SpinningPool instance;
    return instance;
}

std::mutex& configure_mutex() {
    static std::mutex mutex;
    return mutex;
}
bool sized = false;

int do_par_for(void* user_context, halide_task_t task, int min, int size, uint8_t* closure) {
    return pool().run(user_context, task, min, size, closure);
}

}  // namespace

void set_pool_threads(int threads) {
    std::lock_guard<std::mutex> lock(configure_mutex());
    pool().resize(threads);
    sized = true;
    halide_set_custom_do_par_for(do_par_for);
}

void install_thread_pool() {
    std::lock_guard<std::mutex> lock(configure_mutex());
    if (!sized) {
        pool().resize(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
        sized = true;
    }
    halide_set_custom_do_par_for(do_par_for);
}

}  // namespace haqm::detail
