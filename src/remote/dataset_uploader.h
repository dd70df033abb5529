// DatasetUploader: where CAPTURE_IMAGE's snapshot goes on edge v1. The
// contract's device-authenticated upload route is `POST /api/v1/dataset/upload`
// (X-RVM-API-KEY; multipart `image`, optional `camera_port`; 201 with the
// stored file's path), which is what the reference client uploads its
// capture to (platform-api.md B3.6; dev-server only: master answers 404,
// reported as the command's failure).
//
// It has its own HTTP handle (one more pooled connection) and is used by the
// heartbeat thread only: not thread-safe.
#pragma once

#include <memory>

#include "base/clock.h"
#include "remote/command_executor.h"
#include "uplink/http_client.h"
#include "uplink/platform_client_options.h"

namespace rvm::remote {

class DatasetUploader final : public SnapshotUploader {
 public:
  // Needs options.base_url and options.api_key (InvalidArgument naming the key).
  static Result<std::unique_ptr<DatasetUploader>> Create(uplink::PlatformClientOptions options,
                                                         const Clock& clock);

  // The response's `data` (file_path, filename, ...); Unavailable with the
  // server's message when the platform did not store it.
  Result<nlohmann::json> Upload(const std::string& jpeg) override;

 private:
  DatasetUploader(uplink::PlatformClientOptions options, const Clock& clock,
                  std::unique_ptr<uplink::HttpClient> http);

  const uplink::PlatformClientOptions options_;
  const Clock& clock_;
  std::unique_ptr<uplink::HttpClient> http_;
};

}  // namespace rvm::remote
