#include "platform_sim/connection_reset.h"

#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rvm::sim {
namespace {

// The port of a /proc/net/tcp address field ("0100007F:1F90").
int PortOf(const std::string& field) {
  const size_t colon = field.rfind(':');
  if (colon == std::string::npos) return -1;
  return static_cast<int>(std::strtol(field.c_str() + colon + 1, nullptr, 16));
}

// The socket inode of the TCP connection with these ports, from the kernel's
// connection tables; 0 when there is none.
unsigned long FindInode(int local_port, int peer_port) {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (fields && PortOf(local) == local_port && PortOf(remote) == peer_port && inode != 0) {
        return inode;
      }
    }
  }
  return 0;
}

}  // namespace

Status ResetTcpConnection(int local_port, const std::string& peer_addr, int peer_port) {
  const unsigned long inode = FindInode(local_port, peer_port);
  if (inode == 0) {
    return NotFound("connection reset: no TCP connection from " + peer_addr + ":" +
                    std::to_string(peer_port));
  }
  // Descriptors are matched by their /proc link text only: other threads'
  // sockets are never touched, so a concurrent close elsewhere cannot race.
  const std::string target = "socket:[" + std::to_string(inode) + "]";
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return IoError("connection reset: cannot list open descriptors");
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    const std::string link_path = std::string("/proc/self/fd/") + entry->d_name;
    char buf[64];
    const ssize_t n = readlink(link_path.c_str(), buf, sizeof(buf));
    if (n > 0 && std::string(buf, static_cast<size_t>(n)) == target) {
      found = std::atoi(entry->d_name);
      break;
    }
  }
  closedir(dir);
  if (found < 0) return NotFound("connection reset: socket " + target + " is not ours");
  // A zero linger makes the close abortive; connecting to AF_UNSPEC
  // disconnects an established TCP socket at once, which sends the RST. The
  // descriptor belongs to the calling handler's connection, so it stays open
  // until the HTTP library closes it after the handler returns.
  linger lg{1, 0};
  setsockopt(found, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  sockaddr sa{};
  sa.sa_family = AF_UNSPEC;
  if (connect(found, &sa, sizeof(sa)) != 0) shutdown(found, SHUT_RDWR);
  return Status::Ok();
}

}  // namespace rvm::sim
