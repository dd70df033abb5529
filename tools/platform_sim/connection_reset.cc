#include "platform_sim/connection_reset.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace rvm::sim {
namespace {

// The port and printable address of a socket address; false for non-IP families.
bool Describe(const sockaddr_storage& sa, std::string& addr, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    port = ntohs(in->sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
    port = ntohs(in6->sin6_port);
  } else {
    return false;
  }
  addr = buf;
  return true;
}

bool Matches(int fd, int local_port, const std::string& peer_addr, int peer_port) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  sockaddr_storage local{}, peer{};
  socklen_t len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return false;
  len = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return false;
  std::string laddr, paddr;
  int lport = 0, pport = 0;
  if (!Describe(local, laddr, lport) || !Describe(peer, paddr, pport)) return false;
  return lport == local_port && pport == peer_port && paddr == peer_addr;
}

}  // namespace

Status ResetTcpConnection(int local_port, const std::string& peer_addr, int peer_port) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return IoError("connection reset: cannot list open descriptors");
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    if (Matches(static_cast<int>(fd), local_port, peer_addr, peer_port)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  if (found < 0) {
    return NotFound("connection reset: no socket for peer " + peer_addr + ":" +
                    std::to_string(peer_port));
  }
  // A zero linger makes the close abortive; connecting to AF_UNSPEC
  // disconnects an established TCP socket at once, which sends the RST.
  linger lg{1, 0};
  setsockopt(found, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  sockaddr sa{};
  sa.sa_family = AF_UNSPEC;
  if (connect(found, &sa, sizeof(sa)) != 0) shutdown(found, SHUT_RDWR);
  return Status::Ok();
}

}  // namespace rvm::sim
