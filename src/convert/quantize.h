// GGUF -> GGUF quantization with llama-quantize's per-tensor mixes (quant/ftype_mix.h): streams
// one tensor at a time through the writer, rows spread over a thread pool, so peak memory is
// about one output tensor, not the model.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/dtype.h"
#include "core/status.h"
#include "quant/ftype_mix.h"

namespace uma::gguf {
class GgufFile;
}

namespace uma::convert {

struct QuantizeOptions {
  std::string input;
  std::string output;
  quant::FileType type = quant::FileType::Q4_K_M;
  bool pure = false;              // every quantizable tensor in the base type (llama-quantize --pure)
  bool allow_requantize = false;  // accept quantized inputs (quality loss), as llama.cpp's flag
  int n_threads = 0;              // 0: physical cores
  // Called after each batch of rows with weights done and total (elements), from one thread.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct QuantizeSummary {
  uint64_t n_tensors = 0;
  uint64_t n_params = 0;          // elements of all tensors
  uint64_t tensor_bytes_in = 0;   // tensor data in the input
  uint64_t tensor_bytes_out = 0;  // tensor data in the output
  uint64_t file_bytes_in = 0;
  uint64_t file_bytes_out = 0;
  int n_fallback = 0;             // tensors whose chosen type did not fit their rows
  std::map<DType, int> type_counts;  // output tensors per type
  double seconds = 0;
};

// The model-level fields of quant::TensorShapeInfo from a GGUF file: architecture, block count,
// heads (element 0 where a per-layer array is stored, as llama.cpp's n_gqa()), expert count,
// and whether output.weight exists. Errors name the file and the key.
Result<quant::TensorShapeInfo> model_shape_info(const gguf::GgufFile& f);

// llama.cpp's tensor order in files it writes: tensors outside any layer first, then layer by
// layer ("blk.N."), by name within each group.
bool llama_tensor_order_less(const std::string& a, const std::string& b);

// Reads options.input, writes options.output. Metadata is copied key by key, then
// general.quantization_version = 2 and general.file_type are set (as llama-quantize does).
Result<QuantizeSummary> quantize_gguf(const QuantizeOptions& options);

}  // namespace uma::convert
