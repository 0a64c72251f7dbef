#include "runtime/metrics/cluster_view.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "runtime/cluster/topic_caps.hpp"
#include "runtime/http/json_writer.hpp"

namespace cafka::metrics {

namespace {

std::vector<int32_t> ids(const std::vector<node_id>& xs) {
  std::vector<int32_t> out;
  for (auto& x : xs)
    out.push_back(x.value);
  return out;
}

std::string state_of(const cluster_metadata& md, node_id id) {
  auto b = md.find_broker(id);
  if (b == nullptr)
    return "unknown";
  return b->alive ? "alive" : "fenced";
}

} // namespace

void set_cluster(cluster_view& v, const cluster_config& cfg, const cluster_metadata& md,
                 const std::vector<node_summary>& summaries) {
  v.cluster_id = md.cluster_id;
  v.metadata_version = md.version;
  v.controller = md.controller.value;
  std::map<int32_t, const node_summary*> by_node;
  for (auto& s : summaries)
    by_node[s.node] = &s;
  v.brokers.clear();
  for (auto& n : cfg.nodes) {
    view_broker b;
    b.id = n.id.value;
    b.address = n.address();
    b.state = n.broker ? state_of(md, n.id) : "not a broker";
    b.controller = n.controller;
    auto s = by_node.find(n.id.value);
    b.reachable = s != by_node.end();
    if (b.reachable)
      b.quorum_role = s->second->quorum_role;
    if (n.metrics_port != 0)
      b.metrics_url = "http://" + n.host + ":" + std::to_string(n.metrics_port) + "/metrics";
    v.brokers.push_back(std::move(b));
  }
  // Each partition's offsets as the leader the metadata names reports them (a deposed
  // leader may still say it leads for a moment).
  std::map<std::tuple<std::string, int32_t, int32_t>, const partition_summary*> led;
  for (auto& s : summaries)
    for (auto& p : s.partitions)
      if (p.leader)
        led[{p.topic, p.partition, s.node}] = &p;
  v.topics.clear();
  for (auto& t : md.topics) {
    view_topic vt;
    vt.name = t.name;
    vt.internal = is_internal_topic(t.name);
    for (auto& p : t.partitions) {
      view_partition vp;
      vp.partition = p.id.value;
      vp.leader = p.leader.value;
      vp.leader_epoch = p.epoch.value;
      vp.replicas = ids(p.replicas);
      vp.isr = ids(p.isr);
      vp.under_replicated = p.isr.size() < p.replicas.size();
      auto lb = md.find_broker(p.leader);
      vp.unavailable = p.leader == no_node || lb == nullptr || !lb->alive;
      if (auto i = led.find({t.name, p.id.value, p.leader.value});
          i != led.end() && !vp.unavailable) {
        vp.log_end_offset = i->second->log_end_offset;
        vp.high_watermark = i->second->high_watermark;
      }
      vt.partitions.push_back(std::move(vp));
    }
    v.topics.push_back(std::move(vt));
  }
}

void add_lag(view_group& g, const std::vector<view_topic>& topics) {
  // Against the high watermark: what a consumer can read (Kafka's tools list it as the log
  // end offset too).
  std::map<std::pair<std::string, int32_t>, int64_t> ends;
  for (auto& t : topics)
    for (auto& p : t.partitions)
      ends[{t.name, p.partition}] = p.high_watermark;
  g.lag = -1;
  for (auto& o : g.offsets) {
    o.log_end_offset = -1;
    o.lag = -1;
    auto e = ends.find({o.topic, o.partition});
    if (e != ends.end() && e->second >= 0) {
      o.log_end_offset = e->second;
      if (o.committed >= 0)
        o.lag = std::max<int64_t>(0, o.log_end_offset - o.committed);
    }
    if (o.lag >= 0)
      g.lag = std::max<int64_t>(g.lag, 0) + o.lag;
  }
}

namespace {

void write_ids(http::json_writer& w, const char* key, const std::vector<int32_t>& xs) {
  w.key(key).begin_array();
  for (auto x : xs)
    w.value(x);
  w.end_array();
}

void write_topics(http::json_writer& w, const std::vector<view_topic>& topics) {
  w.key("topics").begin_array();
  for (auto& t : topics) {
    w.begin_object().field("name", t.name).field("internal", t.internal);
    w.key("partitions").begin_array();
    for (auto& p : t.partitions) {
      w.begin_object()
        .field("partition", p.partition)
        .field("leader", p.leader)
        .field("leader_epoch", p.leader_epoch);
      write_ids(w, "replicas", p.replicas);
      write_ids(w, "isr", p.isr);
      w.field("under_replicated", p.under_replicated)
        .field("unavailable", p.unavailable)
        .field("log_end_offset", p.log_end_offset)
        .field("high_watermark", p.high_watermark)
        .end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
}

void write_history(http::json_writer& w, const cluster_view& v) {
  w.key("throughput").begin_array();
  for (auto& s : v.throughput)
    w.begin_object()
      .field("time_ms", s.time_ms)
      .field("records_in", s.records_in)
      .field("bytes_in", s.bytes_in)
      .field("records_out", s.records_out)
      .field("bytes_out", s.bytes_out)
      .end_object();
  w.end_array().key("latency").begin_array();
  for (auto& s : v.latency) {
    w.begin_object().field("time_ms", s.time_ms);
    w.key("p50_ms");
    s.p50_ms ? w.value(*s.p50_ms) : w.null();
    w.key("p99_ms");
    s.p99_ms ? w.value(*s.p99_ms) : w.null();
    w.end_object();
  }
  w.end_array().key("events").begin_array();
  for (auto& e : v.events)
    w.begin_object()
      .field("seq", e.seq)
      .field("time_ms", e.time_ms)
      .field("node", e.node)
      .field("kind", e.kind)
      .field("text", e.text)
      .end_object();
  w.end_array();
}

} // namespace

std::string to_json(const cluster_view& v) {
  http::json_writer w;
  w.begin_object()
    .field("node", v.node)
    .field("time_ms", v.time_ms)
    .field("cluster_id", v.cluster_id)
    .field("metadata_version", v.metadata_version)
    .field("controller", v.controller)
    .field("error", v.error);
  w.key("brokers").begin_array();
  for (auto& b : v.brokers)
    w.begin_object()
      .field("id", b.id)
      .field("address", b.address)
      .field("state", b.state)
      .field("controller", b.controller)
      .field("quorum_role", b.quorum_role)
      .field("reachable", b.reachable)
      .field("metrics_url", b.metrics_url)
      .end_object();
  w.end_array();
  write_topics(w, v.topics);
  w.key("groups").begin_array();
  for (auto& g : v.groups)
    write_group(w, g);
  w.end_array();
  write_history(w, v);
  w.end_object();
  return w.take();
}

} // namespace cafka::metrics
