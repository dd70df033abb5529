#include "deposit/decision_sink.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rvm {

Result<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<JsonLinesSink>(new JsonLinesSink("standard output", stdout, false));
  }
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) {
    return IoError("decisions file '" + path +
                   "': cannot open for append: " + std::strerror(errno));
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, f, true));
}

JsonLinesSink::~JsonLinesSink() {
  if (owned_) {
    std::fclose(file_);
  } else {
    std::fflush(file_);
  }
}

Status JsonLinesSink::WriteLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fputc('\n', file_) == EOF || std::fflush(file_) != 0) {
    const int err = errno;
    std::clearerr(file_);
    return IoError("decisions file '" + path_ + "': write failed: " + std::strerror(err));
  }
  return Status::Ok();
}

Status JsonLinesSink::Write(const Decision& decision) {
  return WriteLine(DecisionToJson(decision).dump());
}

Status JsonLinesSink::WriteSessionSummary(const SessionSummary& summary) {
  return WriteLine(SessionSummaryToJson(summary).dump());
}

Status JsonLinesSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (std::fflush(file_) != 0) {
    return IoError("decisions file '" + path_ + "': flush failed: " + std::strerror(errno));
  }
  // Pipes, terminals and devices (/dev/null) cannot be synced; only a
  // regular file opened here is.
  struct stat st {};
  const bool regular = ::fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode);
  if (owned_ && regular && ::fsync(fileno(file_)) != 0) {
    return IoError("decisions file '" + path_ + "': fsync failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace rvm
