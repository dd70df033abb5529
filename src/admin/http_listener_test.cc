#include "admin/http_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/admin_flood.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace rvm::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A blocking client socket with a 3 s receive timeout.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{3, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void Send(const std::string& s) {
    [[maybe_unused]] ssize_t n = send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
  }
  // Reads until `marker` has arrived, the peer closes, or 3 s pass.
  std::string ReadUntil(const std::string& marker) {
    std::string got;
    char buf[4096];
    while (got.find(marker) == std::string::npos) {
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  // True when the server has closed the connection (EOF within 3 s).
  bool ClosedByServer() {
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd_, buf, sizeof(buf), 0)) > 0) {
    }
    return n == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class HttpListenerTest : public ::testing::Test {
 protected:
  void Start(HttpListenerOptions o, HttpHandler handler) {
    listener_ = std::make_unique<HttpListener>(std::move(o), std::move(handler));
    ASSERT_TRUE(listener_->Start().ok());
    ASSERT_GT(listener_->port(), 0);
  }
  static HttpAnswer Echo(const std::string& request, const Peer& peer) {
    return {Ok(peer.remote_ip + " " + request.substr(0, request.find('\r'))), false};
  }
  std::unique_ptr<HttpListener> listener_;
};

TEST_F(HttpListenerTest, AWholeRequestReachesTheHandlerWithItsPeer) {
  Start({}, Echo);
  Client c(listener_->port());
  c.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("HTTP/1.1"), HasSubstr("127.0.0.1 GET /hello HTTP/1.1"));
  // The connection is kept for the next request.
  c.Send("GET /again HTTP/1.1\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("again HTTP/1.1"), HasSubstr("GET /again"));
}

TEST_F(HttpListenerTest, AHeadSentALineAtATimeIsCutOffAtTheRequestDeadline) {
  HttpListenerOptions o;
  o.request_timeout = 300ms;
  Start(o, Echo);
  Client c(listener_->port());
  const auto start = Steady::now();
  c.Send("GET /slow HTTP/1.1\r\n");
  std::string answer;
  // A line every 50 ms would keep a per-line timeout happy for ever.
  for (int i = 0; i < 40 && answer.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    c.Send("X-Line-" + std::to_string(i) + ": 1\r\n");
    char buf[512];
    const ssize_t n = recv(c.fd(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) answer.assign(buf, static_cast<size_t>(n));
  }
  const auto waited = Steady::now() - start;
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 408"));
  EXPECT_LT(waited, 1500ms);
  EXPECT_EQ(listener_->counters().request_timeouts.load(), 1u);
}

TEST_F(HttpListenerTest, ABodyShorterThanItsContentLengthIsCutOffAtTheRequestDeadline) {
  HttpListenerOptions o;
  o.request_timeout = 300ms;
  Start(o, Echo);
  Client c(listener_->port());
  c.Send("POST /api/trigger HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"a\":");
  EXPECT_THAT(c.ReadUntil("\r\n"), StartsWith("HTTP/1.1 408"));
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpListenerTest, AnIdleConnectionIsClosedAfterTheIdleTimeout) {
  HttpListenerOptions o;
  o.idle_timeout = 200ms;
  Start(o, Echo);
  Client c(listener_->port());
  const auto start = Steady::now();
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_LT(Steady::now() - start, 1500ms);
  EXPECT_EQ(listener_->counters().idle_closed.load(), 1u);
}

TEST_F(HttpListenerTest, AClientAtItsLimitLosesItsOldestIdleConnectionToANewOne) {
  HttpListenerOptions o;
  o.connections.max_connections_per_client = 3;
  Start(o, Echo);
  Client oldest(listener_->port());
  std::this_thread::sleep_for(20ms);
  Client second(listener_->port());
  Client third(listener_->port());
  std::this_thread::sleep_for(50ms);
  Client fresh(listener_->port());
  fresh.Send("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(fresh.ReadUntil("HTTP/1.1"), HasSubstr("200 OK"));
  EXPECT_TRUE(oldest.ClosedByServer());
  EXPECT_EQ(listener_->counters().shed.load(), 1u);
  second.Send("GET /still HTTP/1.1\r\n\r\n");
  EXPECT_THAT(second.ReadUntil("/still"), HasSubstr("GET /still"));
}

TEST_F(HttpListenerTest, PriorityPathsAreAnsweredWhileEveryWorkerIsBusyAndAFullQueueGets503) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  HttpListenerOptions o;
  o.workers = 1;
  o.queue_depth = 1;
  o.priority_paths = {"/healthz"};
  Start(o, [&](const std::string& request, const Peer& peer) {
    if (request.starts_with("GET /block")) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return release; });
    }
    return Echo(request, peer);
  });
  Client busy(listener_->port());
  busy.Send("GET /block HTTP/1.1\r\n\r\n");  // holds the only general worker
  std::this_thread::sleep_for(100ms);
  Client queued(listener_->port());
  queued.Send("GET /block HTTP/1.1\r\n\r\n");  // fills the queue
  std::this_thread::sleep_for(100ms);
  Client refused(listener_->port());
  refused.Send("GET /other HTTP/1.1\r\n\r\n");
  EXPECT_THAT(refused.ReadUntil("}"), StartsWith("HTTP/1.1 503"));

  Client health(listener_->port());
  const auto start = Steady::now();
  health.Send("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(health.ReadUntil("/healthz"), HasSubstr("200 OK"));
  EXPECT_LT(Steady::now() - start, 500ms);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_THAT(busy.ReadUntil("/block"), HasSubstr("200 OK"));
  EXPECT_THAT(queued.ReadUntil("/block"), HasSubstr("200 OK"));
}

TEST_F(HttpListenerTest, AnOversizedBodyIsRefusedWithoutReadingIt) {
  HttpListenerOptions o;
  o.framing.max_body_bytes = 1024;
  Start(o, Echo);
  Client c(listener_->port());
  c.Send("POST /x HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("}"), StartsWith("HTTP/1.1 413"));
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpListenerTest, AFloodOfIdleAndSlowConnectionsLeavesEveryProbeAnswered) {
  // A small flood (the full one is admin_flood_test): it runs in the
  // sanitizer builds, where the loop, the gate and the lanes work under load.
  HttpListenerOptions o;
  o.connections.max_connections = 64;
  o.connections.max_connections_per_client = 16;
  o.request_timeout = 500ms;
  o.priority_paths = {"/healthz"};
  Start(o, Echo);
  FloodOptions f;
  f.port = listener_->port();
  f.idle = 50;
  f.slow = 50;
  f.sources = 4;
  f.duration = 1500ms;
  f.slow_line_every = 100ms;
  const FloodReport r = RunFlood(f);
  EXPECT_GE(r.probes, 10);
  EXPECT_EQ(r.probe_failures, 0) << r.first_failure;
  EXPECT_GT(r.closed_by_server, 0);
  EXPECT_GT(listener_->counters().shed.load(), 0u);
  EXPECT_GT(listener_->counters().request_timeouts.load(), 0u) << "slow heads are cut off";
}

TEST_F(HttpListenerTest, APortInUseIsAnErrorNamingAddressAndPort) {
  Start({}, Echo);
  HttpListenerOptions o;
  o.port = listener_->port();
  HttpListener second(o, Echo);
  const Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("127.0.0.1:" + std::to_string(listener_->port())));
}

}  // namespace
}  // namespace rvm::admin
