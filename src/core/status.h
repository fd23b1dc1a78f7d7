// Status and Result<T>: how untrusted input reports failure without exceptions or aborts.
// An error carries one human-readable line with context, e.g.
//   "gguf: tensor 'blk.3.attn_q.weight': data offset 123 beyond end of file (size 100)".
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace uma {

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string msg) { return Status(std::move(msg)); }

  bool is_ok() const { return !msg_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const std::string& message() const {
    static const std::string kEmpty;
    return msg_ ? *msg_ : kEmpty;
  }
  // Prefix the message with more context ("loading model: " + inner error).
  Status with_context(const std::string& ctx) const {
    return is_ok() ? *this : Status(ctx + ": " + *msg_);
  }

 private:
  explicit Status(std::string msg) : msg_(std::move(msg)) {}
  std::optional<std::string> msg_;
};

inline Status error(std::string msg) { return Status::error(std::move(msg)); }

// Result<T> holds either a value or an error Status. Access to value() on an error is a bug
// (CHECKed), so callers test ok() first or use UMA_TRY / UMA_ASSIGN_OR_RETURN.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status st) : v_(std::move(st)) {}   // NOLINT: implicit on purpose

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace uma

#define UMA_CONCAT_INNER(a, b) a##b
#define UMA_CONCAT(a, b) UMA_CONCAT_INNER(a, b)

// Return the Status if it is an error.
#define UMA_TRY(expr)                          \
  do {                                         \
    ::uma::Status uma_st_ = (expr);            \
    if (!uma_st_.is_ok()) return uma_st_;      \
  } while (0)

// `UMA_ASSIGN_OR_RETURN(auto x, f());` — unwrap a Result or return its error.
#define UMA_ASSIGN_OR_RETURN(lhs, expr)                                   \
  auto UMA_CONCAT(uma_res_, __LINE__) = (expr);                           \
  if (!UMA_CONCAT(uma_res_, __LINE__).ok())                               \
    return UMA_CONCAT(uma_res_, __LINE__).status();                       \
  lhs = std::move(UMA_CONCAT(uma_res_, __LINE__)).value()
