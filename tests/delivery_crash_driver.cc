// delivery_crash_driver: a stand-in for rvm-edge in the kill -9 delivery
// proof (delivery_crash_test.cc). It opens an outbox, runs the
// DeliveryService against a platform at --url, and appends synthetic items
// named PREFIX-NNNN, printing "ACK <id>" on stdout once each append has
// returned (the moment the machine would acknowledge the item). With --drain
// it appends nothing and exits 0 once the backlog is empty (1 on timeout).
//
// Usage: delivery_crash_driver --outbox DIR --url URL [--prefix P --count N | --drain]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "uplink/delivery_service.h"
#include "uplink/edge_v1_client.h"
#include "uplink/outbox_sink.h"
#include "uplink/uplink_test_util.h"

namespace {

using namespace rvm;
using namespace rvm::uplink;

int Run(int argc, char** argv) {
  std::string dir, url, prefix = "item";
  int count = 0;
  bool drain = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--outbox")
      dir = next();
    else if (a == "--url")
      url = next();
    else if (a == "--prefix")
      prefix = next();
    else if (a == "--count")
      count = std::atoi(next().c_str());
    else if (a == "--drain")
      drain = true;
  }
  if (dir.empty() || url.empty()) {
    std::fprintf(stderr, "usage: delivery_crash_driver --outbox DIR --url URL ...\n");
    return 2;
  }
  outbox::OutboxOptions oo;
  oo.dir = dir;
  auto box = outbox::Outbox::Open(oo, outbox::PosixEnv(), SteadyClock::Instance());
  if (!box.ok()) {
    std::fprintf(stderr, "outbox: %s\n", box.status().ToString().c_str());
    return 2;
  }
  auto options = rvm::uplink::testing::SimOptions(url);
  auto client = EdgeV1Client::Create(options, SteadyClock::Instance());
  if (!client.ok()) return 2;
  DeliveryOptions d;
  d.backoff = {.min_ms = 10, .max_ms = 100};
  d.breaker = {.failure_threshold = 5, .open_ms = 50, .max_open_ms = 200};
  d.idle_poll_ms = 5;
  d.records_per_round = 8;  // small rounds: more kill points between send and mark
  DeliveryService service(**box, **client, SteadyClock::Instance(), d);
  OutboxSink sink(**box, [&] { service.Notify(); });
  service.Start();

  if (drain) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (service.Stats().backlog_records == 0) {
        service.Stop();
        std::printf("DRAINED\n");
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    char id[96];
    std::snprintf(id, sizeof(id), "%s-%04d", prefix.c_str(), i);
    Decision dec = rvm::uplink::testing::MakeDecision(id);
    const auto jpeg = rvm::uplink::testing::FakeJpeg(600, static_cast<uint8_t>(i));
    dec.best_frame_jpeg.assign(jpeg.begin(), jpeg.end());
    Status st = sink.Write(dec);
    if (!st.ok()) {
      std::fprintf(stderr, "append %s: %s\n", id, st.ToString().c_str());
      return 3;
    }
    std::printf("ACK %s\n", id);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Keep delivering until killed.
  while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
