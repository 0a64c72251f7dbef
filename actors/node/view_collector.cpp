#include "actors/node/view_collector.hpp"

#include <chrono>

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/node/blocking_connect.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/http/http_get.hpp"

namespace cafka {

namespace {

// Every request of a refresh; a stop waits for at most one of them.
constexpr auto ask_timeout = std::chrono::milliseconds{1000};
// Groups one view shows (each costs two requests per refresh).
constexpr size_t max_view_groups = 200;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// Asks `hdl` and returns the answer, or none on any error or timeout.
template <class Result, class Handle, class... Ts>
std::optional<Result> ask(caf::actor_system& sys, const Handle& hdl, Ts&&... xs) {
  std::optional<Result> out;
  caf::scoped_actor self{sys};
  self->request(hdl, ask_timeout, std::forward<Ts>(xs)...)
    .receive([&](Result& r) { out = std::move(r); }, [](caf::error&) {});
  return out;
}

} // namespace

view_collector::view_collector(caf::actor_system& sys, cluster_config cfg, node_id self,
                               node_actor node, std::shared_ptr<metrics::node_metrics> m,
                               int64_t start_time_ms)
  : sys_(sys),
    cfg_(std::move(cfg)),
    self_(self),
    node_(std::move(node)),
    metrics_(std::move(m)),
    start_time_ms_(start_time_ms) {
  metrics::cluster_view v;
  v.node = self_.value;
  v.time_ms = now_ms();
  v.error = "starting: the first refresh has not finished";
  json_ = to_json(v);
}

view_collector::~view_collector() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void view_collector::start() {
  thread_ = std::thread{[this] { run(); }};
}

std::string view_collector::view_json() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return json_;
}

std::string view_collector::node_json(uint64_t since) const {
  return to_json(metrics::summarize(self_.value, start_time_ms_, metrics_->registry.snapshot(),
                                    metrics_->events, since));
}

void view_collector::run() {
  auto period = std::chrono::milliseconds{cfg_.metrics.view_refresh_ms};
  std::unique_lock<std::mutex> lock{mtx_};
  while (!stop_) {
    auto next = std::chrono::steady_clock::now() + period;
    lock.unlock();
    refresh();
    lock.lock();
    wake_.wait_until(lock, next, [this] { return stop_; });
  }
}

void view_collector::refresh() {
  auto now = now_ms();
  auto summaries = gather_summaries(now);
  history_.add_round(now, summaries);
  auto v = last_;
  v.node = self_.value;
  v.time_ms = now;
  v.error.clear();
  if (auto md = fetch_metadata()) {
    metrics::set_cluster(v, cfg_, *md, summaries);
    v.groups = fetch_groups(*md, v.topics);
    export_lag(v.groups);
  } else {
    v.error = "no broker answered a metadata request: the brokers, topics and groups shown "
              "are from the last refresh that worked";
    for (auto& b : v.brokers)
      b.reachable = unreachable_.count(b.id) == 0;
  }
  history_.fill(v);
  last_ = v;
  auto json = to_json(v);
  std::lock_guard<std::mutex> guard{mtx_};
  json_ = std::move(json);
}

std::vector<metrics::node_summary> view_collector::gather_summaries(int64_t now_ms) {
  std::vector<metrics::node_summary> out;
  for (auto& n : cfg_.nodes) {
    auto since = history_.last_seq(n.id.value);
    if (n.id == self_) {
      out.push_back(metrics::summarize(self_.value, start_time_ms_,
                                       metrics_->registry.snapshot(), metrics_->events, since));
      continue;
    }
    if (n.metrics_port == 0)
      continue;
    auto body = http::http_get(n.host, n.metrics_port, "/api/node?since=" + std::to_string(since),
                               ask_timeout);
    caf::expected<metrics::node_summary> s = body ? metrics::parse_node_summary(*body)
                                                  : caf::expected<metrics::node_summary>{
                                                    body.error()};
    if (s && s->node != n.id.value)
      s = make_error(errc::invalid_request, "it says it is node " + std::to_string(s->node));
    if (!s) {
      if (unreachable_.insert(n.id.value).second)
        history_.add_event(now_ms, n.id.value, "node_unreachable",
                           "node " + to_string(n.id) + ": " + context_of(s.error()));
      continue;
    }
    if (unreachable_.erase(n.id.value) > 0)
      history_.add_event(now_ms, n.id.value, "node_reachable",
                         "node " + to_string(n.id) + " answers again");
    out.push_back(std::move(*s));
  }
  return out;
}

std::optional<broker_actor> view_collector::broker_of(node_id id) {
  if (auto i = brokers_.find(id); i != brokers_.end())
    return i->second;
  std::optional<broker_actor> b;
  if (id == self_) {
    b = ask<broker_actor>(sys_, node_, broker_atom::value);
  } else if (auto n = cfg_.find(id); n != nullptr && n->broker) {
    auto c = connect_broker(sys_, n->host, n->port, ask_timeout);
    if (c)
      b = *c;
  }
  if (b)
    brokers_.emplace(id, *b);
  return b;
}

std::optional<cluster_metadata> view_collector::fetch_metadata() {
  // This node's broker first, then the others in the config's order.
  std::vector<node_id> order{self_};
  for (auto& n : cfg_.nodes)
    if (n.id != self_ && n.broker)
      order.push_back(n.id);
  for (auto id : order) {
    auto b = broker_of(id);
    if (!b)
      continue;
    if (auto md = ask<cluster_metadata>(sys_, *b, metadata_atom::value, metadata_request{}))
      return md;
    brokers_.erase(id);
  }
  return std::nullopt;
}

std::vector<metrics::view_group>
view_collector::fetch_groups(const cluster_metadata& md,
                             const std::vector<metrics::view_topic>& topics) {
  // Every broker runs the groups of the offsets partitions it leads (Kafka's ListGroups).
  std::set<std::string> names;
  std::optional<broker_actor> any;
  for (auto& b : md.brokers) {
    if (!b.alive)
      continue;
    auto hdl = broker_of(b.id);
    if (!hdl)
      continue;
    auto r = ask<std::vector<std::string>>(sys_, *hdl, list_groups_atom::value);
    if (!r) {
      brokers_.erase(b.id);
      continue;
    }
    any = hdl;
    names.insert(r->begin(), r->end());
  }
  std::vector<metrics::view_group> out;
  undescribed_.clear();
  for (auto& g : names) {
    if (out.size() >= max_view_groups || !any)
      break;
    auto coord = ask<node_id>(sys_, *any, find_coordinator_atom::value, g);
    auto hdl = coord ? broker_of(*coord) : std::nullopt;
    auto d = hdl ? ask<group_description>(sys_, *hdl, describe_group_atom::value, g)
                 : std::nullopt;
    if (d)
      out.push_back(metrics::make_view_group(*d, topics));
    else
      undescribed_.insert(g);
  }
  return out;
}

void view_collector::export_lag(const std::vector<metrics::view_group>& groups) {
  std::set<std::string> here;
  for (auto& g : groups) {
    if (g.coordinator != self_.value)
      continue;
    here.insert(g.group);
    for (auto& o : g.offsets)
      if (o.committed >= 0 && o.lag >= 0)
        metrics_->set_group_offset(g.group, o.topic, o.partition, o.committed, o.lag);
  }
  // A group that moved away or is gone loses its series; one this round could not describe
  // keeps them until a refresh knows.
  for (auto& g : exported_groups_) {
    if (undescribed_.count(g) > 0)
      here.insert(g);
    else if (here.count(g) == 0)
      metrics_->remove_group(g);
  }
  exported_groups_ = std::move(here);
}

} // namespace cafka
