// The rvm-platform-sim executable as a parent process uses it: start it on
// port 0, read the port from its first line, talk to it, stop it with SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kBinary = RVM_BINARY_DIR "/tools/platform_sim/rvm-platform-sim";

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

// Runs the sim with `args`; its stdout (and stderr, when asked) reads from `out`.
Child Spawn(std::vector<std::string> args, bool with_stderr = false) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (with_stderr) dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kBinary));
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(kBinary, argv.data());
    _exit(127);
  }
  close(fds[1]);
  return {pid, fdopen(fds[0], "r")};
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(PlatformSimMainTest, PrintsItsPortServesAndStopsCleanlyOnSigterm) {
  Child c = Spawn(
      {"--port", "0", "--machine", "3:main-test-key:Main", "--faults", R"({"latency_ms":1})"});
  ASSERT_GT(c.pid, 0);
  char line[256] = {};
  ASSERT_NE(fgets(line, sizeof(line), c.out), nullptr);
  const std::string text = line;
  ASSERT_EQ(text.rfind("listening on 127.0.0.1:", 0), 0u) << text;
  const int port = std::stoi(text.substr(text.rfind(':') + 1));
  ASSERT_GT(port, 0);
  {
    httplib::Client client("127.0.0.1", port);
    auto r = client.Post("/api/v1/edge/heartbeat",
                         {{"Accept", "application/json"}, {"X-RVM-API-KEY", "main-test-key"}}, "{}",
                         "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto faults = client.Get("/sim/faults");
    ASSERT_TRUE(faults);
    EXPECT_NE(faults->body.find("\"latency_ms\":1"), std::string::npos);
  }
  kill(c.pid, SIGTERM);
  EXPECT_EQ(WaitExit(c.pid), 0);
  fclose(c.out);
}

TEST(PlatformSimMainTest, BadFlagsExitWithUsageErrorNamingTheFlag) {
  Child c = Spawn({"--faults", R"({"latencyms":1})"}, /*with_stderr=*/true);
  ASSERT_GT(c.pid, 0);
  std::string output;
  char buf[256];
  while (fgets(buf, sizeof(buf), c.out) != nullptr) output += buf;
  EXPECT_EQ(WaitExit(c.pid), 2);
  EXPECT_NE(output.find("'latencyms': unknown setting"), std::string::npos) << output;
  fclose(c.out);
}

}  // namespace
