// HttpListener: one listening TCP socket whose connections are read by a
// single loop thread (poll), so that reading a request costs no worker. A
// worker gets a request only once all of it has arrived (request_framing.h),
// and the loop writes the answer back without blocking. This is what keeps
// the admin port answering while clients hold connections open and idle or
// send their headers a byte at a time:
//
//   * admission: ConnectionGate bounds connections in total and per client
//     address, shedding the oldest idle one (then the oldest unfinished
//     request) of the client's own, or over the total of the client holding
//     the most, to admit a new one;
//   * deadlines: a request must arrive whole (head and body) within
//     `request_timeout` of its first byte, else 408 and close; a connection
//     idle for `idle_timeout` is closed; an answer not taken by the client
//     within `write_timeout` is dropped with its connection;
//   * lanes: requests for `priority_paths` (/healthz, /readyz) go to a worker
//     of their own, so they are answered while every general worker is busy;
//     a request that finds its lane's queue full is answered 503 at once.
//
// The handler runs on a worker thread, concurrently with other calls; it gets
// the raw request bytes and returns the raw response bytes.
//
// Thread-safety: Start and Stop from one controlling thread; port() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admin/connection_gate.h"
#include "admin/request_framing.h"
#include "base/status.h"

namespace rvm::admin {

struct HttpListenerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 0;  // 0 = any free port
  int workers = 4;            // threads for general requests
  int queue_depth = 64;       // complete requests waiting per lane; beyond: 503
  ConnectionLimits connections;
  FramingLimits framing;
  // From the first byte of a request to its last; the whole request, not each
  // line, so a client dribbling headers cannot extend it.
  std::chrono::milliseconds request_timeout{5000};
  // Open with no request under way (new, or kept alive after an answer).
  std::chrono::milliseconds idle_timeout{10000};
  // For the client to take an answer.
  std::chrono::milliseconds write_timeout{5000};
  // Served by a reserved worker; empty = one lane for everything.
  std::vector<std::string> priority_paths;
};

// Who sent a request, as the handler is told.
struct Peer {
  std::string remote_ip;
  int remote_port = 0;
  std::string local_ip;
  int local_port = 0;
};

struct HttpAnswer {
  std::string bytes;           // the whole response: status line, headers, body
  bool close_after = false;    // close the connection once it is written
};

using HttpHandler = std::function<HttpAnswer(const std::string& request, const Peer& peer)>;

// Counters since Start; read from any thread.
struct HttpListenerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> shed{0};             // closed to admit another connection
  std::atomic<uint64_t> refused{0};          // not admitted: every slot busy
  std::atomic<uint64_t> request_timeouts{0}; // 408: request not whole in time
  std::atomic<uint64_t> idle_closed{0};
  std::atomic<uint64_t> busy_refusals{0};    // 503: lane queue full
};

class HttpListener {
 public:
  HttpListener(HttpListenerOptions options, HttpHandler handler);
  ~HttpListener();  // stops
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds (SO_REUSEADDR, not SO_REUSEPORT: a port in use must fail) and starts
  // the loop and the workers. The error names the address and port.
  Status Start();
  // Closes the socket and every connection and joins the threads; requests
  // being handled finish first. Idempotent.
  void Stop();

  int port() const { return port_; }
  const HttpListenerCounters& counters() const { return counters_; }

 private:
  struct Impl;
  const HttpListenerOptions options_;
  const HttpHandler handler_;
  HttpListenerCounters counters_;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> port_{-1};
};

}  // namespace rvm::admin
