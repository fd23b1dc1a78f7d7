// matmul: quantize activations once per call, then hand the output rows to the threads in
// chunks taken from a shared counter (each chunk streams its own slice of the weights); within a
// chunk the tile kernels of quant_gemm.h cover rows x tokens, so a weight row is read from memory
// once per call. Chunks rather than one equal slice per thread: on a shared machine one core is
// often slower for a while, and with equal slices the other waits for it at every barrier.
#include "kernels/cpu/matmul.h"

#include <algorithm>

#include "core/check.h"
#include "quant/quant.h"
#include "quant/quant_gemm.h"
#include "quant/repack.h"

namespace uma::kernels {

namespace {

// Small products are not worth waking the other threads (a wake-up costs microseconds).
constexpr int64_t kMinParallelMacs = 1 << 16;
// Chunks shrink as the work runs out (guided_chunk, matmul.h); none is smaller than
// 1/(kMinChunkDiv x threads) of the call's rows (and never below one unit).
constexpr size_t kMinChunkDiv = 16;

// How one matrix's rows are computed: a tile kernel over plain rows or 8-row groups
// (quant/repack.h), or the per-row dot as a fallback.
struct RowKernel {
  quant::GemmFn gemm = nullptr;
  quant::VecDotFn dot = nullptr;
  size_t unit_rows = 1;    // rows per unit a chunk must be a multiple of
  size_t unit_bytes = 0;   // bytes per unit (a group for interleaved weights, else one row)
};

RowKernel row_kernel(const MatView& w) {
  RowKernel k;
  k.gemm = w.interleave > 0 ? quant::gemm_x8_fn(w.type) : quant::gemm_fn(w.type);
  UMA_CHECK(w.interleave == 0 || (k.gemm != nullptr && w.interleave == 8 && w.n_out % 8 == 0));
  if (k.gemm) {
    k.unit_rows = w.interleave > 0 ? (size_t)w.interleave : (size_t)quant::kGemmRowTile;
    k.unit_bytes = w.interleave > 0 ? quant::interleaved_group_bytes(w.type, w.n_in) : w.row_bytes;
  } else {
    k.dot = quant::vec_dot_fn(w.type);
    k.unit_rows = 8;
    k.unit_bytes = w.row_bytes;
  }
  return k;
}

// Rows [r0, r1) of one matrix for all tokens.
void run_rows(const MatView& w, const RowKernel& k, const uint8_t* act, size_t act_row, uint64_t act_id,
              int64_t n_tok, float* y, size_t r0, size_t r1) {
  if (k.gemm) {
    const size_t per = w.interleave > 0 ? (size_t)w.interleave : 1;
    k.gemm({.n = w.n_in,
            .w = w.data + r0 / per * k.unit_bytes,
            .w_stride = k.unit_bytes,
            .nr = (int64_t)(r1 - r0),
            .a = act,
            .a_stride = act_row,
            .nt = n_tok,
            .out = y + r0,
            .ldo = (size_t)w.n_out,
            .act_id = act_id});
    return;
  }
  for (size_t r = r0; r < r1; r++) {
    const uint8_t* wr = w.row((int64_t)r);
    for (int64_t t = 0; t < n_tok; t++) y[t * w.n_out + (int64_t)r] = k.dot(w.n_in, wr, act + t * act_row);
  }
}

struct Chunk {
  uint32_t job;
  size_t r0, r1;
};

}  // namespace

void matmul_multi(ThreadPool& pool, std::span<const MatmulJob> jobs, const float* x, int64_t n_tok,
                  MatmulScratch& scratch) {
  if (jobs.empty()) return;
  const MatView& w0 = *jobs[0].w;
  const DType vt = quant::vec_dot_type(w0.type);
  for (const MatmulJob& j : jobs)
    if (j.w->n_in != w0.n_in || quant::vec_dot_type(j.w->type) != vt) {
      for (const MatmulJob& one : jobs) matmul(pool, *one.w, x, n_tok, one.y, scratch);
      return;
    }
  const auto act_row = dtype_row_bytes(vt, (uint64_t)w0.n_in);
  UMA_CHECK(act_row.has_value());
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  uint64_t act_id = 0;  // f32 activations: the caller's buffer, contents unknown
  if (vt != DType::F32) {
    scratch.act.resize((size_t)*act_row * n_tok);
    pool.parallel_for((size_t)n_tok, 1, [&](int, size_t b, size_t e) {
      for (size_t t = b; t < e; t++)
        quant::quantize_row_act(vt, x + t * w0.n_in, scratch.act.data() + t * *act_row, w0.n_in);
    });
    act = scratch.act.data();
    act_id = quant::next_act_id();
  }

  // Chunks: pieces of whole units, shrinking towards the end of the job list (see kMinChunkDiv).
  int64_t total_rows = 0, macs = 0;
  for (const MatmulJob& j : jobs) total_rows += j.w->n_out, macs += j.w->n_in * j.w->n_out * n_tok;
  const bool serial = macs < kMinParallelMacs || pool.n_threads() == 1;
  const size_t nt = (size_t)pool.n_threads();
  std::vector<RowKernel> kernels;
  std::vector<Chunk> chunks;
  kernels.reserve(jobs.size());
  size_t left = (size_t)total_rows;  // rows not yet in a chunk
  for (uint32_t ji = 0; ji < jobs.size(); ji++) {
    const MatView& w = *jobs[ji].w;
    kernels.push_back(row_kernel(w));
    const size_t unit = kernels.back().unit_rows, n_out = (size_t)w.n_out;
    for (size_t r = 0; r < n_out;) {
      const size_t want = serial ? n_out : guided_chunk(left, (size_t)total_rows, nt);
      const size_t e = std::min(n_out, r + std::max<size_t>(unit, (want + unit - 1) / unit * unit));
      chunks.push_back({ji, r, e});
      left -= e - r;
      r = e;
    }
  }
  auto run = [&](const Chunk& c) {
    run_rows(*jobs[c.job].w, kernels[c.job], act, *act_row, act_id, n_tok, jobs[c.job].y, c.r0, c.r1);
  };
  if (serial) {
    for (const Chunk& c : chunks) run(c);
    return;
  }
  pool.parallel_units(chunks.size(), [&](int, size_t c) { run(chunks[c]); });
}

void matmul(ThreadPool& pool, const MatView& w, const float* x, int64_t n_tok, float* y,
            MatmulScratch& scratch) {
  const MatmulJob job{&w, y};
  matmul_multi(pool, std::span<const MatmulJob>(&job, 1), x, n_tok, scratch);
}

size_t guided_chunk(size_t left, size_t total, size_t n_threads) {
  const size_t min_units = std::max<size_t>(1, total / (n_threads * kMinChunkDiv));
  return std::max(min_units, (left + 2 * n_threads - 1) / (2 * n_threads));
}

void get_row(const MatView& w, int64_t row, float* out) {
  UMA_CHECK(w.interleave == 0);
  quant::dequantize_row(w.type, w.row(row), out, w.n_in);
}

}  // namespace uma::kernels
