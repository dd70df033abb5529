// The dashboard page served at `GET /`: one self-contained HTML document
// (inline CSS and JavaScript, no external URL, works offline). It polls
// /api/status, /readyz and /api/decisions every two seconds and draws the
// throughput chart itself on a canvas. Opened as `/?token=...`, it keeps the
// token in sessionStorage, removes it from the address bar and sends it as
// `Authorization: Bearer` (images carry it as `?token=`).
#pragma once

#include <string_view>

namespace rvm::admin {

std::string_view DashboardHtml();

}  // namespace rvm::admin
