// SentencePiece tokenizer.model (a protobuf ModelProto) read without libprotobuf: the pieces with
// their scores and types, and the trainer's model type. Field numbers follow sentencepiece_model.proto:
// ModelProto{1: pieces, 2: trainer_spec, 3: normalizer_spec}, SentencePiece{1: piece, 2: score,
// 3: type}, TrainerSpec{3: model_type}, NormalizerSpec{3: add_dummy_prefix}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace uma::convert {

struct SpPiece {
  enum Type : int32_t { NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6 };
  std::string piece;
  float score = 0;
  Type type = NORMAL;
};

struct SpModel {
  enum ModelType : int32_t { UNIGRAM = 1, BPE = 2, WORD = 3, CHAR = 4 };
  std::vector<SpPiece> pieces;
  ModelType model_type = UNIGRAM;  // the proto's default
  bool add_dummy_prefix = true;    // the proto's default
};

// Parses a serialized ModelProto; `name` is used in errors ("NAME: sentencepiece: ...").
Result<SpModel> parse_sentencepiece(const uint8_t* data, uint64_t size, const std::string& name);
Result<SpModel> load_sentencepiece(const std::string& path);

}  // namespace uma::convert
