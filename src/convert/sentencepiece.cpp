// A bounded protobuf wire-format walker (varint, 64-bit, length-delimited, 32-bit fields; unknown
// fields skipped) and the three SentencePiece messages the converter needs.
#include "convert/sentencepiece.h"

#include <cstring>

#include "core/mapped_file.h"

namespace uma::convert {

namespace {

// One message's bytes; next() yields (field number, wire type) and the field's payload.
class Wire {
 public:
  Wire(const uint8_t* p, uint64_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ == end_; }

  bool varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      *v |= (uint64_t)(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  // Reads a tag and the field's value: varint into *v, fixed32/64 into *v, bytes into *bytes/*len.
  bool field(uint32_t* num, uint32_t* wire, uint64_t* v, const uint8_t** bytes, uint64_t* len) {
    uint64_t tag;
    if (!varint(&tag) || tag >> 3 == 0 || tag >> 3 > 0x1fffffff) return false;
    *num = (uint32_t)(tag >> 3);
    *wire = (uint32_t)(tag & 7);
    switch (*wire) {
      case 0: return varint(v);
      case 1: return fixed(8, v);
      case 5: return fixed(4, v);
      case 2:
        if (!varint(len) || *len > (uint64_t)(end_ - p_)) return false;
        *bytes = p_;
        p_ += *len;
        return true;
      default: return false;  // groups (3, 4) are not used by sentencepiece_model.proto
    }
  }

 private:
  bool fixed(int n, uint64_t* v) {
    if (end_ - p_ < n) return false;
    *v = 0;
    std::memcpy(v, p_, n);  // little-endian host
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

Result<SpModel> parse_sentencepiece(const uint8_t* data, uint64_t size, const std::string& name) {
  const std::string ctx = name + ": sentencepiece: ";
  SpModel m;
  Wire w(data, size);
  uint32_t num, wire;
  uint64_t v, len;
  const uint8_t* b;
  while (!w.done()) {
    if (!w.field(&num, &wire, &v, &b, &len)) return error(ctx + "malformed protobuf (not a tokenizer.model?)");
    if (num == 1 && wire == 2) {  // SentencePiece
      SpPiece piece;
      Wire pw(b, len);
      while (!pw.done()) {
        uint32_t pn, pwire;
        uint64_t pv, plen;
        const uint8_t* pb;
        if (!pw.field(&pn, &pwire, &pv, &pb, &plen))
          return error(ctx + "malformed piece " + std::to_string(m.pieces.size()));
        if (pn == 1 && pwire == 2) piece.piece.assign(reinterpret_cast<const char*>(pb), plen);
        if (pn == 2 && pwire == 5) {
          const uint32_t u = (uint32_t)pv;
          std::memcpy(&piece.score, &u, 4);
        }
        if (pn == 3 && pwire == 0) {
          if (pv < 1 || pv > 6)
            return error(ctx + "piece " + std::to_string(m.pieces.size()) + " has unknown type " +
                         std::to_string(pv));
          piece.type = (SpPiece::Type)pv;
        }
      }
      m.pieces.push_back(std::move(piece));
    } else if ((num == 2 || num == 3) && wire == 2) {  // TrainerSpec / NormalizerSpec
      Wire sw(b, len);
      while (!sw.done()) {
        uint32_t sn, swire;
        uint64_t sv, slen;
        const uint8_t* sb;
        if (!sw.field(&sn, &swire, &sv, &sb, &slen))
          return error(ctx + (num == 2 ? "malformed trainer_spec" : "malformed normalizer_spec"));
        if (num == 2 && sn == 3 && swire == 0) m.model_type = (SpModel::ModelType)sv;
        if (num == 3 && sn == 3 && swire == 0) m.add_dummy_prefix = sv != 0;
      }
    }
  }
  if (m.pieces.empty()) return error(ctx + "no pieces");
  return m;
}

Result<SpModel> load_sentencepiece(const std::string& path) {
  UMA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(path));
  return parse_sentencepiece(f.data(), f.size(), path);
}

}  // namespace uma::convert
