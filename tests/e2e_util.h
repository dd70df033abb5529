// Helpers shared by the end-to-end tests that run the real binaries.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace rvm::e2e {

// The whole file, or "" when it cannot be read.
inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The records of a JSON-lines file (a decisions file) whose "type" is `type`,
// in file order. A last line without its newline is still being written and
// is left out; any other line that is not a JSON object fails the test.
inline std::vector<nlohmann::json> JsonRecords(const std::filesystem::path& p,
                                               const std::string& type) {
  std::vector<nlohmann::json> v;
  const std::string text = ReadAll(p);
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) {
      ADD_FAILURE() << p << ": not a JSON object: " << line;
    } else if (j.value("type", "") == type) {
      v.push_back(std::move(j));
    }
  }
  return v;
}

// Polls `done` every 50 ms until it holds or `limit` passes; its last answer.
inline bool WaitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// What `rvm-edge ARGS` printed and how it exited.
struct CliResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs the built `rvm-edge` with `args` through the shell; stderr passes through `err_file`,
// which is removed afterwards.
inline CliResult RunRvmEdge(const std::string& args, const std::filesystem::path& err_file) {
  const std::string cmd =
      std::string(RVM_BINARY_DIR) + "/rvm-edge " + args + " 2>" + err_file.string();
  CliResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadAll(err_file);
  std::filesystem::remove(err_file);
  return r;
}

// A replayable chute sequence in `seq` (created): frame_000.jpg, frame_001.jpg, ... linking to
// each image (a path under `images_dir`) as many times as it is to stay in view, in order.
inline std::filesystem::path WriteFrameSequence(
    const std::filesystem::path& seq, const std::string& images_dir,
    const std::vector<std::pair<std::string, int>>& images_and_frames) {
  std::filesystem::create_directories(seq);
  int n = 0;
  for (const auto& [image, frames] : images_and_frames) {
    for (int i = 0; i < frames; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "frame_%03d.jpg", n++);
      std::filesystem::create_symlink(images_dir + "/" + image, seq / name);
    }
  }
  return seq;
}

// Starts `rvm-edge` with `args` in a child process, its standard error going
// to `err_file` and `env` (name, value pairs) added to its environment; the
// child's pid. The caller reaps it (TerminateAndWait, waitpid).
inline pid_t SpawnRvmEdge(const std::vector<std::string>& args,
                          const std::filesystem::path& err_file,
                          const std::vector<std::pair<std::string, std::string>>& env = {}) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (!std::freopen(err_file.c_str(), "w", stderr)) ::_exit(126);
  for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
  std::string bin = std::string(RVM_BINARY_DIR) + "/rvm-edge";
  std::vector<std::string> all = {bin};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(bin.c_str(), argv.data());
  ::_exit(127);
}

// Stops a child with SIGTERM and reaps it; its exit code, or 128 + the signal
// that ended it. `pid` is set to -1.
inline int TerminateAndWait(pid_t& pid) {
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// An empty directory under the system's temporary directory, named after
// `prefix`, this process and the running test (tests run in parallel).
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (prefix + "_" + std::to_string(::getpid()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace rvm::e2e
