// Delivery proof: kill -9. A driver process (delivery_crash_driver) appends
// items to an outbox and delivers them to the platform sim (in this process,
// on loopback) while this test SIGKILLs it at random moments, 50 times over
// one outbox. A final run drains the backlog. Afterwards every item the
// driver acknowledged is in the platform's books exactly once; deliveries
// repeated because a kill fell between the platform's acknowledgement and the
// outbox's MarkDelivered arrive as duplicates, which the platform's dedupe
// absorbs and counts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "platform_sim/platform_sim.h"
#include "uplink/uplink_test_util.h"

namespace rvm::uplink {
namespace {

using std::chrono::milliseconds;

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of its stdout
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return {pid, fds[0]};
}

// Reads what is available; complete lines go to `lines`, the rest stays in `partial`.
void Drain(int fd, std::string& partial, std::vector<std::string>& lines) {
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
  }
  size_t pos;
  while ((pos = partial.find('\n')) != std::string::npos) {
    lines.push_back(partial.substr(0, pos));
    partial.erase(0, pos + 1);
  }
}

TEST(DeliveryCrashTest, EveryAcknowledgedItemIsCreditedOnceAcrossFiftySigkills) {
  testing::ScopedTempDir dir;
  sim::PlatformSim sim(sim::PlatformSimOptions{});
  ASSERT_TRUE(sim.Start().ok());
  const std::string outbox_dir = dir.path() + "/outbox";

  constexpr int kCycles = 50;
  std::mt19937 rng(20260226);
  std::uniform_int_distribution<int> kill_after_ms(40, 400);
  std::set<std::string> acked;
  int killed = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    Child c = Spawn({RVM_CRASH_DRIVER, "--outbox", outbox_dir, "--url", sim.base_url(), "--prefix",
                     "c" + std::to_string(cycle), "--count", "1000"});
    ASSERT_GT(c.pid, 0);
    std::string partial;
    std::vector<std::string> lines;
    const auto kill_at = std::chrono::steady_clock::now() + milliseconds(kill_after_ms(rng));
    while (std::chrono::steady_clock::now() < kill_at) {
      Drain(c.out, partial, lines);
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(::kill(c.pid, SIGKILL), 0);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++killed;
    Drain(c.out, partial, lines);  // only complete lines: an ACK cut short never counted
    ::close(c.out);
    for (const auto& l : lines) {
      if (l.rfind("ACK ", 0) == 0) acked.insert(l.substr(4));
    }
  }
  EXPECT_EQ(killed, kCycles) << "every cycle ended in a SIGKILL, not an exit";

  Child drain =
      Spawn({RVM_CRASH_DRIVER, "--outbox", outbox_dir, "--url", sim.base_url(), "--drain"});
  int status = 0;
  ::waitpid(drain.pid, &status, 0);
  ::close(drain.out);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the final run drained the backlog";

  std::map<std::string, int> books;
  for (const auto& row : sim.Deposits()) ++books[row["item_id"].get<std::string>()];
  int missing = 0;
  for (const auto& id : acked) {
    if (books.count(id) == 0) ++missing;
  }
  for (const auto& [id, n] : books) EXPECT_EQ(n, 1) << id << " is in the books more than once";
  EXPECT_EQ(missing, 0) << "acknowledged items missing at the platform";
  EXPECT_GT(acked.size(), 100u) << "the kills left enough work to prove anything";
  const int64_t duplicates = sim.Stats()["duplicates"]["deposits"].get<int64_t>();
  std::printf(
      "crash proof: %d cycles, %zu items acknowledged, %zu in the books, %lld duplicate "
      "deliveries absorbed\n",
      kCycles, acked.size(), books.size(), static_cast<long long>(duplicates));
  RecordProperty("acknowledged", static_cast<int>(acked.size()));
  RecordProperty("duplicates", static_cast<int>(duplicates));
}

}  // namespace
}  // namespace rvm::uplink
