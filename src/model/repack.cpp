// repack_weights (model.h): Q4_0 / Q4_K matrices into 8-row tiles at load, releasing the file pages.
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
  const int rows = v->n_out > 0 && !v->interleave ? quant::interleave_rows(v->type) : 0;
  if (rows == 0 || v->n_out % rows != 0) return Status::ok();
  const size_t group = quant::interleaved_group_bytes(v->type, v->n_in);
  const size_t bytes = group * (size_t)(v->n_out / rows);
  AlignedBuffer<uint8_t> buf;
  if (!buf.resize(bytes)) return error("out of memory repacking a " + std::to_string(bytes) + "-byte matrix");
  for (int64_t r = 0; r < v->n_out; r += rows)
    quant::repack_rows_x8(v->type, v->row(r), v->row_bytes, v->n_in, buf.data() + (size_t)(r / rows) * group);
  release_pages(v->data, v->row_bytes * (size_t)v->n_out);
  v->data = buf.data();
  v->interleave = rows;
  store->push_back(std::move(buf));
  return Status::ok();
}

}  // namespace

Status repack_weights(ModelWeights* w, std::vector<AlignedBuffer<uint8_t>>* store) {
  if (const char* env = std::getenv("UMA_REPACK"); env && std::strcmp(env, "0") == 0) return Status::ok();
  for (auto& L : w->layers)
    for (kernels::MatView* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down})
      UMA_TRY(repack_one(v, store));
  if (!w->tied_output) UMA_TRY(repack_one(&w->output, store));
  return Status::ok();
}

}  // namespace uma
