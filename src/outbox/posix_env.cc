#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/file_util.h"
#include "outbox/env.h"

namespace rvm::outbox {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = "'" + path + "': " + what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhausted(msg);
  if (err == ENOENT) return NotFound(msg);
  return IoError(msg);
}

Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open for sync", path, errno);
  Status s;
  if (::fsync(fd) != 0) s = ErrnoStatus("fsync failed", path, errno);
  ::close(fd);
  return s;
}

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // closing releases the flock

 private:
  int fd_;
};

class PosixEnvImpl final : public Env {
 public:
  Status WriteFile(const std::string& path, std::string_view data) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("cannot create", path, errno);
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = ErrnoStatus("write failed", path, errno);
        ::close(fd);
        return s;
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) return ErrnoStatus("close failed", path, errno);
    return Status::Ok();
  }

  Status SyncFile(const std::string& path) override { return SyncPath(path, O_RDONLY); }

  Status SyncDir(const std::string& dir) override { return SyncPath(dir, O_RDONLY | O_DIRECTORY); }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("cannot rename to '" + to + "'", from, errno);
    }
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("cannot remove", path, errno);
    return Status::Ok();
  }

  Status CreateDir(const std::string& dir) override { return CreateDirectories(dir); }

  Result<std::vector<uint8_t>> ReadFile(const std::string& path) override {
    return ReadFileBytes(path, "file");
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      if (it->is_regular_file(type_ec)) names.push_back(it->path().filename().string());
    }
    if (ec) return IoError("directory '" + dir + "': cannot list: " + ec.message());
    return names;
  }

  Result<uint64_t> FreeBytes(const std::string& dir) override {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) return ErrnoStatus("cannot statvfs", dir, errno);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("cannot open lock file", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Unavailable("'" + path + "': locked by another process (is the agent running?)");
      }
      return ErrnoStatus("cannot lock", path, err);
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd));
  }
};

}  // namespace

Env& PosixEnv() {
  static PosixEnvImpl env;
  return env;
}

}  // namespace rvm::outbox
