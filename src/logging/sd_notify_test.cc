#include "logging/sd_notify.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rvm {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// A bound datagram socket standing in for systemd's notify socket.
class FakeServiceManager {
 public:
  // `name` is a path, or "@name" for an abstract socket.
  explicit FakeServiceManager(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name_.data(), name_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    if (name_.front() == '@') addr.sun_path[0] = '\0';
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    timeval tv{2, 0};  // a missing datagram fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~FakeServiceManager() {
    ::close(fd_);
    if (name_.front() == '/') ::unlink(name_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& name() const { return name_; }

  std::string Receive() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

std::string UniqueName(const char* tag) {
  return std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

TEST(SdNotifyTest, MessagesArriveOnAPathSocket) {
  FakeServiceManager manager(
      (std::filesystem::temp_directory_path() / UniqueName("rvm-notify")).string());
  ASSERT_TRUE(manager.bound());
  ASSERT_EQ(::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1), 0);
  ASSERT_TRUE(NotifyReady().ok());
  EXPECT_EQ(manager.Receive(), "READY=1");
  ASSERT_TRUE(NotifyWatchdog().ok());
  EXPECT_EQ(manager.Receive(), "WATCHDOG=1");
  ASSERT_TRUE(NotifyStopping().ok());
  EXPECT_EQ(manager.Receive(), "STOPPING=1");
  ASSERT_TRUE(NotifyReloading().ok());
  EXPECT_THAT(manager.Receive(), MatchesRegex("RELOADING=1\nMONOTONIC_USEC=[0-9]+"));
  ASSERT_TRUE(NotifyStatus("capturing at 2 fps\nidle").ok());
  EXPECT_EQ(manager.Receive(), "STATUS=capturing at 2 fps idle");
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(SdNotifyTest, MessagesArriveOnAnAbstractSocket) {
  FakeServiceManager manager("@" + UniqueName("rvm-notify"));
  ASSERT_TRUE(manager.bound());
  ASSERT_TRUE(NotifyServiceManagerAt(manager.name(), "READY=1\nSTATUS=up").ok());
  EXPECT_EQ(manager.Receive(), "READY=1\nSTATUS=up");
}

TEST(SdNotifyTest, WithoutNotifySocketEveryCallIsANoOp) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(NotifyReady().ok());
  EXPECT_TRUE(NotifyWatchdog().ok());
}

TEST(SdNotifyTest, BadOrAbsentSocketsAreErrorsNamingThem) {
  const Status relative = NotifyServiceManagerAt("run/notify", "READY=1");
  EXPECT_EQ(relative.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(relative.message(), HasSubstr("NOTIFY_SOCKET 'run/notify'"));
  EXPECT_FALSE(NotifyServiceManagerAt("/" + std::string(200, 'x'), "READY=1").ok());
  const Status absent = NotifyServiceManagerAt("/nonexistent-dir/notify", "READY=1");
  EXPECT_EQ(absent.code(), StatusCode::kUnavailable);
}

TEST(SdNotifyTest, TheWatchdogIntervalIsForThisProcessOnly) {
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_FALSE(WatchdogInterval().has_value());
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ASSERT_TRUE(WatchdogInterval().has_value());
  EXPECT_EQ(*WatchdogInterval(), std::chrono::seconds(30));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_TRUE(WatchdogInterval().has_value());
  ::setenv("WATCHDOG_PID", "1", 1);
  EXPECT_FALSE(WatchdogInterval().has_value());
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

}  // namespace
}  // namespace rvm
