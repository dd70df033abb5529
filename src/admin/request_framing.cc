#include "admin/request_framing.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace rvm::admin {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

RequestFrame Refuse(int status, std::string reason) {
  RequestFrame f;
  f.kind = RequestFrame::Kind::kRefused;
  f.status = status;
  f.reason = std::move(reason);
  return f;
}

}  // namespace

RequestFrame FrameRequest(std::string_view buffered, const FramingLimits& limits) {
  RequestFrame frame;
  const size_t line_end = buffered.find('\n');
  if (line_end != std::string_view::npos) {
    // "METHOD TARGET VERSION": the path is what the listener routes on.
    const std::string_view line = buffered.substr(0, line_end);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
      return Refuse(400, "malformed request line");
    }
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    frame.path = std::string(target.substr(0, target.find('?')));
  }
  size_t head_end = buffered.find("\r\n\r\n");
  size_t sep = 4;
  if (head_end == std::string_view::npos) {
    head_end = buffered.find("\n\n");
    sep = 2;
  }
  if (head_end == std::string_view::npos) {
    if (buffered.size() > limits.max_head_bytes) {
      return Refuse(431, "request head is larger than " + std::to_string(limits.max_head_bytes) +
                             " bytes");
    }
    return frame;
  }
  if (head_end + sep > limits.max_head_bytes) {
    return Refuse(431, "request head is larger than " + std::to_string(limits.max_head_bytes) +
                           " bytes");
  }
  size_t content_length = 0;
  bool expect_continue = false;
  std::string_view headers = buffered.substr(line_end + 1, head_end - line_end);
  while (!headers.empty()) {
    const size_t nl = headers.find('\n');
    const std::string_view header = headers.substr(0, nl);
    headers.remove_prefix(nl == std::string_view::npos ? headers.size() : nl + 1);
    const size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = Trim(header.substr(0, colon));
    const std::string_view value = Trim(header.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Length")) {
      size_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Refuse(400, "Content-Length is not a number");
      }
      content_length = n;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return Refuse(501, "Transfer-Encoding is not supported; send a Content-Length");
    } else if (EqualsIgnoreCase(name, "Expect") && EqualsIgnoreCase(value, "100-continue")) {
      expect_continue = true;
    }
  }
  if (content_length > limits.max_body_bytes) {
    return Refuse(413, "request body is larger than " + std::to_string(limits.max_body_bytes) +
                           " bytes");
  }
  const size_t total = head_end + sep + content_length;
  if (buffered.size() < total) {
    frame.expects_continue = expect_continue;
    return frame;
  }
  frame.kind = RequestFrame::Kind::kComplete;
  frame.size = total;
  return frame;
}

}  // namespace rvm::admin
