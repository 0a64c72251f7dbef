#include "runtime/http/view_script.hpp"

#include <string>

namespace cafka::http {

namespace {

// Polling, formatting and the tables. Every string from the JSON reaches the DOM as a text
// node (el() and textContent), never as markup.
constexpr std::string_view script_tables = R"js("use strict";
(function () {
const POLL_MS = 1000, FETCH_TIMEOUT_MS = 3000, STALE_MS = 3500, MAX_EVENTS = 200;
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
let view = null, lastOkMs = 0, failure = "", renderFailure = "", showInternal = false, newestSeq = null;

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = String(v);
    else e.setAttribute(k, String(v));
  }
  for (const c of kids.flat()) {
    if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}
const arr = (x) => (Array.isArray(x) ? x : []);
const isNum = (x) => typeof x === "number" && isFinite(x);
const pad2 = (n) => String(n).padStart(2, "0");
function clock(ms) {
  if (!isNum(ms) || ms <= 0) return "\u2013";
  const d = new Date(ms);
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
}
function count(n) { return isNum(n) && n >= 0 ? n.toLocaleString("en-US") : "\u2013"; }
function nodeId(n) { return isNum(n) && n >= 0 ? String(n) : "none"; }
function scaled(v, units, base) {
  if (!isNum(v)) return "\u2013";
  let i = 0;
  while (Math.abs(v) >= base && i < units.length - 1) { v /= base; i++; }
  const digits = i === 0 ? (Number.isInteger(v) ? 0 : 1) : (Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0);
  return String(parseFloat(v.toFixed(digits))) + units[i];
}
const rate = (v) => scaled(v, ["", "k", "M", "G", "T"], 1000);
const bytes = (v) => scaled(v, [" B", " kB", " MB", " GB", " TB"], 1000);
const millis = (v) => (isNum(v) ? String(parseFloat(v.toFixed(v < 10 ? 2 : 1))) + " ms" : "\u2013");
function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? s + " s ago" : Math.floor(s / 60) + " min " + (s % 60) + " s ago";
}
function pill(text, tone) { return el("span", {class: "pill " + (tone || "")}, text); }
function crown() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 16");
  svg.setAttribute("class", "crown");
  svg.setAttribute("data-testid", "controller-crown");
  const title = document.createElementNS(SVG, "title");
  title.textContent = "active controller";
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M1 15 L3 3 L8 8 L12 1 L16 8 L21 3 L23 15 Z");
  svg.append(title, path);
  return svg;
}

function renderHeader(v) {
  $("cluster-id").textContent = v.cluster_id ? v.cluster_id : "(no metadata yet)";
  $("node").textContent = nodeId(v.node);
  $("controller").textContent = isNum(v.controller) && v.controller >= 0 ? "node " + v.controller : "unknown";
  $("metadata-version").textContent = isNum(v.metadata_version) ? "v" + v.metadata_version : "\u2013";
  const u = $("updated");
  u.setAttribute("data-time-ms", String(isNum(v.time_ms) ? v.time_ms : 0));
  const banner = $("error-banner");
  const err = typeof v.error === "string" ? v.error : "";
  banner.hidden = err === "";
  banner.textContent = err === "" ? "" : "The view could not be refreshed: " + err + " (showing the last good state)";
}

function renderStatus() {
  const s = $("status"), u = $("updated");
  const stale = failure !== "" || (lastOkMs > 0 && Date.now() - lastOkMs > STALE_MS);
  let state = "live", text = "live";
  const banner = $("stale-banner"), why = failure || "no answer yet";
  banner.hidden = !stale;
  banner.textContent = !stale ? "" : view
    ? "No fresh view: " + why + " \u2014 showing the view of " + clock(view.time_ms) + ", retrying every second."
    : "No view yet: " + why + " \u2014 retrying every second.";
  if (stale) {
    state = "stale";
    text = view ? "stale \u00b7 last update " + ago(lastOkMs) : "no view";
  } else if (renderFailure) {
    state = "error"; text = "cannot show the view: " + renderFailure;
  } else if (view && view.error) {
    state = "error"; text = "error \u00b7 " + view.error;
  } else if (!view) {
    state = "loading"; text = "connecting\u2026";
  }
  s.setAttribute("data-state", state);
  s.textContent = text;
  s.title = text;
  document.body.classList.toggle("stale", stale && view !== null);
  if (view && isNum(view.time_ms)) u.textContent = clock(view.time_ms) + " (" + ago(lastOkMs) + ")";
}

function kpi(id, value, sub, tone) {
  const k = $(id);
  k.className = "kpi " + (tone || "");
  k.setAttribute("data-tone", tone || "");
  k.querySelector(".v").textContent = value;
  k.querySelector(".s").textContent = sub;
}
// The strip of headline numbers: what needs attention shows in amber or red.
function renderKpis(v) {
  const brokers = arr(v.brokers), alive = brokers.filter((b) => b.state === "alive").length;
  const fenced = brokers.filter((b) => b.state === "fenced").length;
  kpi("kpi-brokers", alive + " / " + brokers.length,
      !brokers.length ? "none known" : fenced ? fenced + " fenced" : alive === brokers.length ? "all alive" : "some unknown",
      !brokers.length ? "" : alive === brokers.length ? "ok" : fenced ? "bad" : "warn");
  let parts = 0, ur = 0, un = 0;
  for (const t of arr(v.topics)) for (const p of arr(t.partitions)) {
    parts++; if (p.under_replicated === true) ur++; if (p.unavailable === true) un++;
  }
  kpi("kpi-partitions", un ? un + " unavailable" : ur ? ur + " under-repl." : parts ? "all in sync" : "\u2013",
      parts + " partitions" + (un && ur ? " \u00b7 " + ur + " under-replicated" : ""), un ? "bad" : ur ? "warn" : parts ? "ok" : "");
  const groups = arr(v.groups), lags = groups.map((g) => g.lag).filter((l) => isNum(l) && l >= 0);
  const lag = lags.reduce((a, b) => a + b, 0);
  kpi("kpi-lag", groups.length ? count(lag) : "\u2013", groups.length + " group" + (groups.length === 1 ? "" : "s") +
      (lags.length < groups.length ? ", " + (groups.length - lags.length) + " unknown" : ""), lag > 0 ? "warn" : "ok");
  const tp = arr(v.throughput);
  const perSec = (x) => (isNum(x) ? rate(x) + "/s" : "\u2013");
  kpi("kpi-records", perSec(current(tp, "records_in")), "out " + perSec(current(tp, "records_out")), "");
  const lat = arr(v.latency);
  kpi("kpi-latency", millis(current(lat, "p99_ms")), "p50 " + millis(current(lat, "p50_ms")), "");
}

function renderBrokers(v) {
  const brokers = arr(v.brokers).slice().sort((a, b) => a.id - b.id);
  const alive = brokers.filter((b) => b.state === "alive").length;
  $("brokers-count").textContent = alive + " of " + brokers.length + " alive";
  const rows = brokers.map((b) => {
    const active = isNum(v.controller) && b.id === v.controller;
    const tone = b.state === "alive" ? "ok" : b.state === "fenced" ? "bad" : "";
    const role = b.controller ? "controller \u00b7 " + (b.quorum_role || "unreachable") : "broker";
    const url = typeof b.metrics_url === "string" && /^https?:\/\//.test(b.metrics_url) ? b.metrics_url : "";
    return el("tr", {"data-testid": "broker", "data-id": b.id, "data-state": b.state,
                     "data-active-controller": active ? "true" : "false",
                     class: active ? "active-controller" : ""},
      el("td", {}, String(b.id), active ? crown() : null),
      el("td", {class: "mono"}, b.address || ""),
      el("td", {}, pill(b.state || "unknown", tone)),
      el("td", {class: b.controller ? "" : "muted"}, role),
      el("td", {}, url ? el("a", {href: url, target: "_blank", rel: "noopener"}, "metrics") : el("span", {class: "muted"}, "off")));
  });
  $("brokers").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", {colspan: 5, class: "empty"}, "no brokers known"))]));
}

function replicaChips(p, list) {
  const isr = new Set(arr(p.isr));
  return arr(list).map((r) => el("span", {
    class: "replica" + (r === p.leader ? " leader" : "") + (isr.has(r) ? "" : " out"),
    title: (r === p.leader ? "leader" : "replica") + (isr.has(r) ? ", in sync" : ", not in sync")}, String(r)));
}

function renderTopics(v) {
  const topics = arr(v.topics).slice().sort((a, b) =>
    (a.internal === b.internal ? 0 : a.internal ? 1 : -1) || String(a.name).localeCompare(String(b.name)));
  let ur = 0, un = 0, internalCount = 0, internalBad = 0;
  const rows = [];
  for (const t of topics) {
    if (t.internal) internalCount++;
    const parts = arr(t.partitions).slice().sort((a, b) => a.partition - b.partition);
    parts.forEach((p, i) => {
      const isUr = p.under_replicated === true, isUn = p.unavailable === true;
      if (isUr) ur++;
      if (isUn) un++;
      if (t.internal && (isUr || isUn)) internalBad++;
      const why = isUn ? "unavailable: no live leader" : isUr ? "under-replicated: ISR smaller than replicas" : "";
      const tr = el("tr", {"data-testid": "partition", "data-topic": t.name, "data-partition": p.partition,
                           "data-under-replicated": isUr ? "true" : "false",
                           "data-unavailable": isUn ? "true" : "false",
                           "data-internal": t.internal ? "true" : "false",
                           class: (isUn ? "un" : isUr ? "ur" : "") + (i === 0 ? " topic-start" : ""),
                           title: why || null},
        el("td", {class: "topic"}, i === 0 ? t.name : ""),
        el("td", {class: "num"}, String(p.partition)),
        el("td", {class: "num"}, isUn && !(p.leader >= 0) ? pill("none", "bad") : nodeId(p.leader)),
        el("td", {class: "num"}, isNum(p.leader_epoch) ? String(p.leader_epoch) : "\u2013"),
        el("td", {}, replicaChips(p, p.replicas)),
        el("td", {}, arr(p.isr).join(", ") || "\u2013"),
        el("td", {class: "num"}, count(p.log_end_offset)),
        el("td", {class: "num"}, count(p.high_watermark)));
      tr.hidden = t.internal === true && !showInternal;
      rows.push(tr);
    });
  }
  const s = $("partition-summary");
  s.textContent = ur + " under-replicated, " + un + " unavailable";
  s.className = "summary " + (un ? "bad" : ur ? "warn" : "ok");
  s.setAttribute("data-under-replicated", String(ur));
  s.setAttribute("data-unavailable", String(un));
  const toggle = $("toggle-internal");
  toggle.hidden = internalCount === 0;
  toggle.setAttribute("aria-pressed", showInternal ? "true" : "false");
  toggle.textContent = (showInternal ? "hide" : "show") + " internal topics (" + internalCount + ")" +
    (internalBad && !showInternal ? " \u2013 " + internalBad + " need attention" : "");
  const visible = rows.some((r) => !r.hidden);
  if (!visible) rows.push(el("tr", {}, el("td", {colspan: 8, class: "empty"}, "no topics")));
  $("partitions").replaceChildren(...rows);
}

const GROUP_TONES = {Stable: "ok", PreparingRebalance: "warn", CompletingRebalance: "warn", Dead: "bad"};
function renderGroups(v) {
  const groups = arr(v.groups).slice().sort((a, b) => String(a.group).localeCompare(String(b.group)));
  $("groups-count").textContent = groups.length ? String(groups.length) : "";
  const cards = groups.map((g) => {
    const lag = isNum(g.lag) ? g.lag : -1;
    const members = arr(g.members).map((m) => el("tr", {"data-testid": "member", "data-member": m.member_id},
      el("td", {class: "mono"}, m.member_id || ""),
      el("td", {}, m.client || ""),
      el("td", {class: "mono"}, m.host || ""),
      el("td", {}, arr(m.partitions).join(", ") || "\u2013")));
    const offsets = arr(g.offsets).slice()
      .sort((a, b) => String(a.topic).localeCompare(String(b.topic)) || a.partition - b.partition)
      .map((o) => {
        const known = isNum(o.committed) && o.committed >= 0 && isNum(o.lag) && o.lag >= 0;
        return el("tr", {"data-testid": "group-offset", "data-topic": o.topic, "data-partition": o.partition,
                         "data-lag": known ? o.lag : -1},
          el("td", {}, o.topic + "-" + o.partition),
          el("td", {class: "num"}, count(o.committed)),
          el("td", {class: "num"}, count(o.log_end_offset)),
          el("td", {class: "num" + (known && o.lag > 0 ? " lag-pos" : "")}, known ? count(o.lag) : "\u2013"));
      });
    const empty = (n, text) => el("tr", {}, el("td", {colspan: n, class: "empty"}, text));
    return el("div", {class: "group", "data-testid": "group", "data-group": g.group, "data-lag": lag,
                      "data-state": g.state},
      el("div", {class: "group-head"},
        el("span", {class: "group-name"}, g.group),
        pill(g.state || "unknown", GROUP_TONES[g.state] || ""),
        el("span", {class: "muted"}, "coordinator " + nodeId(g.coordinator)),
        el("span", {class: "muted"}, "generation " + (isNum(g.generation) ? g.generation : "\u2013")),
        el("span", {class: "group-lag" + (lag > 0 ? " lagging" : ""), "data-testid": "group-lag"},
          "lag " + (lag >= 0 ? count(lag) : "unknown"))),
      el("div", {class: "group-body"},
        el("div", {}, el("h3", {}, "members (" + arr(g.members).length + ")"),
          el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "member"), el("th", {}, "client"),
            el("th", {}, "host"), el("th", {}, "partitions"))),
            el("tbody", {}, members.length ? members : empty(4, "no members")))),
        el("div", {}, el("h3", {}, "offsets"),
          el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "partition"), el("th", {class: "num"}, "committed"),
            el("th", {class: "num"}, "log end"), el("th", {class: "num"}, "lag"))),
            el("tbody", {}, offsets.length ? offsets : empty(4, "no committed offsets"))))));
  });
  $("groups").replaceChildren(...(cards.length ? cards : [el("div", {class: "empty"}, "no consumer groups")]));
}
)js";

// The charts (canvas, drawn here), the events timeline and the polling loop.
constexpr std::string_view script_charts = R"js(
function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
function niceStep(x) {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x))), m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

// samples: oldest first, each with time_ms; series: [{key, label, color}]; fmt: axis labels.
function drawChart(canvas, samples, series, fmt) {
  const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  if (w === 0 || h === 0) return;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const muted = cssVar("--muted"), grid = cssVar("--grid"), border = cssVar("--border");
  const L = 62, R = 10, T = 8, B = 20, pw = w - L - R, ph = h - T - B;
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = muted;
  const pts = samples.filter((s) => isNum(s.time_ms));
  if (!pts.length) {
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText("no samples yet", L + pw / 2, T + ph / 2);
    return;
  }
  const end = pts[pts.length - 1].time_ms;
  const span = Math.min(300000, Math.max(60000, end - pts[0].time_ms));
  const start = end - span;
  let max = 0;
  for (const s of pts) for (const se of series) if (isNum(s[se.key])) max = Math.max(max, s[se.key]);
  const step = niceStep(max / 4), top = step * Math.max(1, Math.ceil(max / step));
  const x = (t) => L + ((t - start) / span) * pw, y = (val) => T + ph - (val / top) * ph;
  ctx.lineWidth = 1;
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let val = 0; val <= top * 1.0001; val += step) {
    ctx.strokeStyle = val === 0 ? border : grid;
    ctx.beginPath(); ctx.moveTo(L, Math.round(y(val)) + 0.5); ctx.lineTo(L + pw, Math.round(y(val)) + 0.5); ctx.stroke();
    ctx.fillText(fmt(val), L - 6, y(val));
  }
  const tick = span <= 60000 ? 15000 : span <= 180000 ? 30000 : 60000;
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let t = end; t >= start - 1; t -= tick) {
    const secs = Math.round((end - t) / 1000);
    const label = secs === 0 ? "now" : "\u2212" + Math.floor(secs / 60) + ":" + pad2(secs % 60);
    ctx.textAlign = secs === 0 ? "right" : "center";
    ctx.fillText(label, Math.min(x(t), L + pw), T + ph + 5);
  }
  ctx.lineWidth = 1.75; ctx.lineJoin = "round";
  for (const se of series) {
    ctx.strokeStyle = se.color; ctx.fillStyle = se.color;
    ctx.beginPath();
    let pen = false, lone = null;
    for (const s of pts) {
      const val = s[se.key];
      if (!isNum(val) || s.time_ms < start) { pen = false; continue; }
      const px = x(s.time_ms), py = y(val);
      if (pen) { ctx.lineTo(px, py); lone = null; } else { ctx.moveTo(px, py); lone = [px, py]; }
      pen = true;
    }
    ctx.stroke();
    if (lone) { ctx.beginPath(); ctx.arc(lone[0], lone[1], 2, 0, 2 * Math.PI); ctx.fill(); }
  }
}

// The newest value of key (null samples skipped), for the legend.
function current(samples, key) {
  for (let i = samples.length - 1; i >= 0; i--) if (isNum(samples[i][key])) return samples[i][key];
  return null;
}
function legend(id, title, samples, series, fmt) {
  $(id).replaceChildren(el("b", {}, title), ...series.map((se) => el("span", {class: "legend"},
    el("i", {style: "background:" + se.color}), se.label + " ",
    el("span", {"data-testid": "current-" + se.key}, fmt(current(samples, se.key))))));
}
function renderCharts(v) {
  const tp = arr(v.throughput), lat = arr(v.latency);
  const rec = [{key: "records_in", label: "in", color: cssVar("--s1")}, {key: "records_out", label: "out", color: cssVar("--s2")}];
  const byt = [{key: "bytes_in", label: "in", color: cssVar("--s1")}, {key: "bytes_out", label: "out", color: cssVar("--s2")}];
  const lms = [{key: "p50_ms", label: "p50", color: cssVar("--s1")}, {key: "p99_ms", label: "p99", color: cssVar("--s3")}];
  legend("records-legend", "records/s", tp, rec, (x) => (isNum(x) ? rate(x) + "/s" : "\u2013"));
  legend("bytes-legend", "bytes/s", tp, byt, (x) => (isNum(x) ? bytes(x) + "/s" : "\u2013"));
  legend("latency-legend", "ms", lat, lms, millis);
  drawChart($("records-chart"), tp, rec, rate);
  drawChart($("bytes-chart"), tp, byt, bytes);
  drawChart($("latency-chart"), lat, lms, (x) => (x === 0 ? "0" : millis(x)));
}

function renderEvents(v) {
  const events = arr(v.events).slice(-MAX_EVENTS).reverse();
  const total = arr(v.events).length;
  $("events-count").textContent = total > MAX_EVENTS ? "newest " + MAX_EVENTS + " of " + total : total ? String(total) : "";
  const seen = newestSeq;
  const rows = events.map((e) => {
    const kind = typeof e.kind === "string" ? e.kind : "unknown";
    return el("tr", {"data-testid": "event", "data-kind": kind, "data-seq": e.seq,
                     class: seen !== null && isNum(e.seq) && e.seq > seen ? "fresh" : ""},
      el("td", {class: "time", title: isNum(e.time_ms) ? new Date(e.time_ms).toISOString() : null}, clock(e.time_ms)),
      el("td", {class: "node"}, "node " + nodeId(e.node)),
      el("td", {}, el("span", {class: /^[a-z_]+$/.test(kind) ? "kind kind-" + kind : "kind"}, kind.replace(/_/g, " "))),
      el("td", {}, e.text || ""));
  });
  if (events.length && isNum(events[0].seq)) newestSeq = Math.max(newestSeq === null ? -Infinity : newestSeq, events[0].seq);
  else if (newestSeq === null) newestSeq = -1;
  $("events").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", {colspan: 4, class: "empty"}, "no events yet"))]));
}

function render() {
  if (!view) return;
  try {
    renderHeader(view); renderKpis(view); renderBrokers(view); renderTopics(view); renderGroups(view);
    renderCharts(view); renderEvents(view);
    renderFailure = "";
  } catch (e) {
    renderFailure = String((e && e.message) || e);
  }
  renderStatus();
}

async function poll() {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const r = await fetch("api/view", {cache: "no-store", signal: ctl.signal});
    if (!r.ok) throw new Error("HTTP " + r.status + " " + r.statusText);
    const v = await r.json();
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("the view is not a JSON object");
    view = v; lastOkMs = Date.now(); failure = "";
    render();
  } catch (e) {
    failure = e && e.name === "AbortError" ? "no answer within " + FETCH_TIMEOUT_MS / 1000 + " s"
      : "fetch failed: " + String((e && e.message) || e);
  } finally {
    clearTimeout(timer);
    renderStatus();
    setTimeout(poll, POLL_MS);
  }
}

$("toggle-internal").addEventListener("click", () => { showInternal = !showInternal; render(); });
let resizeTimer = 0;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(render, 100); });
setInterval(renderStatus, 1000);
poll();
})();
)js";

} // namespace

std::string_view view_script_js() {
  static const std::string script = std::string{script_tables} + std::string{script_charts};
  return script;
}

} // namespace cafka::http
