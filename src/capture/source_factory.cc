#include "capture/source_factory.h"

#include "capture/camera_source.h"
#include "capture/gstreamer_source.h"
#include "capture/image_dir_source.h"
#include "capture/video_file_source.h"

namespace rvm {

const char* SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kCamera:
      return "camera";
    case SourceKind::kGStreamer:
      return "gstreamer";
    case SourceKind::kVideo:
      return "video";
    case SourceKind::kImages:
      return "images";
    case SourceKind::kSynthetic:
      return "synthetic";
  }
  return "unknown";
}

Result<SourceKind> ParseSourceKind(std::string_view name) {
  for (SourceKind k : {SourceKind::kCamera, SourceKind::kGStreamer, SourceKind::kVideo,
                       SourceKind::kImages, SourceKind::kSynthetic}) {
    if (name == SourceKindName(k)) return k;
  }
  return InvalidArgument("capture.source: '" + std::string(name) +
                         "' is not one of camera, gstreamer, video, images, synthetic");
}

Status ValidateCaptureOptions(const CaptureOptions& o) {
  const std::string kind = SourceKindName(o.kind);
  switch (o.kind) {
    case SourceKind::kCamera:
      if (o.device.empty()) return InvalidArgument("capture.device: required for source 'camera'");
      if (!o.fourcc.empty() && o.fourcc.size() != 4) {
        return InvalidArgument("capture.fourcc: '" + o.fourcc + "' is not four characters");
      }
      break;
    case SourceKind::kGStreamer:
      if (o.pipeline.empty()) {
        return InvalidArgument(
            "capture.uri: a GStreamer pipeline is required for source "
            "'gstreamer'");
      }
      if (!EndsInAppsink(o.pipeline)) {
        return InvalidArgument("capture.uri: the GStreamer pipeline must end in appsink");
      }
      break;
    case SourceKind::kVideo:
    case SourceKind::kImages:
      if (o.path.empty())
        return InvalidArgument("capture.path: required for source '" + kind + "'");
      break;
    case SourceKind::kSynthetic:
      break;
  }
  if (o.kind == SourceKind::kCamera || o.kind == SourceKind::kSynthetic) {
    if (o.width <= 0 || o.height <= 0) {
      return InvalidArgument("capture.width/height: " + std::to_string(o.width) + "x" +
                             std::to_string(o.height) + " must be positive");
    }
    if (!(o.fps > 0)) return InvalidArgument("capture.fps: must be > 0");
  }
  if (o.watch && o.kind != SourceKind::kImages) {
    return InvalidArgument("capture.watch: only applies to source 'images', not '" + kind + "'");
  }
  if (o.kind == SourceKind::kCamera || o.kind == SourceKind::kGStreamer) {
    Status s = ReconnectingSource::Validate(o.reconnect);
    if (!s.ok()) return InvalidArgument("capture." + s.message());
  }
  return Status::Ok();
}

Result<BuiltSource> MakeFrameSource(const CaptureOptions& o, const Clock& clock, SleepFn sleep) {
  RVM_RETURN_IF_ERROR(ValidateCaptureOptions(o));
  BuiltSource built;
  std::unique_ptr<FrameSource> live;
  switch (o.kind) {
    case SourceKind::kCamera:
      live = std::make_unique<CameraSource>(CameraOptions{.device = o.device,
                                                          .width = o.width,
                                                          .height = o.height,
                                                          .fps = o.fps,
                                                          .fourcc = o.fourcc},
                                            clock);
      break;
    case SourceKind::kGStreamer:
      live = std::make_unique<GStreamerSource>(o.pipeline, clock);
      break;
    case SourceKind::kVideo:
      built.source = std::make_unique<VideoFileSource>(
          VideoFileOptions{.path = o.path, .loop = o.loop, .pace = o.pace}, clock,
          std::move(sleep));
      return built;
    case SourceKind::kImages:
      built.source =
          std::make_unique<ImageDirSource>(ImageDirOptions{.path = o.path,
                                                           .loop = o.loop,
                                                           .watch = o.watch,
                                                           .max_pixels = o.max_image_pixels,
                                                           .on_skip = o.on_image_skipped},
                                           clock, std::move(sleep));
      return built;
    case SourceKind::kSynthetic: {
      SyntheticSceneOptions scene = o.synthetic;
      scene.width = o.width;
      scene.height = o.height;
      scene.fps = o.fps;
      scene.pace = o.pace;
      built.source = std::make_unique<SyntheticSource>(std::move(scene), clock, std::move(sleep));
      return built;
    }
  }
  auto reconnecting =
      std::make_unique<ReconnectingSource>(std::move(live), o.reconnect, clock, std::move(sleep));
  built.reconnecting = reconnecting.get();
  built.source = std::move(reconnecting);
  return built;
}

}  // namespace rvm
