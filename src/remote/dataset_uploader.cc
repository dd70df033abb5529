#include "remote/dataset_uploader.h"

#include "uplink/response_class.h"

namespace rvm::remote {

using nlohmann::json;

Result<std::unique_ptr<DatasetUploader>> DatasetUploader::Create(
    uplink::PlatformClientOptions options, const Clock& clock) {
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (options.base_url.empty()) return InvalidArgument("uplink.base_url: must not be empty");
  if (options.api_key.empty()) {
    return InvalidArgument("uplink.api_key: required for the edge v1 dataset upload");
  }
  auto http = uplink::HttpClient::Create(options.http);
  if (!http.ok()) return http.status();
  return std::unique_ptr<DatasetUploader>(
      new DatasetUploader(std::move(options), clock, std::move(http).value()));
}

DatasetUploader::DatasetUploader(uplink::PlatformClientOptions options, const Clock& clock,
                                 std::unique_ptr<uplink::HttpClient> http)
    : options_(std::move(options)), clock_(clock), http_(std::move(http)) {}

Result<json> DatasetUploader::Upload(const std::string& jpeg) {
  const std::string filename = "snapshot-" + std::to_string(clock_.WallMillis()) + ".jpg";
  const uplink::HttpResponse r = http_->PostMultipart(
      options_.base_url + "/api/v1/dataset/upload",
      {{"X-RVM-API-KEY", options_.api_key}, {"Accept", "application/json"}},
      {{"image", jpeg, filename, "image/jpeg"}, {"camera_port", "snapshot", "", ""}});
  const uplink::Classification c = uplink::Classify(r, clock_.WallMillis());
  if (c.verdict != uplink::Verdict::kAck) return Unavailable("dataset upload: " + c.message);
  const json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return Unavailable("dataset upload: the response body is not JSON");
  if (auto d = body.find("data"); d != body.end() && d->is_object()) return *d;
  return json::object();
}

}  // namespace rvm::remote
