#include "admin/admin_flood.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "admin/request_framing.h"

namespace rvm::admin {
namespace {

using Steady = std::chrono::steady_clock;

// A connection to 127.0.0.1:port from 127.0.0.`source`; -1 on failure.
int Connect(int port, int source, bool nonblocking) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x7f000000u + static_cast<uint32_t>(source));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return -1;
  }
  if (nonblocking) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

struct FloodConn {
  int fd = -1;
  bool slow = false;
  int source = 1;
  int lines = 0;
};

class Flood {
 public:
  Flood(const FloodOptions& o, FloodReport& r) : o_(o), r_(r) {}

  void Run(const std::atomic<bool>& stop) {
    std::vector<FloodConn> conns;
    for (int i = 0; i < o_.idle + o_.slow; ++i) {
      conns.push_back({-1, i >= o_.idle, 1 + i % std::max(1, o_.sources), 0});
    }
    auto next_line = Steady::now();
    while (!stop.load()) {
      for (FloodConn& c : conns) {
        if (c.fd >= 0) {
          char buf[512];
          const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            close(c.fd);
            c.fd = -1;
            r_.closed_by_server++;
          }
        }
        if (c.fd < 0 && !stop.load()) {
          c.fd = Connect(o_.port, c.source, /*nonblocking=*/true);
          c.lines = 0;
          if (c.fd >= 0) r_.opened++;
          if (c.fd >= 0 && c.slow) Send(c, "GET /api/status HTTP/1.1\r\n");
        }
      }
      if (Steady::now() >= next_line) {
        for (FloodConn& c : conns) {
          if (c.fd >= 0 && c.slow) Send(c, "X-Slow-" + std::to_string(c.lines++) + ": 1\r\n");
        }
        next_line += o_.slow_line_every;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (FloodConn& c : conns) {
      if (c.fd >= 0) {
        r_.open_at_end++;
        close(c.fd);
      }
    }
  }

 private:
  static void Send(FloodConn& c, const std::string& s) {
    [[maybe_unused]] ssize_t n = send(c.fd, s.data(), s.size(), MSG_NOSIGNAL);
  }
  const FloodOptions& o_;
  FloodReport& r_;  // this thread only while it runs
};

// Whether `answer` holds a whole response. A response is framed as a request
// is, a head and then Content-Length bytes of body, so the listener's framing
// says; what it cannot frame is read until the server closes. A server may
// keep the connection open after answering, so the end of the answer is not
// the end of the stream.
bool AnswerComplete(const std::string& answer) {
  return FrameRequest(answer, FramingLimits{}).kind == RequestFrame::Kind::kComplete;
}

// The probe's address: one past the flood's.
int ProbeSource(const FloodOptions& o) { return std::max(1, o.sources) + 1; }

// One probe: true and its time in ms, or false and why.
bool Probe(const FloodOptions& o, double* ms, std::string* why) {
  const auto start = Steady::now();
  const int fd = Connect(o.port, ProbeSource(o), /*nonblocking=*/false);
  if (fd < 0) {
    *why = "connect failed";
    return false;
  }
  const std::string request =
      "GET " + o.probe_path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string answer;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    char buf[4096];
    ssize_t n;
    while (!AnswerComplete(answer) && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
      answer.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  *ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
  if (answer.rfind("HTTP/1.1 200", 0) != 0) {
    *why = answer.empty() ? "no answer" : answer.substr(0, answer.find('\r'));
    return false;
  }
  return true;
}

}  // namespace

FloodReport RunFlood(const FloodOptions& options) {
  FloodReport report;
  std::atomic<bool> stop{false};
  Flood flood(options, report);
  std::thread holder([&] { flood.Run(stop); });
  // Let the flood fill the server before the first probe.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<double> times;
  const auto end = Steady::now() + options.duration;
  while (Steady::now() < end) {
    double ms = 0;
    std::string why;
    report.probes++;
    if (Probe(options, &ms, &why)) {
      times.push_back(ms);
    } else {
      report.probe_failures++;
      if (report.first_failure.empty()) report.first_failure = why;
    }
    std::this_thread::sleep_for(options.probe_every);
  }
  stop = true;
  holder.join();
  report.probe_ms = Summarize(std::move(times));
  return report;
}

}  // namespace rvm::admin
