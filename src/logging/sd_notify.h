// Service-manager notifications (the sd_notify protocol) without libsystemd:
// one datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET, which is an absolute path or, starting with '@', an
// abstract socket name. When the variable is unset (not run by systemd, or a
// unit that is not Type=notify) every call is a successful no-op.
//
// With Type=notify, systemd waits for READY=1 before it counts the service as
// started; with WatchdogSec it restarts a service that sends no WATCHDOG=1
// within the period (send it at half WatchdogInterval()).
//
// Stateless; thread-safe (one short-lived socket per call).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rvm {

// Sends `state` (e.g. "READY=1\nSTATUS=capturing") to `socket` ("/run/..."
// or "@abstract"). An empty socket name is a no-op.
Status NotifyServiceManagerAt(const std::string& socket, std::string_view state);

// Sends `state` to $NOTIFY_SOCKET; a no-op when it is unset.
Status NotifyServiceManager(std::string_view state);

Status NotifyReady();                        // READY=1: start-up finished
Status NotifyReloading();                    // RELOADING=1 (+MONOTONIC_USEC): SIGHUP reload began;
                                             // send NotifyReady() when it is done
Status NotifyStopping();                     // STOPPING=1: shutdown began
Status NotifyWatchdog();                     // WATCHDOG=1: still alive
Status NotifyStatus(std::string_view text);  // STATUS=<text>: one line for systemctl status

// $WATCHDOG_USEC when the watchdog is enabled for this process ($WATCHDOG_PID
// unset or equal to getpid()); nullopt otherwise.
std::optional<std::chrono::microseconds> WatchdogInterval();

}  // namespace rvm
