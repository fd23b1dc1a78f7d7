// repack_weights (model.h): Q4_0 / Q4_K / Q6_K / Q8_0 matrices into 8-row tiles at load,
// releasing the file pages as it goes.
#include <cstdlib>
#include <cstring>

#include "core/huge_buffer.h"
#include "core/mapped_file.h"
#include "model/model.h"
#include "quant/repack.h"

namespace uma {

namespace {

// Rows per interleaved group for v, or 0 when v stays as stored.
int rows_for(const kernels::MatView& v) {
  const int rows = v.n_out > 0 && !v.interleave ? quant::interleave_rows(v.type) : 0;
  return rows > 0 && v.n_out % rows == 0 ? rows : 0;
}

// Bytes v takes repacked, rounded up to 64 so every matrix starts cache-line aligned.
size_t slot_bytes(const kernels::MatView& v) {
  const int rows = rows_for(v);
  if (rows == 0) return 0;
  return (quant::interleaved_group_bytes(v.type, v.n_in) * (size_t)(v.n_out / rows) + 63) / 64 * 64;
}

void repack_one(kernels::MatView* v, uint8_t* dst) {
  const int rows = rows_for(*v);
  if (rows == 0) return;
  const size_t group = quant::interleaved_group_bytes(v->type, v->n_in);
  // Release the source a few MiB at a time, so the copy and the file's pages of one matrix are
  // never resident together (peak RSS stays at the repacked size; a 128K-vocab output is 280 MB).
  const size_t src_bytes = v->row_bytes * (size_t)v->n_out;
  size_t released = 0;
  for (int64_t r = 0; r < v->n_out; r += rows) {
    quant::repack_rows_x8(v->type, v->row(r), v->row_bytes, v->n_in, dst + (size_t)(r / rows) * group);
    const size_t done = v->row_bytes * (size_t)(r + rows);
    if (done - released >= (size_t{4} << 20) || done == src_bytes) {
      release_mapped_pages(v->data + released, done - released);
      released = done;
    }
  }
  v->data = dst;
  v->interleave = rows;
}

}  // namespace

Status repack_weights(ModelWeights* w, HugeBuffer* store) {
  if (const char* env = std::getenv("UMA_REPACK"); env && std::strcmp(env, "0") == 0) return Status::ok();
  // A tied output is its own MatView over token_embd's data: the copy serves the output matmul,
  // the embedding gathers keep reading (and re-faulting the few rows they need from) the file.
  std::vector<kernels::MatView*> views;
  for (auto& L : w->layers)
    for (kernels::MatView* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) views.push_back(v);
  views.push_back(&w->output);
  // One huge-page arena for all of them (huge_buffer.h: decode streams it every token).
  size_t total = 0;
  for (const kernels::MatView* v : views) total += slot_bytes(*v);
  if (total == 0) return Status::ok();
  if (!store->allocate(total)) return error("out of memory repacking weights (" + std::to_string(total) + " bytes)");
  size_t off = 0;
  for (kernels::MatView* v : views) {
    const size_t n = slot_bytes(*v);
    repack_one(v, store->data() + off);
    off += n;
  }
  return Status::ok();
}

}  // namespace uma
