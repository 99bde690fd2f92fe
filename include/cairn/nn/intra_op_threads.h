// Intra-op threads: the engine's matrix products split across several cores.
//
// Off by default (one thread). With n > 1, a product large enough to pay for the
// hand-off (about two million multiply-adds and more: 256-wide layers at minibatches of
// 32 and up) is split into n parts of its output, computed at once by the calling
// thread and n - 1 worker threads. Every output element is still computed whole by one
// thread, in the order nn/gemm.h documents, so results are bit-identical to one thread
// whatever n is; only the time changes.
//
// The workers are started by set_intra_op_threads() (or at the first product when the
// environment variable CAIRN_INTRA_OP_THREADS is set) and live until the setting
// changes or the process ends; a product never allocates. Products from several
// application threads at once are safe: they take turns using the workers.
#pragma once

namespace cairn::nn {

// Sets the number of threads a product may use (1 = none beyond the caller). Throws
// cairn::Error if n < 1 or n > 256. Not to be called while another thread is running a
// product.
void set_intra_op_threads(int n);

// The current setting: set_intra_op_threads()'s, else CAIRN_INTRA_OP_THREADS's (read
// once; an unreadable value throws cairn::Error naming the variable), else 1.
int intra_op_threads();

}  // namespace cairn::nn
