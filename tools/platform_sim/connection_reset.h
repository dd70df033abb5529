// Resetting one accepted TCP connection from inside a request handler.
//
// The HTTP library hands handlers the peer's address and port but not the
// socket, so the sim looks the connection up in the kernel's TCP tables by its
// (local port, peer port), finds this process's descriptor for that socket
// inode, and disconnects it with an RST. The library's later write then fails
// and it closes the descriptor as usual; the client sees its connection reset
// with no response, the failure a flaky link or a crashing proxy produces.
//
// Thread-safe when called from the handler serving that connection: it reads
// /proc and acts only on the socket that handler owns.
#pragma once

#include <string>

#include "base/status.h"

namespace rvm::sim {

// Resets the TCP connection whose local port is `local_port` and whose peer is
// `peer_addr`:`peer_port`. NotFound when no such socket is open.
Status ResetTcpConnection(int local_port, const std::string& peer_addr, int peer_port);

}  // namespace rvm::sim
