// Process-crash proof: a child process appends from several threads and
// reports each acknowledged item id through a pipe; the parent kills it with
// SIGKILL at a random moment, reopens the outbox and checks that every
// acknowledged id is present exactly once, with its image, and that no image
// is left without a record. Many cycles, so the kill lands at every step of
// the write path (image written, renamed, row inserted, commit in flight).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "outbox/outbox.h"
#include "outbox/test_util.h"

namespace rvm::outbox {
namespace {

constexpr int kCycles = 25;
constexpr int kThreads = 4;

// Runs in the child until killed; never returns.
[[noreturn]] void AppendUntilKilled(const OutboxOptions& options, int cycle, int report_fd) {
  auto outbox = Outbox::Open(options, PosixEnv(), SteadyClock::Instance());
  if (!outbox.ok()) _exit(3);
  std::vector<uint8_t> image = MakeImage(4096, static_cast<uint8_t>(cycle));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        NewRecord r = MakeRecord("c" + std::to_string(cycle) + "-t" + std::to_string(t) + "-" +
                                 std::to_string(i));
        if (i % 3 == 0) r.evidence_jpeg = image;
        if (!(*outbox)->Append(r).ok()) _exit(4);
        std::string line = r.item_id + "\n";  // shorter than PIPE_BUF: written atomically
        if (::write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          _exit(5);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

// Reads until end of file, or only until the first complete line when
// `first_line_only`; appends to `all`.
void ReadInto(int fd, std::string& all, bool first_line_only) {
  char buf[4096];
  ssize_t n;
  while ((!first_line_only || all.find('\n') == std::string::npos) &&
         (n = ::read(fd, buf, sizeof buf)) > 0) {
    all.append(buf, static_cast<size_t>(n));
  }
}

std::vector<std::string> Lines(const std::string& all) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(all.substr(start, end - start));
  }
  return lines;
}

TEST(OutboxCrashTest, EveryAcknowledgedItemSurvivesSigkillExactlyOnce) {
  ScopedTempDir dir;
  OutboxOptions options;
  options.dir = dir.path() + "/outbox";
  std::mt19937 rng(12345);
  std::set<std::string> acknowledged;
  int64_t killed_mid_run = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      AppendUntilKilled(options, cycle, fds[1]);
    }
    ::close(fds[1]);
    // Wait for the first acknowledgement (start-up is slow under sanitizers),
    // then kill at a random moment of steady appending.
    std::string reported;
    ReadInto(fds[0], reported, /*first_line_only=*/true);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 150)(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) ++killed_mid_run;
    ReadInto(fds[0], reported, /*first_line_only=*/false);
    std::vector<std::string> lines = Lines(reported);
    ::close(fds[0]);
    acknowledged.insert(lines.begin(), lines.end());

    FakeClock clock;
    auto outbox = Outbox::Open(options, PosixEnv(), clock);
    ASSERT_TRUE(outbox.ok()) << "cycle " << cycle << ": " << outbox.status().ToString();
    auto records = (*outbox)->List({.limit = 1'000'000});
    ASSERT_TRUE(records.ok());
    std::map<std::string, int> seen;
    int64_t stored_images = 0;
    int64_t last_seq = 0;
    for (const StoredRecord& r : *records) {
      ++seen[r.item_id];
      EXPECT_GT(r.seq, last_seq);
      last_seq = r.seq;
      EXPECT_NE(r.evidence, EvidenceState::kMissing) << r.item_id;
      if (r.evidence == EvidenceState::kStored) {
        ++stored_images;
        EXPECT_TRUE((*outbox)->ReadEvidence(r.seq).ok()) << r.item_id;
      }
    }
    for (const std::string& id : acknowledged) {
      ASSERT_EQ(seen[id], 1) << "cycle " << cycle << ": acknowledged item " << id;
    }
    auto spool = PosixEnv().ListDir(options.dir + "/spool");
    ASSERT_TRUE(spool.ok());
    EXPECT_EQ(static_cast<int64_t>(spool->size()), stored_images) << "cycle " << cycle;
    // An id acknowledged before the crash is recognised after it.
    if (!lines.empty()) {
      auto again = (*outbox)->Append(MakeRecord(lines.front()));
      ASSERT_TRUE(again.ok());
      EXPECT_TRUE(again->already_present);
    }
  }
  EXPECT_EQ(killed_mid_run, kCycles);
  EXPECT_GE(acknowledged.size(), static_cast<size_t>(kCycles));
  std::cout << "acknowledged " << acknowledged.size() << " items over " << kCycles
            << " SIGKILL cycles\n";
}

}  // namespace
}  // namespace rvm::outbox
