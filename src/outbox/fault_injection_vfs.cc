#include "outbox/fault_injection_vfs.h"

#include <cstdio>
#include <fstream>
#include <iterator>

namespace rvm::outbox {
namespace {

struct VfsFile {
  sqlite3_file base;  // first, so SQLite's pointer is ours
  FaultInjectionVfs* owner;
  std::string* path;  // null for files SQLite opened without a name
};

constexpr size_t kRealOffset = (sizeof(VfsFile) + 15) & ~size_t{15};

sqlite3_file* Real(sqlite3_file* f) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
}
VfsFile* Ours(sqlite3_file* f) { return reinterpret_cast<VfsFile*>(f); }

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

struct VfsCallbacks {
  static FaultInjectionVfs* Owner(sqlite3_vfs* vfs) {
    return static_cast<FaultInjectionVfs*>(vfs->pAppData);
  }
  static sqlite3_vfs* RealVfs(sqlite3_vfs* vfs) { return Owner(vfs)->real_; }

  // --- sqlite3_io_methods ---
  static int Close(sqlite3_file* f) {
    VfsFile* file = Ours(f);
    int rc = Real(f)->pMethods != nullptr ? Real(f)->pMethods->xClose(Real(f)) : SQLITE_OK;
    delete file->path;
    file->path = nullptr;
    return rc;
  }
  static int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
    return Real(f)->pMethods->xRead(Real(f), buf, amt, off);
  }
  static int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
    VfsFile* file = Ours(f);
    FaultInjectionVfs* vfs = file->owner;
    std::lock_guard l(vfs->mu_);
    if (!vfs->power_on_) return SQLITE_IOERR_WRITE;
    if (file->path != nullptr) {
      auto& tracked = vfs->files_[*file->path];
      int64_t end = off + amt;
      int64_t growth = std::max<int64_t>(0, end - tracked.size);
      if (vfs->space_limit_ >= 0 && vfs->space_used_ + growth > vfs->space_limit_) {
        return SQLITE_FULL;
      }
      int rc = Real(f)->pMethods->xWrite(Real(f), buf, amt, off);
      if (rc == SQLITE_OK) {
        tracked.size += growth;
        vfs->space_used_ += growth;
      }
      return rc;
    }
    return Real(f)->pMethods->xWrite(Real(f), buf, amt, off);
  }
  static int Truncate(sqlite3_file* f, sqlite3_int64 size) {
    VfsFile* file = Ours(f);
    FaultInjectionVfs* vfs = file->owner;
    std::lock_guard l(vfs->mu_);
    if (!vfs->power_on_) return SQLITE_IOERR_TRUNCATE;
    int rc = Real(f)->pMethods->xTruncate(Real(f), size);
    if (rc == SQLITE_OK && file->path != nullptr) {
      auto& tracked = vfs->files_[*file->path];
      if (size < tracked.size) {
        vfs->space_used_ -= tracked.size - size;
        tracked.size = size;
      }
    }
    return rc;
  }
  static int Sync(sqlite3_file* f, int flags) {
    VfsFile* file = Ours(f);
    FaultInjectionVfs* vfs = file->owner;
    std::lock_guard l(vfs->mu_);
    if (!vfs->power_on_ || vfs->fail_syncs_) return SQLITE_IOERR_FSYNC;
    int rc = Real(f)->pMethods->xSync(Real(f), flags);
    if (rc != SQLITE_OK) return rc;
    ++vfs->sync_count_;
    if (file->path == nullptr) return rc;
    sqlite3_int64 size = 0;
    rc = Real(f)->pMethods->xFileSize(Real(f), &size);
    if (rc != SQLITE_OK) return rc;
    std::string contents(static_cast<size_t>(size), '\0');
    if (size > 0) {
      rc = Real(f)->pMethods->xRead(Real(f), contents.data(), static_cast<int>(size), 0);
      if (rc != SQLITE_OK) return rc;
    }
    vfs->files_[*file->path].durable = std::move(contents);
    return SQLITE_OK;
  }
  static int FileSize(sqlite3_file* f, sqlite3_int64* size) {
    return Real(f)->pMethods->xFileSize(Real(f), size);
  }
  static int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
  static int Unlock(sqlite3_file* f, int level) {
    return Real(f)->pMethods->xUnlock(Real(f), level);
  }
  static int CheckReservedLock(sqlite3_file* f, int* out) {
    return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
  }
  static int FileControl(sqlite3_file* f, int op, void* arg) {
    return Real(f)->pMethods->xFileControl(Real(f), op, arg);
  }
  static int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
  static int DeviceCharacteristics(sqlite3_file* f) {
    return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
  }
  static int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
  }
  static int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
    return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
  }
  static void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
  static int ShmUnmap(sqlite3_file* f, int delete_flag) {
    return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
  }

  static const sqlite3_io_methods* Methods() {
    // Version 2: shared memory (needed for WAL) but no memory-mapped I/O.
    static const sqlite3_io_methods methods = {2,
                                               Close,
                                               Read,
                                               Write,
                                               Truncate,
                                               Sync,
                                               FileSize,
                                               Lock,
                                               Unlock,
                                               CheckReservedLock,
                                               FileControl,
                                               SectorSize,
                                               DeviceCharacteristics,
                                               ShmMap,
                                               ShmLock,
                                               ShmBarrier,
                                               ShmUnmap,
                                               nullptr,
                                               nullptr};
    return &methods;
  }

  // --- sqlite3_vfs ---
  static int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    FaultInjectionVfs* owner = Owner(vfs);
    VfsFile* file = Ours(f);
    file->base.pMethods = nullptr;
    file->owner = owner;
    file->path = nullptr;
    int rc = owner->real_->xOpen(owner->real_, name, Real(f), flags, out_flags);
    if (rc != SQLITE_OK) return rc;
    if (name != nullptr) {
      file->path = new std::string(name);
      std::lock_guard l(owner->mu_);
      if (!owner->files_.contains(*file->path)) {
        // A file that was there before the VFS saw it counts as durable.
        FaultInjectionVfs::Tracked tracked;
        sqlite3_int64 size = 0;
        Real(f)->pMethods->xFileSize(Real(f), &size);
        tracked.size = size;
        if (size > 0) tracked.durable = ReadWholeFile(*file->path);
        owner->files_.emplace(*file->path, std::move(tracked));
      }
    }
    file->base.pMethods = Methods();
    return SQLITE_OK;
  }
  static int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    FaultInjectionVfs* owner = Owner(vfs);
    std::lock_guard l(owner->mu_);
    if (!owner->power_on_) return SQLITE_IOERR_DELETE;
    int rc = owner->real_->xDelete(owner->real_, name, sync_dir);
    if (rc == SQLITE_OK) {
      auto it = owner->files_.find(name);
      if (it != owner->files_.end()) {
        owner->space_used_ -= it->second.size;
        owner->files_.erase(it);
      }
    }
    return rc;
  }
  static int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    return RealVfs(vfs)->xAccess(RealVfs(vfs), name, flags, out);
  }
  static int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
    return RealVfs(vfs)->xFullPathname(RealVfs(vfs), name, n, out);
  }
  static int Randomness(sqlite3_vfs* vfs, int n, char* out) {
    return RealVfs(vfs)->xRandomness(RealVfs(vfs), n, out);
  }
  static int Sleep(sqlite3_vfs* vfs, int micros) {
    return RealVfs(vfs)->xSleep(RealVfs(vfs), micros);
  }
  static int CurrentTime(sqlite3_vfs* vfs, double* out) {
    return RealVfs(vfs)->xCurrentTime(RealVfs(vfs), out);
  }
  static int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
    return RealVfs(vfs)->xGetLastError(RealVfs(vfs), n, out);
  }
  static int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
    return RealVfs(vfs)->xCurrentTimeInt64(RealVfs(vfs), out);
  }
};

Result<std::unique_ptr<FaultInjectionVfs>> FaultInjectionVfs::Register(const std::string& name) {
  sqlite3_initialize();
  std::unique_ptr<FaultInjectionVfs> vfs(new FaultInjectionVfs(name));
  vfs->real_ = sqlite3_vfs_find(nullptr);
  if (vfs->real_ == nullptr) return Internal("sqlite: no default VFS to wrap");
  sqlite3_vfs& v = vfs->vfs_;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(kRealOffset) + vfs->real_->szOsFile;
  v.mxPathname = vfs->real_->mxPathname;
  v.zName = vfs->name_.c_str();
  v.pAppData = vfs.get();
  v.xOpen = VfsCallbacks::Open;
  v.xDelete = VfsCallbacks::Delete;
  v.xAccess = VfsCallbacks::Access;
  v.xFullPathname = VfsCallbacks::FullPathname;
  v.xRandomness = VfsCallbacks::Randomness;
  v.xSleep = VfsCallbacks::Sleep;
  v.xCurrentTime = VfsCallbacks::CurrentTime;
  v.xGetLastError = VfsCallbacks::GetLastError;
  v.xCurrentTimeInt64 = VfsCallbacks::CurrentTimeInt64;
  if (int rc = sqlite3_vfs_register(&v, /*makeDflt=*/0); rc != SQLITE_OK) {
    return Internal("sqlite: cannot register VFS '" + name + "': " + sqlite3_errstr(rc));
  }
  return vfs;
}

FaultInjectionVfs::~FaultInjectionVfs() { sqlite3_vfs_unregister(&vfs_); }

void FaultInjectionVfs::CutPower() {
  std::lock_guard l(mu_);
  power_on_ = false;
}

void FaultInjectionVfs::FailSyncs(bool on) {
  std::lock_guard l(mu_);
  fail_syncs_ = on;
}

void FaultInjectionVfs::SetSpaceLimit(int64_t bytes) {
  std::lock_guard l(mu_);
  space_limit_ = bytes;
}

int64_t FaultInjectionVfs::sync_count() const {
  std::lock_guard l(mu_);
  return sync_count_;
}

Status FaultInjectionVfs::RestoreDurableState() {
  std::lock_guard l(mu_);
  for (const auto& [path, tracked] : files_) {
    // The WAL index is shared memory SQLite rebuilds from the WAL; after a
    // real power cut it would hold whatever the page cache had last flushed.
    std::remove((path + "-shm").c_str());
    if (!tracked.durable) {
      std::remove(path.c_str());
      continue;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(tracked.durable->data(), static_cast<std::streamsize>(tracked.durable->size()));
    if (!out) return IoError("'" + path + "': cannot restore the durable contents");
  }
  files_.clear();
  space_used_ = 0;
  power_on_ = true;
  return Status::Ok();
}

}  // namespace rvm::outbox
