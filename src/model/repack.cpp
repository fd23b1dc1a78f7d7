// repack_weights (model.h): Q4_0 / Q4_K / Q6_K / Q8_0 matrices into 8-row tiles at load,
// releasing the file pages as it goes.
#include <cstdlib>
#include <cstring>

#include "core/mapped_file.h"
#include "model/model.h"
#include "quant/repack.h"

namespace uma {

namespace {

Status repack_one(kernels::MatView* v, std::vector<AlignedBuffer<uint8_t>>* store) {
  const int rows = v->n_out > 0 && !v->interleave ? quant::interleave_rows(v->type) : 0;
  if (rows == 0 || v->n_out % rows != 0) return Status::ok();
  const size_t group = quant::interleaved_group_bytes(v->type, v->n_in);
  const size_t bytes = group * (size_t)(v->n_out / rows);
  AlignedBuffer<uint8_t> buf;
  if (!buf.resize(bytes)) return error("out of memory repacking a " + std::to_string(bytes) + "-byte matrix");
  // Release the source a few MiB at a time, so the copy and the file's pages of one matrix are
  // never resident together (peak RSS stays at the repacked size; a 128K-vocab output is 280 MB).
  const size_t src_bytes = v->row_bytes * (size_t)v->n_out;
  size_t released = 0;
  for (int64_t r = 0; r < v->n_out; r += rows) {
    quant::repack_rows_x8(v->type, v->row(r), v->row_bytes, v->n_in, buf.data() + (size_t)(r / rows) * group);
    const size_t done = v->row_bytes * (size_t)(r + rows);
    if (done - released >= (size_t{4} << 20) || done == src_bytes) {
      release_mapped_pages(v->data + released, done - released);
      released = done;
    }
  }
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
  // A tied output is its own MatView over token_embd's data: the copy serves the output matmul,
  // the embedding gathers keep reading (and re-faulting the few rows they need from) the file.
  UMA_TRY(repack_one(&w->output, store));
  return Status::ok();
}

}  // namespace uma
