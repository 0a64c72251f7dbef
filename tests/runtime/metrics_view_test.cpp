// The live view's pure parts: the JSON writer, node summaries there and back, the history's
// rates and quantiles, the cluster picture from metadata, and the event log.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/http/json_writer.hpp"
#include "runtime/metrics/cluster_view.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/metrics/node_summary.hpp"
#include "runtime/metrics/view_history.hpp"

using namespace cafka;
using namespace cafka::metrics;

TEST_CASE("json_writer writes nested values and escapes strings", "[metrics]") {
  http::json_writer w;
  w.begin_object().field("a", int64_t{1}).field("s", std::string{"q\"\\\n\x01"});
  w.key("xs").begin_array().value(1.5).null().value(true).begin_object().end_object();
  w.end_array().field("nan", 0.0 / 0.0).end_object();
  CHECK(w.take() == R"({"a":1,"s":"q\"\\\n\u0001","xs":[1.5,null,true,{}],"nan":null})");
}

TEST_CASE("event_log keeps the newest events and answers what came after a seq", "[metrics]") {
  event_log log{3};
  CHECK(log.last_seq() == 0);
  for (int i = 1; i <= 5; ++i)
    CHECK(log.append("k", "e" + std::to_string(i)) == static_cast<uint64_t>(i));
  auto all = log.since(0);
  REQUIRE(all.size() == 3);
  CHECK(all.front().seq == 3);
  CHECK(all.back().text == "e5");
  auto newer = log.since(4);
  REQUIRE(newer.size() == 1);
  CHECK(newer[0].seq == 5);
  CHECK(log.since(5).empty());
  CHECK(log.since(99).empty());
}

TEST_CASE("a node summary reads back as it was written", "[metrics]") {
  node_metrics m;
  m.records_in.inc(7);
  m.bytes_in.inc(700);
  m.request(request_protocol::kafka, "Produce").latency.observe(0.002);
  m.request(request_protocol::native, "produce").latency.observe(0.0004);
  m.request(request_protocol::kafka, "Fetch").latency.observe(3);  // not produce: left out
  auto p = m.partition("orders", 2);
  p.leader.set(1);
  p.log_end_offset.set(42);
  p.high_watermark.set(40);
  m.quorum_role.with({"leader"})->set(1);
  m.events.append("leader_election", "orders-2: leader 1 -> 2 (epoch 3)");
  m.events.append("isr_shrink", "orders-2: ISR [1,2] -> [2]");
  view_group g;
  g.group = "readers";
  g.state = "Stable";
  g.coordinator = 3;
  g.members.push_back(view_member{"m-1", "node-3", "127.0.0.1", {"orders-2"}});
  g.offsets.push_back(view_offset{"orders", 2, 30, -1, -1});
  auto s = summarize(3, 1234, m.registry.snapshot(), {g}, m.events, 1);
  CHECK(s.records_in == 7);
  CHECK(s.latency_cumulative.back() == 2);
  CHECK(s.quorum_role == "leader");
  REQUIRE(s.partitions.size() == 1);
  CHECK(s.partitions[0].leader);
  CHECK(s.partitions[0].log_end_offset == 42);
  REQUIRE(s.events.size() == 1);
  auto back = parse_node_summary(to_json(s));
  REQUIRE(back);
  CHECK(back->node == 3);
  CHECK(back->start_time_ms == 1234);
  CHECK(back->bytes_in == 700);
  CHECK(back->latency_bounds == s.latency_bounds);
  CHECK(back->latency_cumulative == s.latency_cumulative);
  REQUIRE(back->partitions.size() == 1);
  CHECK(back->partitions[0].topic == "orders");
  CHECK(back->partitions[0].partition == 2);
  CHECK(back->partitions[0].high_watermark == 40);
  REQUIRE(back->groups.size() == 1);
  CHECK(back->groups[0].group == "readers");
  CHECK(back->groups[0].coordinator == 3);
  REQUIRE(back->groups[0].members.size() == 1);
  CHECK(back->groups[0].members[0].partitions == std::vector<std::string>{"orders-2"});
  REQUIRE(back->groups[0].offsets.size() == 1);
  CHECK(back->groups[0].offsets[0].committed == 30);
  REQUIRE(back->events.size() == 1);
  CHECK(back->events[0].kind == "isr_shrink");
  CHECK(back->events[0].text == "orders-2: ISR [1,2] -> [2]");
}

TEST_CASE("a summary asked past the node's events has them all (the node restarted)",
          "[metrics]") {
  node_metrics m;
  m.events.append("broker_registered", "broker 1 registered");
  m.events.append("controller_elected", "node 1 leads the controller quorum (term 1)");
  // An asker that saw 7 events of the node's previous process.
  auto s = summarize(1, 99, m.registry.snapshot(), {}, m.events, 7);
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].kind == "broker_registered");
  CHECK(summarize(1, 99, m.registry.snapshot(), {}, m.events, 2).events.empty());
}

TEST_CASE("a malformed node summary is refused naming the problem", "[metrics]") {
  auto bad = parse_node_summary(R"({"node":1})");
  REQUIRE_FALSE(bad);
  CHECK(to_string(bad.error()).find("node summary") != std::string::npos);
  CHECK_FALSE(parse_node_summary("not json"));
}

TEST_CASE("quantile interpolates inside the bucket as histogram_quantile does", "[metrics]") {
  std::vector<double> bounds{0.001, 0.01, 0.1};
  // 10 observations <= 1 ms, 90 in (1 ms, 10 ms], none above.
  std::vector<uint64_t> cum{10, 100, 100, 100};
  CHECK(*quantile(0.5, bounds, cum) == Approx(0.001 + 0.009 * 40.0 / 90.0));
  CHECK(*quantile(0.05, bounds, cum) == Approx(0.0005));
  // In the +Inf bucket: the highest bound.
  CHECK(*quantile(0.99, bounds, {0, 0, 0, 5}) == Approx(0.1));
  CHECK_FALSE(quantile(0.5, bounds, {0, 0, 0, 0}));
}

TEST_CASE("view_history turns counters into rates and skips restarted nodes", "[metrics]") {
  view_history h;
  node_summary a;
  a.node = 1;
  a.start_time_ms = 100;
  a.records_in = 1000;
  a.bytes_in = 100000;
  a.latency_bounds = {0.001, 0.01};
  a.latency_cumulative = {0, 0, 0};
  node_summary b = a;
  b.node = 2;
  h.add_round(10000, {a, b});
  cluster_view v;
  h.fill(v);
  CHECK(v.throughput.empty());  // no earlier round to compare with
  a.records_in += 2000;  // 2 s later: 1000/s on node 1
  a.bytes_in += 200000;
  a.latency_cumulative = {4, 4, 4};
  b.start_time_ms = 200;  // node 2 restarted: counted from its next summary
  b.records_in = 10;
  h.add_round(12000, {a, b});
  h.fill(v);
  REQUIRE(v.throughput.size() == 1);
  CHECK(v.throughput[0].records_in == Approx(1000));
  CHECK(v.throughput[0].bytes_in == Approx(100000));
  REQUIRE(v.latency.size() == 1);
  REQUIRE(v.latency[0].p50_ms);
  CHECK(*v.latency[0].p50_ms == Approx(0.5));
  a.events = {event{1, 5, "rebalance", "group g: generation 2, 1 member"}};
  h.add_round(13000, {a});
  CHECK(h.last_seq(1) == 1);
  h.add_event(13000, 3, "node_unreachable", "node 3: connection refused");
  h.fill(v);
  REQUIRE(v.events.size() == 2);
  CHECK(v.events[0].node == 1);
  CHECK(v.events[1].kind == "node_unreachable");
  CHECK(v.events[1].seq == 2);
}

TEST_CASE("set_cluster flags under-replicated and unavailable partitions", "[metrics]") {
  cluster_config c;
  c.nodes.resize(2);
  c.nodes[0].id = node_id{1};
  c.nodes[0].host = "h";
  c.nodes[0].port = 1;
  c.nodes[0].broker = true;
  c.nodes[0].metrics_port = 1001;
  c.nodes[1].id = node_id{2};
  c.nodes[1].host = "h";
  c.nodes[1].port = 2;
  c.nodes[1].broker = c.nodes[1].controller = true;
  cluster_metadata md;
  md.version = 9;
  md.controller = node_id{2};
  md.brokers.resize(2);
  md.brokers[0].id = node_id{1};
  md.brokers[0].alive = true;
  md.brokers[1].id = node_id{2};
  md.brokers[1].alive = false;
  topic_metadata t;
  t.name = "orders";
  t.partitions.resize(2);
  t.partitions[0].id = partition_id{0};
  t.partitions[0].leader = node_id{1};
  t.partitions[0].replicas = {node_id{1}, node_id{2}};
  t.partitions[0].isr = {node_id{1}};
  t.partitions[1].id = partition_id{1};
  t.partitions[1].leader = node_id{2};
  t.partitions[1].replicas = {node_id{2}};
  t.partitions[1].isr = {node_id{2}};
  md.topics.push_back(t);
  node_summary s1;
  s1.node = 1;
  s1.partitions.push_back(partition_summary{"orders", 0, true, 0, 77, 70, 1000});
  // Node 2 still says it leads orders-0 (deposed a moment ago): not believed.
  node_summary s2;
  s2.node = 2;
  s2.partitions.push_back(partition_summary{"orders", 0, true, 0, 5, 5, 100});
  cluster_view v;
  set_cluster(v, c, md, {s1, s2});
  REQUIRE(v.brokers.size() == 2);
  CHECK(v.brokers[0].state == "alive");
  CHECK(v.brokers[0].reachable);
  CHECK(v.brokers[0].metrics_url == "http://h:1001/metrics");
  CHECK(v.brokers[1].state == "fenced");
  CHECK(v.brokers[1].reachable);
  CHECK(v.brokers[1].metrics_url.empty());
  REQUIRE(v.topics.size() == 1);
  auto& p0 = v.topics[0].partitions[0];
  CHECK(p0.under_replicated);
  CHECK_FALSE(p0.unavailable);
  CHECK(p0.log_end_offset == 77);
  CHECK(p0.high_watermark == 70);
  auto& p1 = v.topics[0].partitions[1];
  CHECK_FALSE(p1.under_replicated);
  CHECK(p1.unavailable);  // its leader is fenced
  CHECK(p1.log_end_offset == -1);
  group_description d;
  d.group = "g";
  d.state = "Stable";
  d.coordinator = node_id{1};
  d.offsets.push_back(partition_offset{topic_partition{"orders", partition_id{0}},
                                       log_offset{50}});
  d.offsets.push_back(partition_offset{topic_partition{"orders", partition_id{1}},
                                       log_offset{5}});
  auto g = summarize_group(d);
  CHECK(g.lag == -1);
  add_lag(g, v.topics);
  REQUIRE(g.offsets.size() == 2);
  // Against the high watermark (70), what a consumer can read, not the log end (77).
  CHECK(g.offsets[0].lag == 20);
  CHECK(g.offsets[0].log_end_offset == 70);
  CHECK(g.offsets[1].lag == -1);  // its leader is fenced: unknown
  CHECK(g.lag == 20);
  auto json = to_json(v);
  CHECK(json.find(R"("under_replicated":true)") != std::string::npos);
  CHECK(json.find(R"("metadata_version":9)") != std::string::npos);
}

TEST_CASE("partition-series-max 0 switches per-partition series off and counts the refusals",
          "[metrics]") {
  metrics_config cfg;
  cfg.partition_series_max = 0;
  node_metrics m{cfg};
  auto p = m.partition("orders", 0);
  p.log_end_offset.set(5);  // a handle on no series: nothing to see
  m.records_in.inc(3);      // the broker's counters stay
  size_t partition_series = 0;
  double records_in = 0;
  for (auto& f : m.registry.snapshot()) {
    if (f.name.rfind("cafka_partition_", 0) == 0)
      partition_series += f.series.size();
    if (f.name == "cafka_broker_records_in_total")
      records_in = f.series.at(0).value;
  }
  CHECK(partition_series == 0);
  CHECK(records_in == 3);
  CHECK(m.registry.dropped_series() == 10);  // one refusal per partition gauge
}
