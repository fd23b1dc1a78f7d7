// Safetensors parsing with every header field checked against the mapped file, so a truncated
// download or a hand-edited header is reported with the file and tensor instead of read past.
#include "convert/safetensors.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "core/checked_math.h"

namespace uma::convert {

namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit is 100 MB

uint32_t elem_size(StDType t) { return t == StDType::F32 ? 4 : 2; }

Result<std::string> read_text(const std::string& path) {
  UMA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(path));
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

}  // namespace

uint64_t StTensor::n_elements() const {
  uint64_t n = 1;
  for (int64_t d : shape) n *= (uint64_t)d;
  return n;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile st;
  UMA_ASSIGN_OR_RETURN(st.file_, MappedFile::open(path));
  const std::string ctx = path + ": safetensors: ";
  const uint64_t size = st.file_.size();
  if (size < 8) return error(ctx + "file too short for a header (" + std::to_string(size) + " bytes)");
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | st.file_.data()[i];
  if (hlen > kMaxHeaderBytes || hlen > size - 8)
    return error(ctx + "header size " + std::to_string(hlen) + " beyond the file (size " +
                 std::to_string(size) + "); truncated or not a safetensors file");
  const char* hb = reinterpret_cast<const char*>(st.file_.data() + 8);
  const json h = json::parse(hb, hb + hlen, nullptr, /*allow_exceptions=*/false);
  if (h.is_discarded() || !h.is_object()) return error(ctx + "header is not a JSON object");
  const uint8_t* data = st.file_.data() + 8 + hlen;
  const uint64_t data_size = size - 8 - hlen;

  for (const auto& [name, e] : h.items()) {
    if (name == "__metadata__") continue;
    const std::string tctx = ctx + "tensor '" + name + "': ";
    if (!e.is_object()) return error(tctx + "entry is not an object");
    StTensor t;
    t.name = name;
    t.file = path;
    const auto dt = e.find("dtype");
    if (dt == e.end() || !dt->is_string()) return error(tctx + "missing dtype");
    const std::string d = dt->get<std::string>();
    if (d == "F32") t.dtype = StDType::F32;
    else if (d == "F16") t.dtype = StDType::F16;
    else if (d == "BF16") t.dtype = StDType::BF16;
    else return error(tctx + "dtype " + d + " is not supported (F32, F16, BF16)");
    const auto sh = e.find("shape");
    if (sh == e.end() || !sh->is_array() || sh->size() > 4)
      return error(tctx + "shape must be an array of at most 4 dimensions");
    uint64_t n = 1;
    for (const auto& x : *sh) {
      if (!x.is_number_unsigned() || x.get<uint64_t>() > (uint64_t)std::numeric_limits<int64_t>::max())
        return error(tctx + "shape holds a value that is not a count");
      t.shape.push_back((int64_t)x.get<uint64_t>());
      if (!checked_mul(n, x.get<uint64_t>(), &n)) return error(tctx + "element count overflows");
    }
    const auto off = e.find("data_offsets");
    if (off == e.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      return error(tctx + "data_offsets must be two byte offsets");
    const uint64_t b = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (b > end || end > data_size)
      return error(tctx + "data [" + std::to_string(b) + ", " + std::to_string(end) +
                   ") beyond the end of the data (" + std::to_string(data_size) +
                   " bytes); the file is truncated");
    uint64_t want = 0;
    if (!checked_mul(n, (uint64_t)elem_size(t.dtype), &want) || want != end - b)
      return error(tctx + "data size " + std::to_string(end - b) + " does not match " + d +
                   " × shape");
    t.data = data + b;
    t.nbytes = want;
    st.tensors_.push_back(std::move(t));
  }
  std::sort(st.tensors_.begin(), st.tensors_.end(),
            [](const StTensor& a, const StTensor& b) { return a.name < b.name; });
  return st;
}

Result<Checkpoint> Checkpoint::open_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  Checkpoint c;
  std::error_code ec;
  std::set<std::string> names;
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::is_regular_file(index, ec)) {
    UMA_ASSIGN_OR_RETURN(std::string text, read_text(index.string()));
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") ||
        !j["weight_map"].is_object())
      return error(index.string() + ": not valid JSON with a 'weight_map' object");
    for (const auto& [tensor, file] : j["weight_map"].items()) {
      if (!file.is_string()) return error(index.string() + ": weight_map['" + tensor + "'] is not a file name");
      const std::string f = file.get<std::string>();
      if (f.empty() || f.find('/') != std::string::npos || f == "..")
        return error(index.string() + ": weight_map names '" + f + "', not a file in the folder");
      names.insert(f);
    }
    for (const auto& f : names)
      if (!fs::is_regular_file(fs::path(dir) / f, ec))
        return error(index.string() + ": lists " + f + ", which is missing from " + dir);
  } else {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string f = e.path().filename().string();
      if (f.rfind("model", 0) == 0 && f.size() > 12 && f.substr(f.size() - 12) == ".safetensors")
        names.insert(f);
    }
  }
  if (names.empty())
    return error(dir + ": no model*.safetensors files (PyTorch .bin checkpoints are not supported)");
  std::unordered_set<std::string> seen;
  for (const auto& f : names) {
    const std::string path = (fs::path(dir) / f).string();
    UMA_ASSIGN_OR_RETURN(SafetensorsFile sf, SafetensorsFile::open(path));
    auto owned = std::make_unique<SafetensorsFile>(std::move(sf));
    for (const auto& t : owned->tensors()) {
      if (!seen.insert(t.name).second)
        return error(path + ": tensor '" + t.name + "' also appears in an earlier file");
      c.tensors_.push_back(t);
    }
    c.files_.push_back(std::move(owned));
    c.names_.push_back(f);
  }
  return c;
}

const StTensor* Checkpoint::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace uma::convert
