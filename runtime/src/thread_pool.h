// The kernels' thread pool (thread_pool.cpp): spinning workers behind Halide's do_par_for.
#pragma once

namespace haqm::detail {

// `threads` threads in all (workers and the caller); installs the pool as Halide's do_par_for.
// Not to be called while a kernel runs.
void set_pool_threads(int threads);
// Installs the pool, with one thread per core unless set_pool_threads sized it.
void install_thread_pool();

}  // namespace haqm::detail
