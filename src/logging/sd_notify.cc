#include "logging/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace rvm {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// Closes a descriptor when it goes out of scope.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  const int fd_;
};

}  // namespace

Status NotifyServiceManagerAt(const std::string& socket, std::string_view state) {
  if (socket.empty()) return Status::Ok();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const bool abstract = socket.front() == '@';
  if (!abstract && socket.front() != '/') {
    return InvalidArgument(fmt::format(
        "NOTIFY_SOCKET '{}': neither an absolute path nor an abstract name ('@...')", socket));
  }
  if (socket.size() >= sizeof(addr.sun_path)) {
    return InvalidArgument(
        fmt::format("NOTIFY_SOCKET '{}': longer than {} bytes", socket, sizeof(addr.sun_path) - 1));
  }
  std::memcpy(addr.sun_path, socket.data(), socket.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size());
  if (abstract) {
    addr.sun_path[0] = '\0';  // abstract names have no terminator; the length bounds them
  } else {
    length += 1;
  }

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(fmt::format("notify socket: {}", std::strerror(errno)));
  FdCloser closer(fd);
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&addr), length);
  if (sent < 0) {
    return Unavailable(fmt::format("NOTIFY_SOCKET '{}': {}", socket, std::strerror(errno)));
  }
  if (static_cast<size_t>(sent) != state.size()) {
    return IoError(
        fmt::format("NOTIFY_SOCKET '{}': sent {} of {} bytes", socket, sent, state.size()));
  }
  return Status::Ok();
}

Status NotifyServiceManager(std::string_view state) {
  return NotifyServiceManagerAt(Env("NOTIFY_SOCKET"), state);
}

Status NotifyReady() { return NotifyServiceManager("READY=1"); }

Status NotifyReloading() {
  // Type=notify-reload (systemd 253+) requires MONOTONIC_USEC beside
  // RELOADING=1 to match the reload to its request; older versions ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
  return NotifyServiceManager(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec));
}

Status NotifyStopping() { return NotifyServiceManager("STOPPING=1"); }

Status NotifyWatchdog() { return NotifyServiceManager("WATCHDOG=1"); }

Status NotifyStatus(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n') c = ' ';  // a newline would start another KEY=VALUE
  }
  return NotifyServiceManager("STATUS=" + line);
}

std::optional<std::chrono::microseconds> WatchdogInterval() {
  const std::string usec = Env("WATCHDOG_USEC");
  if (usec.empty()) return std::nullopt;
  const std::string pid = Env("WATCHDOG_PID");
  if (!pid.empty() && pid != std::to_string(::getpid())) return std::nullopt;
  char* end = nullptr;
  const long long value = std::strtoll(usec.c_str(), &end, 10);
  if (end == usec.c_str() || *end != '\0' || value <= 0) return std::nullopt;
  return std::chrono::microseconds(value);
}

}  // namespace rvm
