// The admin port under a connection flood: 200 idle and 200 slow-header
// connections from eight loopback "clients", reopened as the server closes
// them, while a supervisor-like probe from a ninth address asks /healthz
// every 50 ms. What must hold is that every probe is answered; how fast is
// printed here and measured in docs/operations.md, not asserted (a wall-clock
// bound fails on a busy machine, not on a slow server).
#include <gtest/gtest.h>

#include <cstdio>

#include "admin/admin_flood.h"
#include "admin/admin_server.h"
#include "admin/fake_service_control.h"

namespace rvm::admin {
namespace {

TEST(AdminFloodTest, HealthzIsAnsweredEveryTimeWhile400HostileConnectionsAreHeld) {
  FakeServiceControl control;
  AdminMetrics metrics;
  SystemProbe system{"/", "."};
  FakeClock clock;
  // Decisions keep arriving while the flood lasts, as in a running service.
  ServiceSimulator simulator(control, metrics, std::chrono::milliseconds(20));
  simulator.Start();
  AdminServerOptions o;
  o.port = 0;
  o.token = "flood-token";
  AdminServer server(o, {&control, &metrics, &system, &clock});
  ASSERT_TRUE(server.Start().ok());
  const int64_t decided_before = control.Status().pipeline.items_decided;

  FloodOptions f;
  f.port = server.port();
  f.duration = std::chrono::milliseconds(6000);  // past the 5 s request deadline
  const FloodReport r = RunFlood(f);
  simulator.Stop();
  std::printf(
      "healthz under the flood: %d probes, %d failed, median %.2f ms, p99 %.2f ms, max %.2f ms; "
      "%d flood connections opened, %d closed by the server\n",
      r.probes, r.probe_failures, r.probe_ms.median, r.probe_ms.p99, r.probe_ms.max, r.opened,
      r.closed_by_server);

  // Probes go one after another, a probe_every pause between them, so their
  // count falls as each answer slows (a plain build ~115 here, a TSan build
  // ~58): ten is what a server answering within half a second still gives.
  EXPECT_GE(r.probes, 10);
  EXPECT_EQ(r.probe_failures, 0) << r.first_failure;
  EXPECT_GE(r.opened, 400);
  // The server closed flood connections: shed to admit others, or timed out.
  EXPECT_GT(r.closed_by_server, 0);
  const HttpListenerCounters* counters = server.admin_counters();
  ASSERT_NE(counters, nullptr);
  EXPECT_GT(counters->shed.load(), 0u);
  EXPECT_GT(control.Status().pipeline.items_decided, decided_before);
}

}  // namespace
}  // namespace rvm::admin
