#include "runtime/http/view_page.hpp"

#include <string>

#include "runtime/http/view_script.hpp"

namespace cafka::http {

namespace {

// The document up to the script. Stable hooks for tests are data-testid attributes; the
// script fills the elements with ids.
constexpr std::string_view page_head = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cafka cluster</title>
<style>
:root {
  --bg: #f3f4f7; --card: #ffffff; --fg: #1c2230; --muted: #687083; --border: #e1e4ea;
  --grid: #eceef2; --accent: #2563eb; --ok: #1a7f37; --ok-bg: #dcf5e3; --warn: #9a5b00;
  --warn-bg: #fff1cc; --bad: #b42318; --bad-bg: #fde4e1; --idle: #5b6475; --idle-bg: #eceef2;
  --gold: #d4a017; --row-hover: #f7f8fa;
  --s1: #2563eb; --s2: #0d9488; --s3: #db2777; --s4: #ea8a0c;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151c; --card: #1b1f29; --fg: #e6e9ef; --muted: #98a1b3; --border: #2c3240;
    --grid: #262b37; --accent: #6ea1ff; --ok: #5fd08a; --ok-bg: #173523; --warn: #f5bf4f;
    --warn-bg: #3b2e12; --bad: #ff8a80; --bad-bg: #421c1a; --idle: #aab2c2; --idle-bg: #2a303c;
    --row-hover: #222734;
    --s1: #6ea1ff; --s2: #2dd4bf; --s3: #f472b6; --s4: #fbbf24;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--fg); }
body {
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif;
  font-variant-numeric: tabular-nums;
}
.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 10px 20px;
  background: var(--card); border-bottom: 1px solid var(--border);
  position: sticky; top: 0; z-index: 2;
}
.brand { font-size: 17px; font-weight: 650; letter-spacing: .2px; }
.brand .cluster { font-weight: 500; color: var(--muted); margin-left: 6px; font-size: 14px; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 0; }
.facts div { display: flex; gap: 6px; align-items: baseline; }
.facts dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .5px; }
.facts dd { margin: 0; font-weight: 600; }
.status {
  margin-left: auto; display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px;
  border-radius: 999px; font-weight: 600; background: var(--idle-bg); color: var(--idle);
  max-width: 48ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
}
.status::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; flex: none; }
.status[data-state="live"] { background: var(--ok-bg); color: var(--ok); }
.status[data-state="error"] { background: var(--bad-bg); color: var(--bad); }
.status[data-state="stale"] { background: var(--warn-bg); color: var(--warn); }
.status[data-state="live"]::before { animation: pulse 2s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .35; } }
.banner {
  margin: 12px 20px 0; padding: 8px 12px; border-radius: 8px; border: 1px solid var(--bad);
  background: var(--bad-bg); color: var(--bad); font-weight: 600; overflow-wrap: anywhere;
}
.banner.warn { border-color: var(--warn); background: var(--warn-bg); color: var(--warn); }
body.stale main, body.stale .kpis { opacity: .55; filter: grayscale(.5); }
.kpis {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px;
  padding: 16px 20px 0; max-width: 1900px; margin: 0 auto;
}
.kpi {
  background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 8px 14px;
  display: flex; flex-direction: column; min-width: 0; border-left: 4px solid var(--border);
}
.kpi b { font-size: 11px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.kpi .v { font-size: 20px; font-weight: 650; white-space: nowrap; line-height: 1.3; }
.kpi .s { color: var(--muted); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kpi.ok { border-left-color: var(--ok); }
.kpi.warn { border-left-color: var(--warn); }
.kpi.warn .v { color: var(--warn); }
.kpi.bad { border-left-color: var(--bad); }
.kpi.bad .v { color: var(--bad); }
main {
  display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px;
  padding: 16px 20px 24px; max-width: 1900px; margin: 0 auto; align-items: start;
}
@media (max-width: 1100px) { main { grid-template-columns: minmax(0, 1fr); } }
.col { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
.card {
  background: var(--card); border: 1px solid var(--border); border-radius: 10px;
  padding: 12px 14px 14px; min-width: 0;
}
.card h2 {
  display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap;
  margin: 0 0 8px; font-size: 14px; font-weight: 650;
}
.card h2 .sub { font-size: 12px; font-weight: 500; color: var(--muted); }
.card h2 .right { margin-left: auto; }
table { width: 100%; border-collapse: collapse; }
th {
  text-align: left; font-size: 11px; font-weight: 600; color: var(--muted);
  text-transform: uppercase; letter-spacing: .4px; padding: 4px 8px;
  border-bottom: 1px solid var(--border); white-space: nowrap;
}
td { padding: 4px 8px; border-bottom: 1px solid var(--grid); vertical-align: top; overflow-wrap: anywhere; }
tbody tr:hover { background: var(--row-hover); }
td.num, th.num { text-align: right; }
td.mono, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
.muted { color: var(--muted); }
.empty { color: var(--muted); padding: 10px 8px; font-style: italic; }
.pill {
  display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  line-height: 18px; background: var(--idle-bg); color: var(--idle); white-space: nowrap;
}
.pill.ok { background: var(--ok-bg); color: var(--ok); }
.pill.warn { background: var(--warn-bg); color: var(--warn); }
.pill.bad { background: var(--bad-bg); color: var(--bad); }
.crown { width: 16px; height: 11px; margin-left: 5px; vertical-align: -1px; fill: var(--gold); }
tr.active-controller td:first-child { font-weight: 700; }
tr.ur td { background: var(--warn-bg); }
tr.un td { background: var(--bad-bg); }
tr.ur td:first-child { box-shadow: inset 3px 0 var(--warn); }
tr.un td:first-child { box-shadow: inset 3px 0 var(--bad); }
tr.topic-start td { border-top: 1px solid var(--border); }
td.topic { font-weight: 600; }
.replica { display: inline-block; min-width: 1.6em; text-align: center; margin-right: 2px; border-radius: 4px; }
.replica.leader { font-weight: 700; text-decoration: underline; }
.replica.out { color: var(--warn); background: var(--warn-bg); text-decoration: line-through; }
tr.un .replica.out { background: transparent; }
.summary { font-size: 12px; font-weight: 600; }
.summary.ok { color: var(--ok); }
.summary.warn { color: var(--warn); }
.summary.bad { color: var(--bad); }
button.toggle {
  font: inherit; font-size: 12px; color: var(--accent); background: none; border: 1px solid var(--border);
  border-radius: 6px; padding: 1px 8px; cursor: pointer;
}
button.toggle:hover { border-color: var(--accent); }
.group { border: 1px solid var(--border); border-radius: 8px; padding: 8px 10px; margin-top: 10px; }
.group:first-child { margin-top: 0; }
.group-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 14px; margin-bottom: 6px; }
.group-name { font-weight: 700; font-size: 14px; }
.group-lag { margin-left: auto; font-weight: 700; }
.group-lag.lagging { color: var(--warn); }
.group-body { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px; }
@media (max-width: 700px) { .group-body { grid-template-columns: minmax(0, 1fr); } }
.group-body h3 { margin: 2px 0 2px; font-size: 11px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .4px; }
td.lag-pos { color: var(--warn); font-weight: 700; }
.chart { position: relative; }
.chart + .chart { margin-top: 10px; }
.chart-title { display: flex; flex-wrap: wrap; gap: 2px 14px; align-items: baseline; font-size: 12px; }
.chart-title b { font-weight: 600; }
.legend { display: inline-flex; align-items: center; gap: 5px; color: var(--muted); }
.legend i { width: 10px; height: 3px; border-radius: 2px; display: inline-block; }
.legend span { color: var(--fg); font-weight: 600; }
canvas { display: block; width: 100%; height: 130px; margin-top: 4px; }
.events { max-height: 460px; overflow-y: auto; }
.events td { border-bottom: 1px solid var(--grid); }
.events td.time { white-space: nowrap; color: var(--muted); }
.events td.node { white-space: nowrap; }
tr.fresh td { animation: fresh 3s ease-out; }
@keyframes fresh { from { background: var(--warn-bg); } }
.kind { --k: var(--idle); display: inline-block; padding: 0 7px; border-radius: 4px; font-size: 11px; font-weight: 700;
  color: var(--k); border: 1px solid var(--k); white-space: nowrap; line-height: 16px; }
.kind-leader_election { --k: #2563eb; }
.kind-broker_fenced, .kind-node_unreachable { --k: #c62828; }
.kind-broker_unfenced, .kind-node_reachable, .kind-fault_healed { --k: #1a7f37; }
.kind-broker_registered { --k: #0e7490; }
.kind-isr_shrink { --k: #b45309; }
.kind-isr_expand { --k: #15803d; }
.kind-controller_elected { --k: #7c3aed; }
.kind-rebalance { --k: #0369a1; }
.kind-fault_injected { --k: #be185d; }
@media (prefers-color-scheme: dark) {
  .kind { filter: brightness(1.6); }
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
</style>
</head>
<body>
<header class="top">
  <div class="brand">cafka <span class="cluster" id="cluster-id" data-testid="cluster-id">&ndash;</span></div>
  <dl class="facts">
    <div><dt>node</dt><dd id="node" data-testid="node">&ndash;</dd></div>
    <div><dt>controller</dt><dd id="controller" data-testid="controller">&ndash;</dd></div>
    <div><dt>metadata</dt><dd id="metadata-version" data-testid="metadata-version">&ndash;</dd></div>
    <div><dt>updated</dt><dd id="updated" data-testid="updated" data-time-ms="0">&ndash;</dd></div>
  </dl>
  <div id="status" class="status" data-testid="status" data-state="loading">connecting&hellip;</div>
</header>
<div id="error-banner" class="banner" data-testid="error" hidden></div>
<div id="stale-banner" class="banner warn" data-testid="stale" hidden></div>
<section class="kpis" aria-label="summary">
  <div class="kpi" id="kpi-brokers" data-testid="kpi-brokers"><b>brokers</b><span class="v"></span><span class="s"></span></div>
  <div class="kpi" id="kpi-partitions" data-testid="kpi-partitions"><b>partitions</b><span class="v"></span><span class="s"></span></div>
  <div class="kpi" id="kpi-lag" data-testid="kpi-lag"><b>consumer lag</b><span class="v"></span><span class="s"></span></div>
  <div class="kpi" id="kpi-records" data-testid="kpi-records"><b>records in</b><span class="v"></span><span class="s"></span></div>
  <div class="kpi" id="kpi-latency" data-testid="kpi-latency"><b>produce p99</b><span class="v"></span><span class="s"></span></div>
</section>
<main>
  <div class="col">
    <section class="card">
      <h2>Brokers <span class="sub" id="brokers-count"></span></h2>
      <table>
        <thead><tr><th>id</th><th>address</th><th>state</th><th>role</th><th>metrics</th></tr></thead>
        <tbody id="brokers"></tbody>
      </table>
    </section>
    <section class="card">
      <h2>Topics
        <span class="summary" id="partition-summary" data-testid="partition-summary"></span>
        <button class="toggle right" id="toggle-internal" data-testid="toggle-internal" type="button" aria-pressed="false" hidden></button>
      </h2>
      <table>
        <thead><tr><th>topic</th><th class="num">partition</th><th class="num">leader</th><th class="num">epoch</th>
          <th>replicas</th><th>ISR</th><th class="num">log end</th><th class="num">HW</th></tr></thead>
        <tbody id="partitions"></tbody>
      </table>
    </section>
    <section class="card">
      <h2>Consumer groups <span class="sub" id="groups-count"></span></h2>
      <div id="groups"></div>
    </section>
  </div>
  <div class="col">
    <section class="card">
      <h2>Throughput <span class="sub">cluster-wide, per second</span></h2>
      <div class="chart">
        <div class="chart-title" id="records-legend"><b>records/s</b></div>
        <canvas id="records-chart" data-testid="records-chart"></canvas>
      </div>
      <div class="chart">
        <div class="chart-title" id="bytes-legend"><b>bytes/s</b></div>
        <canvas id="bytes-chart" data-testid="bytes-chart"></canvas>
      </div>
    </section>
    <section class="card">
      <h2>Produce latency <span class="sub">across the brokers</span></h2>
      <div class="chart">
        <div class="chart-title" id="latency-legend"><b>ms</b></div>
        <canvas id="latency-chart" data-testid="latency-chart"></canvas>
      </div>
    </section>
    <section class="card">
      <h2>Events <span class="sub" id="events-count"></span></h2>
      <div class="events">
        <table>
          <thead><tr><th>time</th><th>node</th><th>kind</th><th>what</th></tr></thead>
          <tbody id="events"></tbody>
        </table>
      </div>
    </section>
  </div>
</main>
<script>
)html";

constexpr std::string_view page_tail = R"html(
</script>
</body>
</html>
)html";

} // namespace

std::string_view view_page_html() {
  static const std::string page = [] {
    auto script = view_script_js();
    std::string out;
    out.reserve(page_head.size() + script.size() + page_tail.size());
    out.append(page_head).append(script).append(page_tail);
    return out;
  }();
  return page;
}

} // namespace cafka::http
