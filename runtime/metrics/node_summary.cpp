#include "runtime/metrics/node_summary.hpp"

#include <exception>
#include <map>
#include <sstream>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "runtime/base/errc.hpp"
#include "runtime/http/json_writer.hpp"

namespace cafka::metrics {

namespace {

const family_snapshot* find(const std::vector<family_snapshot>& fs, const std::string& name) {
  for (auto& f : fs)
    if (f.name == name)
      return &f;
  return nullptr;
}

double single(const std::vector<family_snapshot>& fs, const std::string& name) {
  auto f = find(fs, name);
  return f != nullptr && !f->series.empty() ? f->series.front().value : 0;
}

// The value of label `label` in series `s` of family `f`.
const std::string& label(const family_snapshot& f, const series_snapshot& s,
                         const std::string& label) {
  static const std::string none;
  for (size_t i = 0; i < f.label_names.size() && i < s.label_values.size(); ++i)
    if (f.label_names[i] == label)
      return s.label_values[i];
  return none;
}

void add_latency(node_summary& out, const std::vector<family_snapshot>& fs) {
  auto f = find(fs, "cafka_request_latency_seconds");
  if (f == nullptr)
    return;
  out.latency_bounds = f->bounds;
  out.latency_cumulative.assign(f->bounds.size() + 1, 0);
  for (auto& s : f->series) {
    auto& api = label(*f, s, "api");
    if (api != "produce" && api != "Produce")
      continue;
    for (size_t i = 0; i < s.cumulative.size() && i < out.latency_cumulative.size(); ++i)
      out.latency_cumulative[i] += s.cumulative[i];
  }
}

void add_partitions(node_summary& out, const std::vector<family_snapshot>& fs) {
  std::map<std::pair<std::string, int32_t>, partition_summary> by_tp;
  auto take = [&](const char* name, auto setter) {
    auto f = find(fs, name);
    if (f == nullptr)
      return;
    for (auto& s : f->series) {
      auto p = std::atoi(label(*f, s, "partition").c_str());
      auto& ps = by_tp[{label(*f, s, "topic"), p}];
      setter(ps, s.value);
    }
  };
  take("cafka_partition_leader", [](partition_summary& p, double v) { p.leader = v > 0; });
  take("cafka_partition_log_start_offset",
       [](partition_summary& p, double v) { p.log_start_offset = static_cast<int64_t>(v); });
  take("cafka_partition_log_end_offset",
       [](partition_summary& p, double v) { p.log_end_offset = static_cast<int64_t>(v); });
  take("cafka_partition_high_watermark",
       [](partition_summary& p, double v) { p.high_watermark = static_cast<int64_t>(v); });
  take("cafka_partition_size_bytes",
       [](partition_summary& p, double v) { p.size_bytes = static_cast<int64_t>(v); });
  for (auto& [tp, ps] : by_tp) {
    ps.topic = tp.first;
    ps.partition = tp.second;
    out.partitions.push_back(ps);
  }
}

void add_quorum_role(node_summary& out, const std::vector<family_snapshot>& fs) {
  auto f = find(fs, "cafka_quorum_role");
  if (f == nullptr)
    return;
  for (auto& s : f->series)
    if (s.value > 0)
      out.quorum_role = label(*f, s, "role");
}

// Reads write_group's object.
view_group read_group(const boost::property_tree::ptree& t) {
  view_group g;
  g.group = t.get<std::string>("group");
  g.state = t.get<std::string>("state");
  g.coordinator = t.get<int32_t>("coordinator");
  g.generation = t.get<int64_t>("generation");
  for (auto& m : t.get_child("members")) {
    view_member vm;
    vm.member_id = m.second.get<std::string>("member_id");
    vm.client = m.second.get<std::string>("client");
    vm.host = m.second.get<std::string>("host");
    for (auto& p : m.second.get_child("partitions"))
      vm.partitions.push_back(p.second.data());
    g.members.push_back(std::move(vm));
  }
  for (auto& o : t.get_child("offsets")) {
    view_offset vo;
    vo.topic = o.second.get<std::string>("topic");
    vo.partition = o.second.get<int32_t>("partition");
    vo.committed = o.second.get<int64_t>("committed");
    g.offsets.push_back(std::move(vo));
  }
  return g;
}

} // namespace

view_group summarize_group(const group_description& d) {
  view_group g;
  g.group = d.group;
  g.state = d.state;
  g.coordinator = d.coordinator.value;
  g.generation = d.group_epoch.value;
  for (auto& m : d.members) {
    view_member vm;
    vm.member_id = m.member_id;
    vm.client = m.client;
    vm.host = m.client_host;
    auto& tps = m.protocol.empty() ? m.owned : m.assigned;
    for (auto& tp : tps)
      vm.partitions.push_back(tp.topic + "-" + std::to_string(tp.partition.value));
    g.members.push_back(std::move(vm));
  }
  for (auto& po : d.offsets) {
    view_offset o;
    o.topic = po.tp.topic;
    o.partition = po.tp.partition.value;
    o.committed = po.offset.value;
    g.offsets.push_back(std::move(o));
  }
  return g;
}

void write_group(http::json_writer& w, const view_group& g) {
  w.begin_object()
    .field("group", g.group)
    .field("state", g.state)
    .field("coordinator", g.coordinator)
    .field("generation", g.generation);
  w.key("members").begin_array();
  for (auto& m : g.members) {
    w.begin_object().field("member_id", m.member_id).field("client", m.client).field("host",
                                                                                      m.host);
    w.key("partitions").begin_array();
    for (auto& p : m.partitions)
      w.value(p);
    w.end_array().end_object();
  }
  w.end_array().key("offsets").begin_array();
  for (auto& o : g.offsets)
    w.begin_object()
      .field("topic", o.topic)
      .field("partition", o.partition)
      .field("committed", o.committed)
      .field("log_end_offset", o.log_end_offset)
      .field("lag", o.lag)
      .end_object();
  w.end_array().field("lag", g.lag).end_object();
}

node_summary summarize(int32_t node, int64_t start_time_ms,
                       const std::vector<family_snapshot>& families,
                       std::vector<view_group> groups, const event_log& events,
                       uint64_t since) {
  node_summary out;
  out.groups = std::move(groups);
  out.node = node;
  out.start_time_ms = start_time_ms;
  out.records_in = single(families, "cafka_broker_records_in_total");
  out.bytes_in = single(families, "cafka_broker_bytes_in_total");
  out.records_out = single(families, "cafka_broker_records_out_total");
  out.bytes_out = single(families, "cafka_broker_bytes_out_total");
  add_latency(out, families);
  add_quorum_role(out, families);
  add_partitions(out, families);
  // An asker that knew an earlier process of this node asks past its events: all of them.
  out.events = events.since(since > events.last_seq() ? 0 : since);
  return out;
}

std::string to_json(const node_summary& x) {
  http::json_writer w;
  w.begin_object()
    .field("node", x.node)
    .field("start_time_ms", x.start_time_ms)
    .field("records_in", x.records_in)
    .field("bytes_in", x.bytes_in)
    .field("records_out", x.records_out)
    .field("bytes_out", x.bytes_out)
    .field("quorum_role", x.quorum_role);
  w.key("latency_bounds").begin_array();
  for (auto b : x.latency_bounds)
    w.value(b);
  w.end_array().key("latency_cumulative").begin_array();
  for (auto c : x.latency_cumulative)
    w.value(c);
  w.end_array().key("partitions").begin_array();
  for (auto& p : x.partitions)
    w.begin_object()
      .field("topic", p.topic)
      .field("partition", p.partition)
      .field("leader", p.leader)
      .field("log_start_offset", p.log_start_offset)
      .field("log_end_offset", p.log_end_offset)
      .field("high_watermark", p.high_watermark)
      .field("size_bytes", p.size_bytes)
      .end_object();
  w.end_array().key("groups").begin_array();
  for (auto& g : x.groups)
    write_group(w, g);
  w.end_array().key("events").begin_array();
  for (auto& e : x.events)
    w.begin_object()
      .field("seq", e.seq)
      .field("time_ms", e.time_ms)
      .field("kind", e.kind)
      .field("text", e.text)
      .end_object();
  w.end_array().end_object();
  return w.take();
}

caf::expected<node_summary> parse_node_summary(const std::string& json) {
  namespace pt = boost::property_tree;
  node_summary out;
  try {
    pt::ptree root;
    std::istringstream in{json};
    pt::read_json(in, root);
    out.node = root.get<int32_t>("node");
    out.start_time_ms = root.get<int64_t>("start_time_ms");
    out.records_in = root.get<double>("records_in");
    out.bytes_in = root.get<double>("bytes_in");
    out.records_out = root.get<double>("records_out");
    out.bytes_out = root.get<double>("bytes_out");
    out.quorum_role = root.get<std::string>("quorum_role");
    for (auto& b : root.get_child("latency_bounds"))
      out.latency_bounds.push_back(b.second.get_value<double>());
    for (auto& c : root.get_child("latency_cumulative"))
      out.latency_cumulative.push_back(c.second.get_value<uint64_t>());
    if (!out.latency_cumulative.empty()
        && out.latency_cumulative.size() != out.latency_bounds.size() + 1)
      return make_error(errc::invalid_request,
                        "node summary: latency_cumulative needs one more entry than "
                        "latency_bounds");
    for (auto& p : root.get_child("partitions")) {
      partition_summary ps;
      ps.topic = p.second.get<std::string>("topic");
      ps.partition = p.second.get<int32_t>("partition");
      ps.leader = p.second.get<bool>("leader");
      ps.log_start_offset = p.second.get<int64_t>("log_start_offset");
      ps.log_end_offset = p.second.get<int64_t>("log_end_offset");
      ps.high_watermark = p.second.get<int64_t>("high_watermark");
      ps.size_bytes = p.second.get<int64_t>("size_bytes");
      out.partitions.push_back(std::move(ps));
    }
    for (auto& g : root.get_child("groups"))
      out.groups.push_back(read_group(g.second));
    for (auto& e : root.get_child("events")) {
      event ev;
      ev.seq = e.second.get<uint64_t>("seq");
      ev.time_ms = e.second.get<int64_t>("time_ms");
      ev.kind = e.second.get<std::string>("kind");
      ev.text = e.second.get<std::string>("text");
      out.events.push_back(std::move(ev));
    }
  } catch (const std::exception& ex) {
    return make_error(errc::invalid_request, std::string{"node summary: "} + ex.what());
  }
  return out;
}

} // namespace cafka::metrics
