#include "app/outbox_command.h"

#include <iostream>
#include <memory>

#include "app/option_checks.h"
#include "base/clock.h"
#include "outbox/outbox.h"
#include "outbox/outbox_report.h"

namespace rvm::app {
namespace {

struct OutboxFlags {
  std::string dir = "var/outbox";
  int64_t quota_bytes = int64_t{1} << 30;
  bool json = false;
  std::string state;  // list: pending | delivered | parked, empty = all
  int limit = 50;
  int64_t after_seq = 0;
  std::string older_than = "7d";
};

int Fail(const Status& s, int code) {
  std::cerr << "rvm-edge outbox: " << s.ToString() << "\n";
  return code;
}

// Opens an existing outbox only: a mistyped --dir is NotFound ("no
// outbox.db"), never a new empty outbox.
Result<std::unique_ptr<outbox::Outbox>> OpenOutbox(const OutboxFlags& flags, bool read_only) {
  outbox::OutboxOptions options;
  options.dir = flags.dir;
  options.quota_bytes = flags.quota_bytes;
  options.read_only = read_only;
  options.create_if_missing = false;
  return outbox::Outbox::Open(options, outbox::PosixEnv(), SteadyClock::Instance());
}

// --quota-bytes follows outbox.quota_bytes's rule (outbox::QuotaBytesProblem)
// for every subcommand: stats judge "accepting" against it.
Status CheckQuotaFlag(const OutboxFlags& flags) {
  outbox::OutboxOptions options;
  options.quota_bytes = flags.quota_bytes;
  const std::string problem = outbox::QuotaBytesProblem(options);
  if (problem.empty()) return Status::Ok();
  return InvalidArgument("--quota-bytes " + problem);
}

int RunStats(const OutboxFlags& flags) {
  auto box = OpenOutbox(flags, /*read_only=*/true);
  if (!box.ok()) return Fail(box.status(), kExitFatal);
  auto stats = (*box)->Stats();
  if (!stats.ok()) return Fail(stats.status(), kExitFailure);
  if (flags.json) {
    std::cout << outbox::StatsToJson(*stats).dump() << "\n";
  } else {
    std::cout << "outbox " << flags.dir << "\n" << outbox::FormatStats(*stats);
  }
  return kExitOk;
}

int RunList(const OutboxFlags& flags) {
  outbox::ListFilter filter;
  if (!flags.state.empty()) {
    auto state = outbox::ParseRecordState(flags.state);
    if (!state.ok()) return Fail(state.status(), kExitUsage);
    filter.state = *state;
  }
  filter.after_seq = flags.after_seq;
  filter.limit = flags.limit;
  auto box = OpenOutbox(flags, /*read_only=*/true);
  if (!box.ok()) return Fail(box.status(), kExitFatal);
  auto records = (*box)->List(filter);
  if (!records.ok()) return Fail(records.status(), kExitFailure);
  if (flags.json) {
    for (const outbox::StoredRecord& r : *records) {
      std::cout << outbox::RecordToJson(r).dump() << "\n";
    }
  } else {
    std::cout << outbox::FormatRecordTable(*records, SteadyClock::Instance().WallMillis());
  }
  return kExitOk;
}

int RunReplay(const OutboxFlags& flags) {
  auto box = OpenOutbox(flags, /*read_only=*/false);
  if (!box.ok()) return Fail(box.status(), kExitFatal);
  auto replayed = (*box)->Replay();
  if (!replayed.ok()) return Fail(replayed.status(), kExitFailure);
  if (flags.json) {
    std::cout << nlohmann::json{{"replayed", *replayed}}.dump() << "\n";
  } else {
    std::cout << *replayed << " parked record(s) moved back to pending\n";
  }
  return kExitOk;
}

int RunPurgeDelivered(const OutboxFlags& flags) {
  auto age = outbox::ParseAge(flags.older_than);
  if (!age.ok()) return Fail(age.status(), kExitUsage);
  auto box = OpenOutbox(flags, /*read_only=*/false);
  if (!box.ok()) return Fail(box.status(), kExitFatal);
  auto purged = (*box)->PurgeDelivered(SteadyClock::Instance().WallMillis() - *age);
  if (!purged.ok()) return Fail(purged.status(), kExitFailure);
  if (flags.json) {
    std::cout << nlohmann::json{{"purged", *purged}}.dump() << "\n";
  } else {
    std::cout << *purged << " delivered record(s) older than " << flags.older_than << " purged\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterOutboxCommand(CLI::App& root, CommandAction& action) {
  auto flags = std::make_shared<OutboxFlags>();
  CLI::App* cmd = root.add_subcommand("outbox", "Inspect and manage the durable outbox");
  cmd->require_subcommand(1);
  auto add = [&](const char* name, const char* help, int (*run)(const OutboxFlags&)) {
    CLI::App* sub = cmd->add_subcommand(name, help);
    sub->add_option("--dir", flags->dir, "Outbox directory")->capture_default_str();
    sub->add_option("--quota-bytes", flags->quota_bytes, "Quota the agent runs with")
        ->capture_default_str();
    sub->add_flag("--json", flags->json, "Print JSON instead of text");
    sub->callback([flags, &action, run] {
      action = [flags, run] {
        if (Status s = CheckQuotaFlag(*flags); !s.ok()) return Fail(s, kExitUsage);
        return run(*flags);
      };
    });
    return sub;
  };
  add("stats", "Counts, backlog age, disk use and whether items are accepted", RunStats);
  CLI::App* list = add("list", "Records in seq order (JSON lines with --json)", RunList);
  list->add_option("--state", flags->state, "pending, delivered or parked (default: all)");
  list->add_option("--limit", flags->limit, "At most this many records")
      ->capture_default_str()
      ->check(AboveZero());
  list->add_option("--after", flags->after_seq, "Only records with a larger seq (paging)");
  add("replay", "Move every parked record back to pending", RunReplay);
  CLI::App* purge =
      add("purge-delivered", "Delete delivered records (and images) older than an age",
          RunPurgeDelivered);
  purge->add_option("--older-than", flags->older_than, "Age such as 90s, 15m, 12h, 7d")
      ->capture_default_str();
}

}  // namespace rvm::app
