// quantize_gguf: plan every tensor's type first (so a refusal comes before any output), then let
// the writer pull tensors one by one; each is converted row batch by row batch on a thread pool.
// Blocks are independent, so splitting rows across threads gives llama-quantize's exact bytes.
#include "convert/quantize.h"

#include "core/mapped_file.h"


#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "quant/quant.h"

namespace uma::convert {

namespace {

// "blk.N" prefix as llama.cpp's sscanf("blk.%d.") reads it; -1 without one.
int64_t layer_of(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  int64_t v = -1;
  const char* b = name.data() + 4;
  auto [p, ec] = std::from_chars(b, name.data() + name.size(), v);
  return ec == std::errc() && p != b ? v : -1;
}

// A key that may hold one value or one per layer (llama.cpp's n_head_arr): element 0.
Result<uint64_t> first_uint(const gguf::GgufFile& f, const std::string& key, uint64_t dflt) {
  const gguf::Value* v = f.find(key);
  if (!v) return dflt;
  if (v->is_array()) {
    auto x = v->array_size() > 0 ? v->array_int(0) : std::nullopt;
    if (!x || *x < 0)
      return error(f.name() + ": gguf: key '" + key + "' is not an array of counts");
    return (uint64_t)*x;
  }
  return f.get_uint(key);
}

struct Planned {
  const gguf::TensorInfo* t;
  DType out;
};

// Converts one tensor into dst: dequantize each source row (unless F32), check it is finite,
// quantize it. Rows go in batches of about 4M elements so that progress moves smoothly.
class TensorConverter {
 public:
  TensorConverter(ThreadPool& pool, const QuantizeOptions& o, uint64_t total)
      : pool_(pool), o_(o), total_(total), bufs_(pool.n_threads()) {}

  Status convert(const Planned& p, uint8_t* dst, uint64_t nbytes) {
    const gguf::TensorInfo& t = *p.t;
    const int64_t row_len = t.ne[0];
    const uint64_t rows = t.n_rows();
    if (p.out == t.type) {
      if (nbytes != t.nbytes) return error("internal: size mismatch copying '" + t.name + "'");
      std::memcpy(dst, t.data, nbytes);
      advance(t.n_elements());
      release_mapped_pages(t.data, t.nbytes);
      return Status::ok();
    }
    const uint64_t src_row = *dtype_row_bytes(t.type, row_len);
    const uint64_t dst_row = *dtype_row_bytes(p.out, row_len);
    if (dst_row * rows != nbytes) return error("internal: size mismatch for '" + t.name + "'");
    for (auto& b : bufs_) b.resize(row_len);
    const uint64_t batch = std::max<uint64_t>(1, (uint64_t(1) << 22) / row_len);
    for (uint64_t r0 = 0; r0 < rows; r0 += batch) {
      const uint64_t r1 = std::min(rows, r0 + batch);
      pool_.parallel_for(r1 - r0, 1, [&](int tid, size_t b, size_t e) {
        float* buf = bufs_[tid].data();
        for (uint64_t r = r0 + b; r < r0 + e; r++) {
          const uint8_t* s = t.data + r * src_row;
          const float* f = buf;
          if (t.type == DType::F32) {
            f = reinterpret_cast<const float*>(s);
          } else {
            quant::dequantize_row(t.type, s, buf, row_len);
          }
          for (int64_t i = 0; i < row_len; i++) {
            if (!std::isfinite(f[i])) {
              fail("tensor '" + t.name + "': row " + std::to_string(r) + " holds " +
                   (std::isnan(f[i]) ? "NaN" : "an infinite value") + " at column " +
                   std::to_string(i));
              return;
            }
          }
          quant::quantize_row(p.out, f, dst + r * dst_row, row_len);
        }
      });
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (!first_error_.is_ok()) return first_error_;
      }
      advance((r1 - r0) * row_len);
    }
    release_mapped_pages(t.data, t.nbytes);
    return Status::ok();
  }

 private:
  void fail(std::string msg) {
    std::lock_guard<std::mutex> lk(mu_);
    if (first_error_.is_ok()) first_error_ = error(std::move(msg));
  }
  void advance(uint64_t n) {
    done_ += n;
    if (o_.progress) o_.progress(done_, total_);
  }

  ThreadPool& pool_;
  const QuantizeOptions& o_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::vector<std::vector<float>> bufs_;
  std::mutex mu_;
  Status first_error_;
};

}  // namespace

bool llama_tensor_order_less(const std::string& a, const std::string& b) {
  const int64_t la = layer_of(a), lb = layer_of(b);
  if (la != lb) return la < lb;
  return a < b;
}

Result<quant::TensorShapeInfo> model_shape_info(const gguf::GgufFile& f) {
  quant::TensorShapeInfo m;
  UMA_ASSIGN_OR_RETURN(m.arch, f.get_string("general.architecture"));
  UMA_ASSIGN_OR_RETURN(const uint64_t n_layer, f.get_uint(m.arch + ".block_count"));
  UMA_ASSIGN_OR_RETURN(const uint64_t n_head, first_uint(f, m.arch + ".attention.head_count", 0));
  UMA_ASSIGN_OR_RETURN(const uint64_t n_head_kv,
                       first_uint(f, m.arch + ".attention.head_count_kv", n_head));
  UMA_ASSIGN_OR_RETURN(const uint64_t n_expert, f.get_uint_or(m.arch + ".expert_count", 0));
  constexpr uint64_t kMax = uint64_t(1) << 31;
  if (n_layer > kMax || n_head > kMax || n_head_kv > kMax || n_expert > kMax)
    return error(f.name() + ": gguf: implausible block, head or expert count");
  m.n_layer = (int64_t)n_layer;
  m.n_head = (int64_t)n_head;
  m.n_head_kv = (int64_t)n_head_kv;
  m.n_expert = (int64_t)n_expert;
  m.has_output = f.find_tensor("output.weight") != nullptr;
  return m;
}

Result<QuantizeSummary> quantize_gguf(const QuantizeOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(o.output, ec) && fs::equivalent(o.input, o.output, ec))
    return error(o.output + ": the output would overwrite the input");
  UMA_ASSIGN_OR_RETURN(auto file, gguf::GgufFile::open(o.input));
  UMA_ASSIGN_OR_RETURN(const quant::TensorShapeInfo model, model_shape_info(file));
  if (file.tensors().empty()) return error(o.input + ": no tensors to quantize");

  // Plan: every tensor's output type, checked before anything is written.
  QuantizeSummary sum;
  std::vector<Planned> plan;
  for (const auto& t : file.tensors()) plan.push_back({&t, t.type});
  std::stable_sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    return llama_tensor_order_less(a.t->name, b.t->name);
  });
  for (auto& p : plan) {
    const gguf::TensorInfo& t = *p.t;
    quant::TensorShapeInfo info = model;
    info.ne.assign(t.ne, t.ne + t.n_dims);
    info.type = t.type;
    bool fell_back = false;
    auto chosen = quant::choose_tensor_type(o.type, t.name, info, o.pure, &fell_back);
    if (!chosen.ok()) return chosen.status().with_context(o.input);
    p.out = *chosen;
    sum.n_fallback += fell_back ? 1 : 0;
    if (p.out == t.type) continue;
    const std::string ctx = o.input + ": tensor '" + t.name + "': ";
    if (!quant::can_quantize(p.out))
      return error(ctx + "uma cannot write type " + std::string(dtype_name(p.out)) +
                   " (file type " + std::string(quant::file_type_name(o.type)) + ")");
    if (!quant::can_dequantize(t.type))
      return error(ctx + "cannot convert from type " + std::string(dtype_name(t.type)));
    if (dtype_info(t.type).block_elems > 1 && !o.allow_requantize)
      return error(ctx + "is already quantized (" + std::string(dtype_name(t.type)) +
                   "); requantizing loses quality, pass --allow-requantize to do it anyway");
  }

  gguf::Writer w;
  for (const auto& [key, value] : file.metadata()) {
    if (key == "split.no" || key == "split.count" || key == "split.tensors.count") continue;
    w.copy_value(key, value);
  }
  // llama.cpp sets these after copying, each one removed first so that it lands at the end.
  w.remove("general.quantization_version");
  w.set_u32("general.quantization_version", 2);
  w.remove("general.file_type");
  w.set_u32("general.file_type", (uint32_t)o.type);

  uint64_t total = 0;
  for (const auto& p : plan) total += p.t->n_elements();
  ThreadPool pool(o.n_threads > 0 ? o.n_threads : ThreadPool::physical_cores());
  TensorConverter conv(pool, o, total);
  for (const auto& p : plan) {
    const gguf::TensorInfo& t = *p.t;
    w.add_tensor(t.name, p.out, std::vector<int64_t>(t.ne, t.ne + t.n_dims),
                 [&conv, &p](uint8_t* dst, uint64_t nbytes) { return conv.convert(p, dst, nbytes); });
    sum.n_tensors++;
    sum.n_params += t.n_elements();
    sum.tensor_bytes_in += t.nbytes;
    sum.tensor_bytes_out += *dtype_row_bytes(p.out, t.ne[0]) * t.n_rows();
    sum.type_counts[p.out]++;
  }
  UMA_TRY(w.write(o.output));
  sum.file_bytes_in = file.file_size();
  sum.file_bytes_out = fs::file_size(o.output, ec);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace uma::convert
