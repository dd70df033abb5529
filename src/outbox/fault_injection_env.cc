#include "outbox/fault_injection_env.h"

#include <filesystem>

namespace rvm::outbox {
namespace {

std::string ParentDir(const std::string& path) {
  std::filesystem::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : ".";
}

}  // namespace

void FaultInjectionEnv::SetHook(std::function<void(const std::string&, const std::string&)> hook) {
  hook_ = std::move(hook);
}

void FaultInjectionEnv::SetSpaceLimit(int64_t bytes) {
  std::lock_guard l(mu_);
  space_limit_ = bytes;
}

void FaultInjectionEnv::FailNextWrites(int n) {
  std::lock_guard l(mu_);
  failing_writes_ = n;
}

void FaultInjectionEnv::CutPower() {
  std::lock_guard l(mu_);
  power_on_ = false;
}

void FaultInjectionEnv::RestoreDurableState() {
  std::lock_guard l(mu_);
  for (const auto& [path, state] : files_) {
    if (!state.name_durable) {
      (void)base_.RemoveFile(path);
    } else if (!state.contents_synced) {
      (void)base_.WriteFile(path, "");
      (void)base_.SyncFile(path);
    }
  }
  files_.clear();
  space_used_ = 0;
  power_on_ = true;
}

int64_t FaultInjectionEnv::sync_count() const {
  std::lock_guard l(mu_);
  return sync_count_;
}

bool FaultInjectionEnv::power_on() const {
  std::lock_guard l(mu_);
  return power_on_;
}

void FaultInjectionEnv::RunHook(const std::string& op, const std::string& path) {
  if (hook_) hook_(op, path);
}

Status FaultInjectionEnv::PowerOffError(const std::string& path) const {
  return IoError("'" + path + "': the power is off (simulated)");
}

Status FaultInjectionEnv::WriteFile(const std::string& path, std::string_view data) {
  RunHook("WriteFile", path);
  std::lock_guard l(mu_);
  if (!power_on_) return PowerOffError(path);
  auto it = files_.find(path);
  int64_t old_size = it == files_.end() ? 0 : it->second.size;
  int64_t size = static_cast<int64_t>(data.size());
  bool injected = failing_writes_ > 0;
  if (injected) --failing_writes_;
  if (injected || (space_limit_ >= 0 && space_used_ - old_size + size > space_limit_)) {
    return ResourceExhausted("'" + path + "': write failed: No space left on device (simulated)");
  }
  RVM_RETURN_IF_ERROR(base_.WriteFile(path, data));
  FileState& state = files_[path];  // a new entry starts with a non-durable name
  state.contents_synced = false;
  state.size = size;
  space_used_ += size - old_size;
  return Status::Ok();
}

Status FaultInjectionEnv::SyncFile(const std::string& path) {
  RunHook("SyncFile", path);
  std::lock_guard l(mu_);
  if (!power_on_) return PowerOffError(path);
  RVM_RETURN_IF_ERROR(base_.SyncFile(path));
  ++sync_count_;
  auto it = files_.find(path);
  if (it != files_.end()) it->second.contents_synced = true;
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  RunHook("SyncDir", dir);
  std::lock_guard l(mu_);
  if (!power_on_) return PowerOffError(dir);
  RVM_RETURN_IF_ERROR(base_.SyncDir(dir));
  ++sync_count_;
  std::filesystem::path d = std::filesystem::path(dir).lexically_normal();
  for (auto& [path, state] : files_) {
    if (std::filesystem::path(ParentDir(path)).lexically_normal() == d) state.name_durable = true;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  RunHook("RenameFile", from);
  std::lock_guard l(mu_);
  if (!power_on_) return PowerOffError(from);
  RVM_RETURN_IF_ERROR(base_.RenameFile(from, to));
  FileState moved;
  auto it = files_.find(from);
  if (it != files_.end()) {
    moved = it->second;
    files_.erase(it);
  } else {
    moved.contents_synced = true;  // an untracked file was durable before
  }
  auto old = files_.find(to);
  if (old != files_.end()) space_used_ -= old->second.size;
  moved.name_durable = false;
  files_[to] = moved;
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  RunHook("RemoveFile", path);
  std::lock_guard l(mu_);
  if (!power_on_) return PowerOffError(path);
  RVM_RETURN_IF_ERROR(base_.RemoveFile(path));
  auto it = files_.find(path);
  if (it != files_.end()) {
    space_used_ -= it->second.size;
    files_.erase(it);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  std::lock_guard l(mu_);
  if (!power_on_) return PowerOffError(dir);
  return base_.CreateDir(dir);
}

Result<std::vector<uint8_t>> FaultInjectionEnv::ReadFile(const std::string& path) {
  return base_.ReadFile(path);
}

Result<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  return base_.FileSize(path);
}

Result<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  return base_.ListDir(dir);
}

Result<uint64_t> FaultInjectionEnv::FreeBytes(const std::string& dir) {
  {
    std::lock_guard l(mu_);
    if (space_limit_ >= 0)
      return static_cast<uint64_t>(std::max<int64_t>(0, space_limit_ - space_used_));
  }
  return base_.FreeBytes(dir);
}

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  return base_.LockFile(path);
}

}  // namespace rvm::outbox
