#include "admin/dashboard_page.h"

namespace rvm::admin {
namespace {

// Rules for this page: no external URL, and no "//" at all (so the test that
// forbids absolute and protocol-relative URLs stays simple): comments are /* */.
constexpr std::string_view kPage = R"rvmhtml(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RVM Edge</title>
<style>
:root { --bg:#0f1419; --panel:#1a2129; --line:#2c3742; --text:#d8dee6; --dim:#8a97a6;
        --ok:#3fb950; --bad:#f85149; --warn:#d29922; --accent:#58a6ff; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--text);
       font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:12px 20px;
         border-bottom:1px solid var(--line); flex-wrap:wrap; }
header h1 { font-size:18px; margin:0; }
.badge { padding:2px 10px; border-radius:10px; font-weight:600; font-size:12px; }
.ok { background:#12361d; color:var(--ok); } .bad { background:#3d1417; color:var(--bad); }
.warn { background:#3a2c0c; color:var(--warn); }
.dim { color:var(--dim); }
td.ok, td.bad { background:none; }
main { display:grid; grid-template-columns:repeat(auto-fit, minmax(340px, 1fr)); gap:14px;
       padding:14px 20px; }
section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px; }
section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim);
             margin:0 0 10px; }
.cards { display:grid; grid-template-columns:repeat(3, 1fr); gap:8px; }
.card { background:#121920; border-radius:6px; padding:8px; }
.card .v { font-size:20px; font-weight:600; font-variant-numeric:tabular-nums; }
.card .k { font-size:11px; color:var(--dim); }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
td, th { padding:4px 6px; border-bottom:1px solid var(--line); text-align:left; }
th { color:var(--dim); font-weight:500; font-size:12px; }
td.n { text-align:right; }
img.thumb { width:64px; height:auto; border-radius:3px; display:block; }
canvas { width:100%; height:180px; display:block; }
button { background:#21303d; color:var(--text); border:1px solid var(--line); border-radius:5px;
         padding:5px 12px; cursor:pointer; }
button:hover { border-color:var(--accent); }
input { background:#121920; color:var(--text); border:1px solid var(--line); border-radius:5px;
        padding:4px 8px; }
pre { max-height:220px; overflow:auto; font-size:11px; margin:0; white-space:pre-wrap; }
#snapshot { max-width:100%; border-radius:4px; }
.wide { grid-column:1 / -1; }
#msg { min-height:1.2em; }
</style>
</head>
<body>
<header>
  <h1 id="name">RVM Edge</h1>
  <span id="ready" class="badge warn">connecting</span>
  <span id="maint" class="badge warn" hidden>maintenance</span>
  <span class="dim" id="ident"></span>
  <span class="dim">up <span id="uptime">-</span></span>
  <span class="dim">polls <span id="poll-count">0</span></span>
  <span class="dim" id="auth"></span>
</header>
<main>
<section>
  <h2>Counters</h2>
  <div class="cards">
    <div class="card"><div class="v" id="frames-captured">-</div><div class="k">frames captured</div></div>
    <div class="card"><div class="v" id="frames-processed">-</div><div class="k">frames detected</div></div>
    <div class="card"><div class="v" id="frames-dropped">-</div><div class="k">frames dropped</div></div>
    <div class="card"><div class="v" id="items-decided">-</div><div class="k">items decided</div></div>
    <div class="card"><div class="v" id="items-accepted">-</div><div class="k">items accepted</div></div>
    <div class="card"><div class="v" id="mode">-</div><div class="k">capture mode</div></div>
    <div class="card"><div class="v" id="queues">-</div><div class="k">queues frames / results</div></div>
    <div class="card"><div class="v" id="pool">-</div><div class="k">frame pool in use</div></div>
    <div class="card"><div class="v" id="batch">-</div><div class="k">mean batch</div></div>
  </div>
</section>
<section>
  <h2>Throughput (frames/s, up to the last 5 min)</h2>
  <canvas id="chart" width="600" height="180"></canvas>
  <div class="dim"><span style="color:#58a6ff">&#9632;</span> captured
    <span style="color:#3fb950">&#9632;</span> detected
    <span style="color:#d29922">&#9632;</span> items/min</div>
</section>
<section>
  <h2>Stage latency (ms)</h2>
  <table><thead><tr><th>stage</th><th>recent mean</th><th>p50</th><th>p99</th><th>count</th></tr></thead>
  <tbody id="stages"></tbody></table>
</section>
<section>
  <h2>Backlog and uplink</h2>
  <div class="cards">
    <div class="card"><div class="v" id="backlog">-</div><div class="k">records pending</div></div>
    <div class="card"><div class="v" id="backlog-age">-</div><div class="k">oldest pending</div></div>
    <div class="card"><div class="v" id="outbox-use">-</div><div class="k">outbox quota used</div></div>
    <div class="card"><div class="v" id="delivered">-</div><div class="k">delivered</div></div>
    <div class="card"><div class="v" id="retries">-</div><div class="k">retries</div></div>
    <div class="card"><div class="v" id="circuit">-</div><div class="k">circuit</div></div>
  </div>
</section>
<section>
  <h2>Health checks</h2>
  <table><tbody id="checks"></tbody></table>
</section>
<section>
  <h2>Machine</h2>
  <table><tbody id="machine"></tbody></table>
</section>
<section class="wide">
  <h2>Recent decisions</h2>
  <table><thead><tr><th></th><th>decided</th><th>label</th><th>material</th><th>confidence</th>
  <th>outcome</th><th>frames</th><th>item</th></tr></thead>
  <tbody id="decisions"></tbody></table>
</section>
<section>
  <h2>Controls</h2>
  <p><button id="trigger">Trigger capture</button>
     <button id="maint-on">Enter maintenance</button>
     <button id="maint-off">Leave maintenance</button></p>
  <p><input id="reason" placeholder="maintenance reason" size="28"></p>
  <p class="dim" id="msg"></p>
</section>
<section>
  <h2>Latest frame</h2>
  <img id="snapshot" alt="no frame yet">
</section>
<section class="wide">
  <h2>Log</h2>
  <pre id="logs" class="dim">-</pre>
</section>
</main>
<script>
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  if (params.get("token")) {
    sessionStorage.setItem("rvmToken", params.get("token"));
    params.delete("token");
    var rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : ""));
  }
  var token = sessionStorage.getItem("rvmToken") || "";
  var $ = function (id) { return document.getElementById(id); };
  var history_ = [];   /* {t, captured, processed, items} per poll, 5 min */
  var prevStages = {};
  var polls = 0;

  function api(path, opts) {
    opts = opts || {};
    opts.headers = opts.headers || {};
    if (token) opts.headers["Authorization"] = "Bearer " + token;
    opts.cache = "no-store";
    return fetch(path, opts);
  }
  function withToken(url) {
    return token ? url + (url.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(token) : url;
  }
  function fmt(n) {
    if (n === null || n === undefined) return "-";
    if (typeof n !== "number") return String(n);
    if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + "M";
    if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + "k";
    return Number.isInteger(n) ? String(n) : n.toFixed(2);
  }
  function bytes(n) {
    if (n === null || n === undefined) return "-";
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return n.toFixed(i ? 1 : 0) + " " + u[i];
  }
  function dur(s) {
    if (s < 60) return s.toFixed(0) + " s";
    if (s < 3600) return (s / 60).toFixed(1) + " min";
    if (s < 86400) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  }
  function text(id, v) { $(id).textContent = v; }
  /* Counters also carry their raw value, for scripts reading the page. */
  function num(id, n) { $(id).textContent = fmt(n); $(id).dataset.value = n; }
  function cell(tr, v, cls) {
    var td = document.createElement("td");
    td.textContent = v;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function showStatus(s) {
    var p = s.pipeline;
    text("name", s.machine_name || "RVM Edge");
    text("ident", s.machine_id + " \u00b7 " + s.version + " \u00b7 " + s.source);
    text("uptime", dur(s.uptime_s));
    $("maint").hidden = !s.maintenance;
    $("maint").textContent = "maintenance" + (s.maintenance_reason ? ": " + s.maintenance_reason : "");
    num("frames-captured", p.frames_captured);
    num("frames-processed", p.frames_processed);
    num("frames-dropped", p.frames_dropped);
    num("items-decided", p.items_decided);
    num("items-accepted", p.items_accepted);
    text("mode", p.mode);
    text("queues", p.frame_queue.depth + "/" + p.frame_queue.capacity + " \u00b7 " +
         p.result_queue.depth + "/" + p.result_queue.capacity);
    text("pool", p.frame_pool.in_use + "/" + p.frame_pool.size);
    text("batch", fmt(p.mean_batch));

    var o = s.outbox;
    text("backlog", o ? fmt(o.pending) : "off");
    text("backlog-age", o ? dur(o.oldest_pending_age_ms / 1000) : "-");
    text("outbox-use", o && o.quota_bytes ? (100 * o.bytes_used / o.quota_bytes).toFixed(1) + " %" : "-");
    var u = s.uplink;
    text("delivered", u ? fmt(u.delivered) : "offline");
    text("retries", u ? fmt(u.retries) : "-");
    text("circuit", u ? u.circuit : "-");
    $("circuit").className = "v" + (u && u.circuit !== "closed" ? " bad" : "");

    var tb = $("stages");
    tb.textContent = "";
    s.stages.forEach(function (st) {
      var prev = prevStages[st.stage];
      var recent = prev && st.count > prev.count ? (st.sum_ms - prev.sum_ms) / (st.count - prev.count) : st.mean_ms;
      prevStages[st.stage] = st;
      var tr = document.createElement("tr");
      cell(tr, st.stage);
      cell(tr, recent.toFixed(2), "n");
      cell(tr, st.p50_ms.toFixed(2), "n");
      cell(tr, st.p99_ms.toFixed(2), "n");
      cell(tr, fmt(st.count), "n");
      tb.appendChild(tr);
    });

    var m = $("machine"), sys = s.system;
    m.textContent = "";
    var rows = [["CPU", sys.cpu_usage_percent === null ? "-" : sys.cpu_usage_percent + " %"],
                ["memory", sys.memory_used_percent === null ? "-" : sys.memory_used_percent + " %"],
                ["disk (outbox)", sys.disk_used_percent === null ? "-" : sys.disk_used_percent + " %"],
                ["service RSS", bytes(sys.rss_bytes)],
                ["service CPU time", sys.process_cpu_s.toFixed(1) + " s"]];
    if (sys.gpu_load_percent !== null) rows.push(["GPU load", sys.gpu_load_percent + " %"]);
    Object.keys(sys.temperatures_c).forEach(function (k) {
      rows.push([k, sys.temperatures_c[k].toFixed(1) + " \u00b0C"]);
    });
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      cell(tr, r[0]);
      cell(tr, r[1], "n");
      m.appendChild(tr);
    });

    history_.push({t: Date.now(), captured: p.frames_captured, processed: p.frames_processed,
                   items: p.items_decided});
    while (history_.length > 2 && history_[0].t < Date.now() - 300000) history_.shift();
    draw();
  }

  function draw() {
    var c = $("chart"), g = c.getContext("2d");
    var w = c.width, h = c.height, pad = 28;
    g.clearRect(0, 0, w, h);
    var series = [[], [], []];
    for (var i = 1; i < history_.length; i++) {
      var a = history_[i - 1], b = history_[i], dt = (b.t - a.t) / 1000;
      if (dt <= 0) continue;
      series[0].push([b.t, (b.captured - a.captured) / dt]);
      series[1].push([b.t, (b.processed - a.processed) / dt]);
      series[2].push([b.t, 60 * (b.items - a.items) / dt]);
    }
    var max = 1;
    series.forEach(function (s) { s.forEach(function (p) { max = Math.max(max, p[1]); }); });
    /* The axis spans the history kept, growing to 5 minutes after opening. */
    var now = Date.now();
    var span = Math.min(300000, Math.max(10000, now - (history_.length ? history_[0].t : now)));
    var t0 = now - span;
    g.strokeStyle = "#2c3742";
    g.fillStyle = "#8a97a6";
    g.font = "10px sans-serif";
    for (var k = 0; k <= 4; k++) {
      var y = h - pad + (pad * 2 - h) * k / 4 + 0.5;
      g.beginPath(); g.moveTo(pad, y); g.lineTo(w, y); g.stroke();
      g.fillText((max * k / 4).toFixed(max < 8 ? 1 : 0), 2, y + 3);
    }
    g.fillText(span >= 120000 ? "-" + Math.round(span / 60000) + " min"
                              : "-" + Math.round(span / 1000) + " s", pad, h - 8);
    g.fillText("now", w - 22, h - 8);
    ["#58a6ff", "#3fb950", "#d29922"].forEach(function (color, idx) {
      var s = series[idx];
      if (!s.length) return;
      g.strokeStyle = color;
      g.lineWidth = 1.5;
      g.beginPath();
      s.forEach(function (p, j) {
        var x = pad + (w - pad) * (p[0] - t0) / span;
        var y = h - pad - (h - 2 * pad) * p[1] / max;
        if (j === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
    });
  }

  function showReady(r) {
    var b = $("ready");
    b.textContent = r.ready ? "ready" : "not ready: " + r.failing.join(", ");
    b.className = "badge " + (r.ready ? "ok" : "bad");
    var tb = $("checks");
    tb.textContent = "";
    r.checks.forEach(function (c) {
      var tr = document.createElement("tr");
      cell(tr, c.ok ? "\u2714" : "\u2718", c.ok ? "ok" : "bad");
      cell(tr, c.name);
      cell(tr, c.detail, "dim");
      tb.appendChild(tr);
    });
  }

  function showDecisions(d) {
    var tb = $("decisions");
    tb.textContent = "";
    /* Beyond loopback the list needs the token: without one it is empty. */
    (d.decisions || []).forEach(function (x) {
      var tr = document.createElement("tr");
      tr.className = "decision";
      var td = cell(tr, "");
      if (x.thumbnail_url) {
        var img = document.createElement("img");
        img.className = "thumb";
        img.alt = x.label;
        img.src = withToken(x.thumbnail_url);
        td.appendChild(img);
      }
      cell(tr, new Date(x.decided_at_ms).toLocaleTimeString());
      cell(tr, x.label);
      cell(tr, x.material || "unknown");
      cell(tr, (100 * x.confidence).toFixed(1) + " %", "n");
      cell(tr, x.status + (x.reason ? " (" + x.reason + ")" : ""), x.accepted ? "ok" : "bad");
      cell(tr, x.frames, "n");
      cell(tr, x.item_id.slice(-12), "dim");
      tb.appendChild(tr);
    });
  }

  function poll() {
    var jobs = [
      api("/api/status").then(function (r) { return r.json(); }).then(showStatus),
      api("/readyz").then(function (r) { return r.json(); }).then(showReady),
      api("/api/decisions?limit=15").then(function (r) { return r.json(); }).then(showDecisions)
    ];
    Promise.all(jobs).then(function () {
      polls++;
      text("poll-count", polls);
      document.body.dataset.polls = polls;
    }, function (e) {
      $("ready").textContent = "unreachable";
      $("ready").className = "badge bad";
    });
  }

  function slowPoll() {
    if (!token) {
      text("auth", "no token: controls, images and log need /?token=...");
      return;
    }
    api("/api/auth").then(function (r) {
      text("auth", r.ok ? "token accepted" : "token refused");
      if (!r.ok) return;
      $("snapshot").src = withToken("/api/snapshot.jpg?t=" + Date.now());
      api("/api/logs?lines=60").then(function (r) { return r.json(); }).then(function (l) {
        $("logs").textContent = l.lines.length ? l.lines.join("\n") : "(empty)";
      });
    });
  }

  function post(path, body) {
    api(path, {method: "POST", headers: {"Content-Type": "application/json"},
               body: JSON.stringify(body || {})})
      .then(function (r) { return r.json().then(function (j) { return [r, j]; }); })
      .then(function (rj) {
        text("msg", rj[0].ok ? path + ": done" : path + ": " + rj[0].status + " " + rj[1].error);
        poll();
      });
  }
  $("trigger").onclick = function () { post("/api/trigger"); };
  $("maint-on").onclick = function () {
    post("/api/maintenance", {on: true, reason: $("reason").value || "dashboard"});
  };
  $("maint-off").onclick = function () { post("/api/maintenance", {on: false, reason: ""}); };

  poll();
  slowPoll();
  setInterval(poll, 2000);
  setInterval(slowPoll, 5000);
})();
</script>
</body>
</html>
)rvmhtml";

}  // namespace

std::string_view DashboardHtml() { return kPage; }

}  // namespace rvm::admin
