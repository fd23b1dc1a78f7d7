// repack_weights (model.h): the threads' pieces of every matrix land where one sequential
// repack_rows_x8 pass puts them, byte for byte, and the views then point at the arena as
// interleaved groups. The matrices are mapped from a file of random bytes (repacking moves bits
// and unpacks scale fields; it reads no values that need to be valid), one of them larger than
// a piece so it is cut, and the source pages are released as the real load does.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/huge_buffer.h"
#include "core/mapped_file.h"
#include "model/model.h"
#include "quant/repack.h"

namespace uma {
namespace {

struct Mat {
  DType type;
  int64_t n_in, n_out;
  size_t row_bytes = *dtype_row_bytes(type, (uint64_t)n_in);
};

TEST(RepackWeights, ParallelPiecesEqualSequentialRepack) {
  if (quant::interleave_rows(DType::Q6_K) == 0) GTEST_SKIP() << "no interleaved kernels on this CPU";
  // output: Q6_K 2048 x 8008 (13.5 MB, cut into pieces); one layer of Q4_0, Q4_K, Q8_0 and an
  // odd row count (12, not a multiple of 8: stays as stored).
  const std::vector<Mat> mats = {
      {DType::Q6_K, 2048, 8008}, {DType::Q4_0, 512, 1024}, {DType::Q4_K, 1024, 256},
      {DType::Q8_0, 256, 520},   {DType::Q4_0, 256, 12},
  };
  std::vector<size_t> offs;
  size_t total = 0;
  for (const Mat& m : mats) {
    offs.push_back(total);
    total += (m.row_bytes * (size_t)m.n_out + 4095) / 4096 * 4096;
  }
  std::vector<uint8_t> bytes(total);
  std::mt19937 rng(7);
  for (uint8_t& b : bytes) b = (uint8_t)rng();
  const std::string path = ::testing::TempDir() + "uma_repack_test.bin";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();

  auto view = [&](size_t i) {
    const Mat& m = mats[i];
    return kernels::MatView{.type = m.type, .data = file.value().data() + offs[i], .n_in = m.n_in,
                            .n_out = m.n_out, .row_bytes = m.row_bytes};
  };
  ModelWeights w;
  w.layers.resize(1);
  LayerWeights& L = w.layers[0];
  w.output = view(0), L.wq = view(1), L.w_gate = view(2), L.w_down = view(3), L.wk = view(4);
  const std::vector<const kernels::MatView*> after = {&w.output, &L.wq, &L.w_gate, &L.w_down, &L.wk};

  // What one thread repacking row group after row group gives.
  std::vector<std::vector<uint8_t>> want(mats.size());
  for (size_t i = 0; i + 1 < mats.size(); i++) {
    const kernels::MatView v = view(i);
    const size_t group = quant::interleaved_group_bytes(v.type, v.n_in);
    want[i].resize(group * (size_t)(v.n_out / 8));
    for (int64_t r = 0; r < v.n_out; r += 8)
      quant::repack_rows_x8(v.type, v.row(r), v.row_bytes, v.n_in, want[i].data() + (size_t)(r / 8) * group);
  }

  HugeBuffer store;
  ASSERT_TRUE(repack_weights(&w, &store).is_ok());
  for (size_t i = 0; i + 1 < mats.size(); i++) {
    const kernels::MatView& v = *after[i];
    EXPECT_EQ(v.interleave, 8) << "matrix " << i;
    EXPECT_GE(v.data, store.data());
    EXPECT_LE(v.data + want[i].size(), store.data() + store.size());
    EXPECT_EQ(std::memcmp(v.data, want[i].data(), want[i].size()), 0) << "matrix " << i;
  }
  // 12 rows: not repacked, still the file's bytes (re-read from the file after the release).
  EXPECT_EQ(after[4]->interleave, 0);
  EXPECT_EQ(after[4]->data, file.value().data() + offs[4]);
  EXPECT_EQ(std::memcmp(after[4]->data, bytes.data() + offs[4], mats[4].row_bytes * 12), 0);
  // The source is intact for anyone still reading it (released pages come back from the file).
  EXPECT_EQ(std::memcmp(file.value().data(), bytes.data(), bytes.size()), 0);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace uma
