#include "base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace rvm {
namespace {

std::string Errno() { return std::strerror(errno); }

Status OpenForRead(const std::string& path, std::string_view what, int* fd, size_t* size) {
  *fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (*fd < 0) {
    if (errno == ENOENT) return NotFound(std::string(what) + " '" + path + "': no such file");
    return IoError(std::string(what) + " '" + path + "': cannot open: " + Errno());
  }
  struct stat st {};
  if (::fstat(*fd, &st) != 0) {
    Status s = IoError(std::string(what) + " '" + path + "': cannot stat: " + Errno());
    ::close(*fd);
    return s;
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(*fd);
    return InvalidArgument(std::string(what) + " '" + path + "': is a directory");
  }
  *size = static_cast<size_t>(st.st_size);
  return Status::Ok();
}

Status ReadAll(int fd, const std::string& path, std::string_view what, uint8_t* dst, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, dst + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(std::string(what) + " '" + path + "': read failed: " + Errno());
    }
    if (n == 0) return IoError(std::string(what) + " '" + path + "': file shrank while reading");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status ReadFileInto(const std::string& path, std::vector<uint8_t>& out, std::string_view what) {
  int fd = -1;
  size_t size = 0;
  RVM_RETURN_IF_ERROR(OpenForRead(path, what, &fd, &size));
  out.resize(size);
  Status s = ReadAll(fd, path, what, out.data(), size);
  ::close(fd);
  return s;
}

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path, std::string_view what) {
  std::vector<uint8_t> out;
  Status s = ReadFileInto(path, out, what);
  if (!s.ok()) return s;
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::filesystem::path target(path);
  std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("'" + tmp + "': cannot create: " + Errno());
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = IoError("'" + tmp + "': write failed: " + Errno());
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = IoError("'" + tmp + "': fsync failed: " + Errno());
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = IoError("'" + path + "': rename failed: " + Errno());
    ::unlink(tmp.c_str());
    return s;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

Status CreateDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IoError("directory '" + path + "': cannot create: " + ec.message());
  return Status::Ok();
}

std::string_view WithoutUtf8Bom(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  return text;
}

}  // namespace rvm
