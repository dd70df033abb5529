#include "admin/http_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace rvm::admin {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Less than half of any sensible per-client limit (see Accept).
constexpr int kAcceptsPerTurn = 8;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// An answer the loop gives itself, without a handler: JSON {"error": ...}.
std::string ErrorResponse(int status, const std::string& message, bool close) {
  const std::string body = nlohmann::json{{"error", message}}.dump();
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) + "\r\n";
  r += "Content-Type: application/json\r\nCache-Control: no-store\r\n";
  if (status == 503) r += "Retry-After: 1\r\n";
  r += std::string("Connection: ") + (close ? "close" : "keep-alive") + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

std::pair<std::string, int> AddressOf(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    return {text, ntohs(a->sin_port)};
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
    return {text, ntohs(a->sin6_port)};
  }
  return {"", 0};
}

struct Job {
  uint64_t conn;
  std::string request;
  Peer peer;
};

// One queue of complete requests and the workers that drain it.
struct Lane {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> jobs;  // guarded by mu
  bool stopping = false;  // guarded by mu
  std::vector<std::thread> workers;
};

}  // namespace

struct HttpListener::Impl {
  enum class Phase { kIdle, kReading, kBusy, kWriting };
  struct Conn {
    int fd = -1;
    Peer peer;
    Phase phase = Phase::kIdle;
    std::string in;
    std::string out;
    size_t out_offset = 0;
    bool close_after = false;
    bool sent_continue = false;
    SteadyTime deadline;
  };

  Impl(const HttpListenerOptions& o, const HttpHandler& h, HttpListenerCounters& c)
      : options(o), handler(h), counters(c), gate(o.connections) {}

  const HttpListenerOptions& options;
  const HttpHandler& handler;
  HttpListenerCounters& counters;

  int listen_fd = -1;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::thread loop;
  Lane general, priority;

  std::mutex done_mu;
  std::vector<std::pair<uint64_t, HttpAnswer>> done;  // guarded by done_mu

  // Owned by the loop thread.
  ConnectionGate gate;
  std::unordered_map<uint64_t, Conn> conns;
  uint64_t next_id = 1;

  static int64_t Millis(SteadyTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }

  void Wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd, &one, sizeof(one));
  }

  void Work(Lane& lane) {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(lane.mu);
        lane.cv.wait(lock, [&] { return lane.stopping || !lane.jobs.empty(); });
        if (lane.jobs.empty()) return;
        job = std::move(lane.jobs.front());
        lane.jobs.pop_front();
      }
      HttpAnswer answer;
      try {
        answer = handler(job.request, job.peer);
      } catch (const std::exception& e) {
        answer = {ErrorResponse(500, std::string("internal error: ") + e.what(), true), true};
      }
      {
        std::lock_guard<std::mutex> lock(done_mu);
        done.emplace_back(job.conn, std::move(answer));
      }
      Wake();
    }
  }

  void Close(uint64_t id) {
    auto it = conns.find(id);
    if (it == conns.end()) return;
    close(it->second.fd);
    conns.erase(it);
    gate.Remove(id);
  }

  void BecomeIdle(uint64_t id, Conn& c, SteadyTime now) {
    c.phase = Phase::kIdle;
    c.out.clear();
    c.out_offset = 0;
    c.sent_continue = false;
    c.deadline = now + options.idle_timeout;
    gate.Update(id, ConnectionGate::State::kIdle, Millis(now));
  }

  // Starts writing `bytes`; the connection counts as busy until it is written.
  void Answer(uint64_t id, Conn& c, std::string bytes, bool close_after, SteadyTime now) {
    c.phase = Phase::kWriting;
    c.out = std::move(bytes);
    c.out_offset = 0;
    c.close_after = close_after;
    c.deadline = now + options.write_timeout;
    gate.Update(id, ConnectionGate::State::kBusy, Millis(now));
    Flush(id, c, now);
  }

  // Writes what the socket takes now. May close the connection.
  void Flush(uint64_t id, Conn& c, SteadyTime now) {
    while (c.out_offset < c.out.size()) {
      const ssize_t n =
          send(c.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_offset += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      return Close(id);
    }
    if (c.close_after) return Close(id);
    BecomeIdle(id, c, now);
    if (!c.in.empty()) Frame(id, c, now);  // a pipelined request
  }

  void Frame(uint64_t id, Conn& c, SteadyTime now) {
    if (c.phase == Phase::kIdle) {
      // The request's deadline runs from its first byte, and its age in the
      // gate from then too, so dribbling bytes does not make it look fresh.
      c.phase = Phase::kReading;
      c.deadline = now + options.request_timeout;
      gate.Update(id, ConnectionGate::State::kReading, Millis(now));
    }
    RequestFrame f = FrameRequest(c.in, options.framing);
    switch (f.kind) {
      case RequestFrame::Kind::kIncomplete:
        if (f.expects_continue && !c.sent_continue) {
          // Best effort: a client that gets no interim answer sends the body anyway.
          static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          [[maybe_unused]] ssize_t n = send(c.fd, kContinue, sizeof(kContinue) - 1, MSG_NOSIGNAL);
          c.sent_continue = true;
        }
        return;
      case RequestFrame::Kind::kRefused:
        c.in.clear();
        return Answer(id, c, ErrorResponse(f.status, f.reason, true), true, now);
      case RequestFrame::Kind::kComplete:
        break;
    }
    Job job{id, c.in.substr(0, f.size), c.peer};
    c.in.erase(0, f.size);
    c.phase = Phase::kBusy;
    gate.Update(id, ConnectionGate::State::kBusy, Millis(now));
    const bool urgent = std::find(options.priority_paths.begin(), options.priority_paths.end(),
                                  f.path) != options.priority_paths.end();
    Lane& lane = urgent ? priority : general;
    {
      std::lock_guard<std::mutex> lock(lane.mu);
      if (static_cast<int>(lane.jobs.size()) < options.queue_depth) {
        lane.jobs.push_back(std::move(job));
        lane.cv.notify_one();
        return;
      }
    }
    counters.busy_refusals++;
    Answer(id, c, ErrorResponse(503, "admin server busy, retry shortly", false), false, now);
  }

  void Read(uint64_t id, Conn& c, SteadyTime now) {
    char buf[16 * 1024];
    // A cap on what one connection may buffer: the largest request plus one
    // read, so a flood is refused by the framing rather than kept.
    const size_t cap = options.framing.max_head_bytes + options.framing.max_body_bytes;
    bool got = false;
    while (c.in.size() <= cap) {
      const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        got = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return Close(id);  // the client closed, or the connection failed
    }
    if (got) Frame(id, c, now);
  }

  // Accepts at most a few connections per turn of the loop: between turns
  // the loop reads what the connections it already has sent, so a request
  // that arrived (a supervisor's GET /healthz) is read, and counts as
  // under way, before a burst of new connections from the same address can
  // shed its connection as idle. The rest wait in the listen backlog.
  void Accept(SteadyTime now) {
    for (int i = 0; i < kAcceptsPerTurn; ++i) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // EAGAIN, or out of descriptors: try again on the next wake-up
      }
      counters.accepted++;
      Conn c;
      c.fd = fd;
      std::tie(c.peer.remote_ip, c.peer.remote_port) = AddressOf(ss);
      sockaddr_storage local{};
      socklen_t local_len = sizeof(local);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) {
        std::tie(c.peer.local_ip, c.peer.local_port) = AddressOf(local);
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      const uint64_t id = next_id++;
      ConnectionGate::Admission a = gate.Admit(id, c.peer.remote_ip, Millis(now));
      for (uint64_t victim : a.shed) {
        counters.shed++;
        auto it = conns.find(victim);
        if (it != conns.end()) {
          close(it->second.fd);
          conns.erase(it);
        }
      }
      if (!a.admitted) {
        counters.refused++;
        close(fd);
        continue;
      }
      c.deadline = now + options.idle_timeout;
      conns.emplace(id, std::move(c));
    }
  }

  void Expire(SteadyTime now) {
    std::vector<uint64_t> expired;
    for (auto& [id, c] : conns) {
      if (c.phase != Phase::kBusy && now >= c.deadline) expired.push_back(id);
    }
    for (uint64_t id : expired) {
      Conn& c = conns.at(id);
      if (c.phase == Phase::kReading) {
        counters.request_timeouts++;
        const std::string r = ErrorResponse(
            408, "request not received whole within " +
                     std::to_string(options.request_timeout.count()) + " ms",
            true);
        [[maybe_unused]] ssize_t n = send(c.fd, r.data(), r.size(), MSG_NOSIGNAL);
      } else if (c.phase == Phase::kIdle) {
        counters.idle_closed++;
      }
      Close(id);
    }
  }

  void Run() {
    std::vector<pollfd> fds;
    std::vector<uint64_t> ids;
    while (!stopping.load()) {
      fds.clear();
      ids.clear();
      fds.push_back({listen_fd, POLLIN, 0});
      fds.push_back({wake_fd, POLLIN, 0});
      SteadyTime next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      for (auto& [id, c] : conns) {
        short events = 0;
        if (c.phase == Phase::kIdle || c.phase == Phase::kReading) events = POLLIN;
        if (c.phase == Phase::kWriting) events = POLLOUT;
        if (c.phase != Phase::kBusy) next = std::min(next, c.deadline);
        fds.push_back({c.fd, events, 0});
        ids.push_back(id);
      }
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now());
      const int timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count() + 1, 0, 1000));
      if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
      const SteadyTime now = std::chrono::steady_clock::now();

      if (fds[1].revents & POLLIN) {
        uint64_t n;
        [[maybe_unused]] ssize_t r = read(wake_fd, &n, sizeof(n));
        std::vector<std::pair<uint64_t, HttpAnswer>> answers;
        {
          std::lock_guard<std::mutex> lock(done_mu);
          answers.swap(done);
        }
        for (auto& [id, answer] : answers) {
          auto it = conns.find(id);
          if (it == conns.end()) continue;
          Answer(id, it->second, std::move(answer.bytes), answer.close_after, now);
        }
      }
      for (size_t i = 0; i < ids.size(); ++i) {
        const short ev = fds[i + 2].revents;
        if (ev == 0) continue;
        auto it = conns.find(ids[i]);
        if (it == conns.end() || it->second.fd != fds[i + 2].fd) continue;
        Conn& c = it->second;
        if (c.phase == Phase::kWriting && (ev & POLLOUT)) {
          Flush(ids[i], c, now);
        } else if ((c.phase == Phase::kIdle || c.phase == Phase::kReading) &&
                   (ev & (POLLIN | POLLHUP | POLLERR))) {
          Read(ids[i], c, now);
        } else if (ev & (POLLHUP | POLLERR)) {
          if (c.phase != Phase::kBusy) Close(ids[i]);
        }
      }
      // New connections after the old ones were served: shedding may close
      // a connection whose bytes this round has just read.
      if (fds[0].revents & POLLIN) Accept(now);
      Expire(now);
    }
    for (auto& [id, c] : conns) close(c.fd);
    conns.clear();
  }
};

HttpListener::HttpListener(HttpListenerOptions options, HttpHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpListener::~HttpListener() { Stop(); }

Status HttpListener::Start() {
  if (impl_) return InvalidArgument("listener already started");
  const std::string where = options_.bind_address + ":" + std::to_string(options_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(options_.port);
  if (const int rc = getaddrinfo(options_.bind_address.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return Unavailable("cannot listen on " + where + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return Unavailable("cannot listen on " + where + " (" + error + ")");
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = AddressOf(bound).second;

  impl_ = std::make_unique<Impl>(options_, handler_, counters_);
  impl_->listen_fd = fd;
  impl_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    impl_->general.workers.emplace_back([this] { impl_->Work(impl_->general); });
  }
  if (!options_.priority_paths.empty()) {
    impl_->priority.workers.emplace_back([this] { impl_->Work(impl_->priority); });
  }
  impl_->loop = std::thread([this] { impl_->Run(); });
  return Status::Ok();
}

void HttpListener::Stop() {
  if (!impl_) return;
  impl_->stopping = true;
  impl_->Wake();
  if (impl_->loop.joinable()) impl_->loop.join();
  for (Lane* lane : {&impl_->general, &impl_->priority}) {
    {
      std::lock_guard<std::mutex> lock(lane->mu);
      lane->stopping = true;
      lane->jobs.clear();
    }
    lane->cv.notify_all();
    for (std::thread& t : lane->workers) t.join();
  }
  close(impl_->listen_fd);
  close(impl_->wake_fd);
  impl_.reset();
  port_ = -1;
}

}  // namespace rvm::admin
