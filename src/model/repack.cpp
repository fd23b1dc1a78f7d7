// repack_weights (model.h): Q4_0 matrices into Q4_0x8 tiles at load, releasing the file pages.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "model/model.h"
#include "quant/repack.h"

namespace uma {

namespace {

// Drops the resident pages of [p, p + n) of the read-only file mapping (whole pages inside the
// range only; a neighbour's data may share the edge pages). The kernel re-reads them from the
// file if anything touches them again, so this only frees memory.
void release_pages(const uint8_t* p, size_t n) {
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  const uintptr_t b = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + n) & ~(page - 1);
  if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
}

Status repack_one(kernels::MatView* v, std::vector<AlignedBuffer<uint8_t>>* store) {
  constexpr int kRows = quant::kQ4_0x8Rows;
  if (v->n_out == 0 || v->type != DType::Q4_0 || v->n_out % kRows != 0 || v->interleave) return Status::ok();
  const size_t bytes = v->row_bytes * (size_t)v->n_out;
  AlignedBuffer<uint8_t> buf;
  if (!buf.resize(bytes)) return error("out of memory repacking a " + std::to_string(bytes) + "-byte matrix");
  const size_t group = v->row_bytes * kRows;
  for (int64_t r = 0; r < v->n_out; r += kRows)
    quant::repack_q4_0_x8(v->row(r), v->row_bytes, v->n_in,
                          reinterpret_cast<quant::BlockQ4_0x8*>(buf.data() + (size_t)(r / kRows) * group));
  release_pages(v->data, bytes);
  v->data = buf.data();
  v->interleave = kRows;
  store->push_back(std::move(buf));
  return Status::ok();
}

}  // namespace

Status repack_weights(ModelWeights* w, std::vector<AlignedBuffer<uint8_t>>* store) {
  if (quant::gemm_q4_0_x8_fn() == nullptr) return Status::ok();
  if (const char* env = std::getenv("UMA_REPACK"); env && std::strcmp(env, "0") == 0) return Status::ok();
  for (auto& L : w->layers)
    for (kernels::MatView* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down})
      UMA_TRY(repack_one(v, store));
  if (!w->tied_output) UMA_TRY(repack_one(&w->output, store));
  return Status::ok();
}

}  // namespace uma
