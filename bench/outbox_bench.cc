// outbox_bench: durable append throughput of the outbox, side by side: one
// record per transaction (the baseline), one thread appending batches
// (AppendBatch), and many threads whose appends are group-committed; each
// without images and with a 50 KB image per record. Then the speed and memory
// of draining a 100,000-record backlog (NextPending + MarkDelivered) as the
// uplink does.
//
//   outbox_bench [--dir DIR] [--threads N] [--records N] [--image-records N] [--backlog N]
//                [--batch N]
//
// DIR must be on the disk the agent will use: fsync cost is the whole story.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "outbox/outbox.h"

namespace {

using rvm::outbox::NewRecord;
using rvm::outbox::Outbox;
using rvm::outbox::OutboxOptions;

struct Flags {
  std::string dir;
  int threads = 16;
  int records = 20000;
  int image_records = 2000;
  int backlog = 100000;
  int batch = 100;  // records per AppendBatch call
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int64_t RssKiB(const char* field = "VmRSS:") {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + std::strlen(field));
  }
  return -1;
}

std::unique_ptr<Outbox> OpenFresh(const std::string& dir) {
  std::filesystem::remove_all(dir);
  OutboxOptions options;
  options.dir = dir;
  options.quota_bytes = int64_t{8} << 30;
  auto outbox = Outbox::Open(options, rvm::outbox::PosixEnv(), rvm::SteadyClock::Instance());
  if (!outbox.ok()) {
    std::fprintf(stderr, "outbox_bench: %s\n", outbox.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*outbox);
}

NewRecord Record(const std::string& prefix, int i) {
  NewRecord r;
  r.item_id = prefix + "-" + std::to_string(i);
  r.machine_id = "rvm-bench";
  r.payload_json = R"({"item_id":")" + r.item_id +
                   R"(","class":"pet_bottle","material":"pet","accepted":true,"score":0.93,)"
                   R"("box":[112.5,80.0,301.25,420.0],"session_id":"s-42"})";
  return r;
}

// Appends `count` records from `threads` threads; returns records per second.
double AppendRun(Outbox& outbox, const std::string& prefix, int count, int threads,
                 const std::vector<uint8_t>* image) {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < count;) {
        NewRecord r = Record(prefix, i);
        if (image != nullptr) r.evidence_jpeg = *image;
        if (!outbox.Append(r).ok()) failed = true;
      }
    });
  }
  for (auto& w : workers) w.join();
  double s = Seconds(start);
  if (failed) std::fprintf(stderr, "outbox_bench: some appends failed\n");
  return count / s;
}

// Appends `count` records in AppendBatch calls of `batch` from one thread;
// returns records per second.
double BatchRun(Outbox& outbox, const std::string& prefix, int count, int batch,
                const std::vector<uint8_t>* image) {
  auto start = std::chrono::steady_clock::now();
  for (int first = 0; first < count; first += batch) {
    std::vector<NewRecord> records;
    for (int i = first; i < std::min(count, first + batch); ++i) {
      records.push_back(Record(prefix, i));
      if (image != nullptr) records.back().evidence_jpeg = *image;
    }
    if (auto a = outbox.AppendBatch(records); !a.ok()) {
      std::fprintf(stderr, "outbox_bench: AppendBatch: %s\n", a.status().ToString().c_str());
      std::exit(1);
    }
  }
  return count / Seconds(start);
}

// Stats() against a backlog, and what it does to the latency of appends
// running beside it (the service asks for statistics about once a second while
// the pipeline commits decisions).
void StatsUnderBacklog(Outbox& outbox) {
  std::vector<double> stats_ms;
  int64_t pending = 0;
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto stats = outbox.Stats();
    stats_ms.push_back(Seconds(start) * 1000);
    if (!stats.ok()) {
      std::fprintf(stderr, "outbox_bench: Stats: %s\n", stats.status().ToString().c_str());
      std::exit(1);
    }
    pending = stats->pending;
  }
  std::sort(stats_ms.begin(), stats_ms.end());
  std::printf("Stats() with %lld pending records: median %.1f ms\n",
              static_cast<long long>(pending), stats_ms[2]);
  auto append_latencies = [&](const std::string& prefix, bool with_stats) {
    std::atomic<bool> stop{false};
    std::thread poller;
    if (with_stats) {
      poller = std::thread([&] {
        while (!stop) (void)outbox.Stats();
      });
    }
    std::vector<double> ms;
    for (int i = 0; i < 200; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (!outbox.Append(Record(prefix, i)).ok()) std::fprintf(stderr, "outbox_bench: append\n");
      ms.push_back(Seconds(start) * 1000);
    }
    stop = true;
    if (poller.joinable()) poller.join();
    std::sort(ms.begin(), ms.end());
    return std::pair<double, double>(ms[ms.size() / 2], ms[ms.size() * 99 / 100]);
  };
  const auto quiet = append_latencies("lat-quiet", false);
  const auto busy = append_latencies("lat-stats", true);
  std::printf(
      "append latency, 1 record per commit: median %.2f / p99 %.2f ms alone, %.2f / %.2f ms "
      "while another thread calls Stats() back to back\n",
      quiet.first, quiet.second, busy.first, busy.second);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  flags.dir =
      (std::filesystem::temp_directory_path() / ("outbox_bench_" + std::to_string(getpid())))
          .string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--dir")
      flags.dir = argv[i + 1];
    else if (key == "--threads")
      flags.threads = std::atoi(argv[i + 1]);
    else if (key == "--records")
      flags.records = std::atoi(argv[i + 1]);
    else if (key == "--image-records")
      flags.image_records = std::atoi(argv[i + 1]);
    else if (key == "--backlog")
      flags.backlog = std::atoi(argv[i + 1]);
    else if (key == "--batch")
      flags.batch = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "outbox_bench: unknown flag '%s'\n", argv[i]);
      return 2;
    }
  }
  std::printf("outbox_bench: dir %s, %d appending threads\n", flags.dir.c_str(), flags.threads);

  {
    // The disk's fsync latency bounds every durable append: records/s is at
    // most records-per-commit / fsync time.
    std::filesystem::create_directories(flags.dir);
    std::string probe = flags.dir + "/fsync_probe";
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char> page(4096, 'x');
    auto start = std::chrono::steady_clock::now();
    constexpr int kSyncs = 50;
    for (int i = 0; i < kSyncs; ++i) {
      if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>(i) * 4096) < 0 ||
          ::fdatasync(fd) != 0) {
        std::perror("outbox_bench: fsync probe");
        return 1;
      }
    }
    std::printf("fsync latency of this disk (4 KiB write + fdatasync): %.2f ms\n",
                Seconds(start) * 1000 / kSyncs);
    ::close(fd);
  }
  {
    auto outbox = OpenFresh(flags.dir);
    int baseline_count = std::max(50, flags.records / 100);
    double one_by_one = AppendRun(*outbox, "seq", baseline_count, 1, nullptr);
    std::printf("append, 1 thread (1 record per commit):    %9.0f records/s  (%d records)\n",
                one_by_one, baseline_count);
    for (int batch : {10, flags.batch, 5 * flags.batch}) {
      auto before = outbox->Stats();
      double batched =
          BatchRun(*outbox, "batch" + std::to_string(batch), flags.records, batch, nullptr);
      auto after = outbox->Stats();
      int64_t commits = after->group_commits - before->group_commits;
      std::printf(
          "append, 1 thread, AppendBatch of %3d:      %9.0f records/s  (%d records, "
          "%.1f records/commit, %.1fx the 1-thread rate)\n",
          batch, batched, flags.records,
          static_cast<double>(flags.records) / std::max<int64_t>(1, commits), batched / one_by_one);
    }
    for (int threads : {flags.threads, 4 * flags.threads, 16 * flags.threads}) {
      auto before = outbox->Stats();
      std::string prefix = "grp" + std::to_string(threads);
      double grouped = AppendRun(*outbox, prefix, flags.records, threads, nullptr);
      auto after = outbox->Stats();
      int64_t commits = after->group_commits - before->group_commits;
      std::printf(
          "append, group commit, no image, %3d thr:   %9.0f records/s  (%d records, "
          "%.1f records/commit, %.1fx the 1-thread rate)\n",
          threads, grouped, flags.records,
          static_cast<double>(flags.records) / std::max<int64_t>(1, commits), grouped / one_by_one);
    }
  }
  std::vector<uint8_t> image(50 * 1000);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 131 + 7);
  {
    auto outbox = OpenFresh(flags.dir);
    const int count = std::max(50, flags.image_records / 20);
    double one = AppendRun(*outbox, "img1", count, 1, &image);
    std::printf("append, 1 thread, 50 KB image, 1 per commit: %7.0f records/s  (%d records)\n", one,
                count);
    double rate = BatchRun(*outbox, "imgbatch", flags.image_records, flags.batch, &image);
    std::printf(
        "append, 1 thread, 50 KB image, AppendBatch of %3d: %5.0f records/s  (%d records, "
        "%.1f MB/s of images)\n",
        flags.batch, rate, flags.image_records, rate * image.size() / 1e6);
  }
  for (int threads : {flags.threads, 4 * flags.threads}) {
    auto outbox = OpenFresh(flags.dir);
    double rate = AppendRun(*outbox, "img", flags.image_records, threads, &image);
    std::printf(
        "append, group commit, 50 KB image, %3d thr: %9.0f records/s  (%d records, "
        "%.1f MB/s of images)\n",
        threads, rate, flags.image_records, rate * image.size() / 1e6);
  }
  {
    auto outbox = OpenFresh(flags.dir);
    AppendRun(*outbox, "backlog", flags.backlog, flags.threads, nullptr);
    StatsUnderBacklog(*outbox);
    int64_t rss_before = RssKiB();
    auto start = std::chrono::steady_clock::now();
    int64_t drained = 0;
    int64_t max_rss = rss_before;
    int64_t now_ms = rvm::SteadyClock::Instance().WallMillis() + 1;
    while (true) {
      auto batch = outbox->NextPending(500, now_ms);
      if (!batch.ok() || batch->empty()) break;
      std::vector<int64_t> seqs;
      seqs.reserve(batch->size());
      for (const auto& r : *batch) seqs.push_back(r.seq);
      if (!outbox->MarkDelivered(seqs).ok()) {
        std::fprintf(stderr, "outbox_bench: MarkDelivered failed\n");
        return 1;
      }
      drained += static_cast<int64_t>(seqs.size());
      max_rss = std::max(max_rss, RssKiB());
    }
    double s = Seconds(start);
    int64_t rss_after = RssKiB();
    std::printf(
        "backlog read + mark delivered (500/batch): %9.0f records/s  (%lld records in "
        "%.2f s; RSS %lld KiB before, %lld KiB peak, %lld KiB after)\n",
        drained / s, static_cast<long long>(drained), s, static_cast<long long>(rss_before),
        static_cast<long long>(max_rss), static_cast<long long>(rss_after));
    auto stats = outbox->Stats();
    std::printf("after draining: %lld pending, %lld delivered\n",
                static_cast<long long>(stats->pending), static_cast<long long>(stats->delivered));
  }
  std::filesystem::remove_all(flags.dir);
  return 0;
}
