// Status and Result<T>: the one error style across module boundaries.
//
// A Status is either OK or carries a code and a message that names the thing
// that failed and what is wrong with it ("model 'x.onnx': file is truncated").
// Result<T> holds either a value or a non-OK Status. Both are plain values and
// safe to copy between threads; neither is internally synchronised.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace rvm {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // bad input from the caller or a file (corrupt image, bad config)
  kNotFound,           // a file or resource does not exist
  kUnsupported,        // well-formed, but not something this build can handle
  kIoError,            // the operating system refused a read or write
  kResourceExhausted,  // a limit was hit (pixel limit, disk quota, pool)
  kUnavailable,        // a peer or device is (perhaps temporarily) unreachable
  kInternal,           // a library failed in a way the caller cannot fix
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: model 'x.onnx': ..." or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result constructed from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace rvm

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define RVM_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::rvm::Status rvm_status_ = (expr);        \
    if (!rvm_status_.ok()) return rvm_status_; \
  } while (0)
