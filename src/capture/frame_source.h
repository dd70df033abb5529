// FrameSource: where frames come from (a camera, a GStreamer pipeline, a video
// file, a directory of images, a synthetic scene).
//
// A source reads into a caller-provided Frame (see frame.h) so the caller
// controls every buffer. Read() reports one of three kinds of outcome, and the
// caller acts on the kind, not on the message:
//   - OK: `into` holds the next frame.
//   - end of stream (IsEndOfStream): a finite source has no more frames; only
//     Close() or Open() is useful afterwards.
//   - temporary failure (IsTemporary, code kUnavailable): no frame this time
//     (camera unplugged or stalled, no new image yet); trying again, or
//     reopening, may succeed. ReconnectingSource handles these for live
//     sources.
//   - anything else is fatal (bad configuration, unsupported build, corrupt
//     file that cannot be skipped): retrying will not help.
// Messages name the source and what is wrong ("camera '/dev/video3': no such
// device").
//
// Thread-safety: a FrameSource is thread-compatible. One thread (the capture
// thread) calls Open/Read/Close; name() and Describe() are safe to call from
// that thread only unless an implementation says otherwise.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core/mat.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "capture/frame.h"

namespace rvm {

class FrameSource {
 public:
  virtual ~FrameSource() = default;

  // Opens the source, or closes and reopens it if already open. The sequence
  // number restarts at 0 (ReconnectingSource keeps its own count).
  virtual Status Open() = 0;
  // Reads the next frame into `into` (see the outcomes above). Reading from a
  // source that is not open is a temporary failure.
  virtual Status Read(Frame& into) = 0;
  // Releases the device or file. Safe to call twice or before Open().
  virtual void Close() = 0;
  // Short stable name used in Frame::source_name and messages, e.g.
  // "camera:/dev/video0", "video:conveyor.mp4".
  virtual const std::string& name() const = 0;
  // One line for logs and the status page: kind, settings, what the device
  // granted ("camera:/dev/video0 requested 1280x720@30, granted 1280x720@30").
  virtual std::string Describe() const = 0;
  // Whether Open() after an earlier Open() plays the same frames again from
  // the first (a video file, a directory that is not watched, a synthetic
  // scene) rather than going on with what comes next (a camera, a GStreamer
  // pipeline, a watched directory). A pipeline restart follows the items
  // decided before it as still in view only over a source that goes on: over
  // one that starts over, those are the recording's first items, to be
  // decided again.
  virtual bool StartsOverWhenReopened() const = 0;
};

// End of stream. Carried in StatusCode::kResourceExhausted (the source is
// exhausted); test for it with IsEndOfStream(), never by code.
Status EndOfStream(const std::string& source_name);
bool IsEndOfStream(const Status& s);

// A failure that may go away: retry or reopen.
inline bool IsTemporary(const Status& s) { return s.code() == StatusCode::kUnavailable; }

// Neither OK, end of stream nor temporary.
inline bool IsFatal(const Status& s) { return !s.ok() && !IsEndOfStream(s) && !IsTemporary(s); }

// Helpers for implementations.

// Converts `image` in place to continuous 8-bit BGR (from grey, BGRA or
// 16-bit), using `scratch` as the intermediate buffer so repeated calls with
// the same geometry do not allocate. Fails (kInvalidArgument) on an empty
// image or one with an unusable channel count, naming `source_name`.
Status EnsureBgr8(cv::Mat& image, cv::Mat& scratch, const std::string& source_name);

// Fills the bookkeeping fields of a freshly read frame.
void StampFrame(Frame& frame, int64_t seq, const Clock& clock, const std::string& source_name);

}  // namespace rvm
