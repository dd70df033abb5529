#include "capture/image_dir_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "base/file_util.h"

namespace rvm {

namespace {

bool HasImageExtension(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" ||
         ext == ".tif" || ext == ".tiff";
}

}  // namespace

ImageDirSource::ImageDirSource(ImageDirOptions options, const Clock& clock, SleepFn sleep)
    : options_(std::move(options)),
      clock_(clock),
      sleep_(std::move(sleep)),
      name_("images:" + std::filesystem::path(options_.path).filename().string()),
      decoder_(options_.max_pixels) {}

Status ImageDirSource::Open() {
  Close();
  const std::string& dir = options_.path;
  if (dir.empty()) return InvalidArgument("image directory source: no directory given");
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return NotFound("image directory '" + dir + "': no such directory");
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return InvalidArgument("image directory '" + dir + "': not a directory");
  }
  if (options_.watch && options_.poll_interval.count() <= 0) {
    return InvalidArgument("image directory '" + dir + "': poll_interval must be > 0 ms");
  }
  RVM_RETURN_IF_ERROR(Scan());
  next_seq_ = 0;
  open_ = true;
  return Status::Ok();
}

void ImageDirSource::Close() {
  open_ = false;
  pending_.clear();
  // A watched directory's files are pictures already taken: reopening (a
  // pipeline restart) must not deliver them, and decide their items, again.
  if (!options_.watch) delivered_.clear();
  frames_this_pass_ = 0;
}

Status ImageDirSource::Scan() {
  std::vector<std::string> found;
  std::error_code ec;
  std::filesystem::directory_iterator it(options_.path, ec), end;
  if (ec) {
    return Unavailable("image directory '" + options_.path + "': cannot list: " + ec.message());
  }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::filesystem::path& p = it->path();
    std::string file = p.filename().string();
    if (file.empty() || file[0] == '.' || !HasImageExtension(p)) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    if (delivered_.count(file) != 0) continue;
    if (std::find(pending_.begin(), pending_.end(), file) != pending_.end()) continue;
    found.push_back(std::move(file));
  }
  std::sort(found.begin(), found.end());
  pending_.insert(pending_.end(), found.begin(), found.end());
  return Status::Ok();
}

void ImageDirSource::Skip(Status why) {
  skipped_.fetch_add(1, std::memory_order_relaxed);
  if (options_.on_skip) options_.on_skip(why);
  last_skip_error_ = std::move(why);
}

Status ImageDirSource::Read(Frame& into) {
  if (!open_) return Unavailable("image directory '" + options_.path + "': not open");
  for (;;) {
    if (pending_.empty()) {
      if (options_.watch) {
        sleep_(options_.poll_interval);
        RVM_RETURN_IF_ERROR(Scan());
        if (pending_.empty()) {
          return Unavailable("image directory '" + options_.path + "': no new image yet");
        }
      } else if (options_.loop) {
        if (frames_this_pass_ == 0) {
          // Looping over a directory without one readable image would spin.
          return InvalidArgument("image directory '" + options_.path +
                                 "': no readable image to loop over");
        }
        delivered_.clear();
        frames_this_pass_ = 0;
        RVM_RETURN_IF_ERROR(Scan());
      } else {
        return EndOfStream(name_);
      }
      continue;
    }
    std::string file = std::move(pending_.front());
    pending_.pop_front();
    delivered_.insert(file);
    std::string path = (std::filesystem::path(options_.path) / file).string();
    Status read = ReadFileInto(path, bytes_, "image");
    if (!read.ok()) {
      Skip(std::move(read));
      continue;
    }
    if (Status decoded = decoder_.Decode(bytes_.data(), bytes_.size(), path, {}, decoded_);
        !decoded.ok()) {
      Skip(std::move(decoded));
      continue;
    }
    decoded_.bgr.copyTo(into.image);
    RVM_RETURN_IF_ERROR(EnsureBgr8(into.image, scratch_, name_));
    last_file_ = file;
    ++frames_this_pass_;
    StampFrame(into, next_seq_++, clock_, name_);
    return Status::Ok();
  }
}

std::string ImageDirSource::Describe() const {
  std::string mode = options_.watch ? ", watching" : options_.loop ? ", looping" : "";
  return name_ + " (" + options_.path + mode + ", " + std::to_string(skipped()) + " skipped)";
}

}  // namespace rvm
