// repack_weights (model.h): Q4_0 / Q4_K / Q6_K / Q8_0 matrices into 8-row tiles at load,
// releasing the file pages as it goes.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/huge_buffer.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
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

// A piece of the work: one matrix's rows [r0, r1), about kPieceBytes of its source. Each piece
// releases its source pages when done, so the copy and the file's pages of a matrix are never
// resident together: peak RSS stays near the repacked size (a 128K-vocab output is 280 MB), plus
// one piece per thread.
struct Piece {
  size_t view;
  int64_t r0, r1;
};
constexpr size_t kPieceBytes = size_t{4} << 20;

void repack_piece(const kernels::MatView& v, int rows, const Piece& pc, uint8_t* dst) {
  const size_t group = quant::interleaved_group_bytes(v.type, v.n_in);
  for (int64_t r = pc.r0; r < pc.r1; r += rows)
    quant::repack_rows_x8(v.type, v.row(r), v.row_bytes, v.n_in, dst + (size_t)(r / rows) * group);
  release_mapped_pages(v.row(pc.r0), v.row_bytes * (size_t)(pc.r1 - pc.r0));
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
  // The pieces go to the threads in file order (parallel_units): repacking runs at memory speed,
  // one core's share of it (and of the page faults zeroing the arena) took most of an 8B
  // model's load, and in order the source is still released matrix by matrix.
  std::vector<uint8_t*> slots;
  std::vector<Piece> pieces;
  size_t off = 0;
  for (size_t i = 0; i < views.size(); i++) {
    const kernels::MatView& v = *views[i];
    slots.push_back(store->data() + off);
    off += slot_bytes(v);
    const int rows = rows_for(v);
    if (rows == 0) continue;
    const int64_t step = std::max<int64_t>(rows, (int64_t)(kPieceBytes / v.row_bytes) / rows * rows);
    for (int64_t r = 0; r < v.n_out; r += step) pieces.push_back({i, r, std::min(v.n_out, r + step)});
  }
  ThreadPool pool(std::min<int>(ThreadPool::physical_cores(), (int)std::max<size_t>(1, pieces.size())));
  pool.parallel_units(pieces.size(), [&](int, size_t p) {
    const Piece& pc = pieces[p];
    repack_piece(*views[pc.view], rows_for(*views[pc.view]), pc, slots[pc.view]);
  });
  for (size_t i = 0; i < views.size(); i++) {
    const int rows = rows_for(*views[i]);
    if (rows == 0) continue;
    views[i]->data = slots[i];
    views[i]->interleave = rows;
  }
  return Status::ok();
}

}  // namespace uma
