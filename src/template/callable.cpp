// Namespace objects and Python-style argument binding for native functions.
#include "template/callable.h"

namespace uma::jinja {

std::string Namespace::repr(uint32_t depth) const {
  if (depth > kMaxDepth) return "<Namespace {...}>";
  std::string out = "<Namespace {";
  bool first = true;
  for (const auto& [k, v] : attrs_.items()) {
    if (!first) out += ", ";
    first = false;
    append_repr(out, k, depth + 1);
    out += ": ";
    append_repr(out, v, depth + 1);
  }
  return out + "}>";
}

std::optional<Value> Namespace::attr(std::string_view name) const {
  if (const Value* v = attrs_.find(name)) return *v;
  return std::nullopt;
}

uint32_t Namespace::depth(uint32_t budget) const {
  if (budget == 0) return kMaxDepth + 1;  // a cycle or an over-deep chain
  uint32_t d = 0;
  for (const auto& [k, v] : attrs_.items()) {
    const uint32_t vd = v.is_object() ? v.obj()->depth(budget - 1) : v.depth();
    d = std::max(d, vd);
  }
  return d + 1;
}

namespace {

bool reaches(const Value& v, const Object* target, uint32_t budget) {
  if (!v.has_objects()) return false;
  if (budget == 0) return true;  // too deep to tell: refuse, the depth limit would anyway
  if (v.is_object()) {
    if (v.obj() == target) return true;
    const auto* ns = dynamic_cast<const Namespace*>(v.obj());
    if (!ns) return false;
    for (const std::string_view name : ns->attr_names()) {
      if (reaches(*ns->attr(name), target, budget - 1)) return true;
    }
    return false;
  }
  if (v.is_dict()) {
    for (const auto& [k, val] : v.dict().items()) {
      if (reaches(val, target, budget - 1)) return true;
    }
    return false;
  }
  if (v.is_sequence()) {
    for (const Value& item : v.items()) {
      if (reaches(item, target, budget - 1)) return true;
    }
  }
  return false;
}

}  // namespace

bool Namespace::would_cycle(const Value& v) const { return reaches(v, this, kMaxDepth + 2); }

std::vector<std::string_view> Namespace::attr_names() const {
  std::vector<std::string_view> names;
  for (const auto& [k, v] : attrs_.items()) names.push_back(k.str());
  return names;
}

Result<std::vector<std::optional<Value>>> bind_args(std::string_view what,
                                                    std::initializer_list<std::string_view> params,
                                                    const CallArgs& args, size_t required) {
  std::vector<std::optional<Value>> out(params.size());
  if (args.args.size() > params.size()) {
    return error(std::string(what) + " takes at most " + std::to_string(params.size()) +
                 " argument(s) (" + std::to_string(args.args.size()) + " given)");
  }
  for (size_t i = 0; i < args.args.size(); i++) out[i] = args.args[i];
  for (const auto& [k, v] : args.kwargs) {
    size_t idx = 0;
    for (std::string_view p : params) {
      if (p == k) break;
      idx++;
    }
    if (idx == params.size()) {
      return error(std::string(what) + " got an unexpected keyword argument '" + k + "'");
    }
    if (out[idx]) {
      return error(std::string(what) + " got multiple values for argument '" + k + "'");
    }
    out[idx] = v;
  }
  for (size_t i = 0; i < required; i++) {
    if (!out[i]) {
      return error(std::string(what) + " missing required argument '" +
                   std::string(*(params.begin() + i)) + "'");
    }
  }
  return out;
}

}  // namespace uma::jinja
