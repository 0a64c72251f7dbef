#include "actors/node/view_collector.hpp"

#include <chrono>

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"
#include "runtime/http/http_get.hpp"

namespace cafka {

namespace {

// Every request of a refresh; a stop waits for at most one of them.
constexpr auto ask_timeout = std::chrono::milliseconds{1000};
// How long a look at the view keeps the collector refreshing every view-refresh-ms, and how
// often it refreshes when nobody looks.
constexpr auto viewed_window = std::chrono::milliseconds{30000};
constexpr auto idle_refresh = std::chrono::milliseconds{30000};

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

// Groups one node describes per refresh, and one view shows.
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
  stopping_ = true;
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
  mark_viewed();
  std::lock_guard<std::mutex> guard{mtx_};
  return json_;
}

void view_collector::mark_viewed() const {
  auto now = steady_ms();
  auto before = viewed_until_ms_.exchange(now + viewed_window.count());
  if (before >= now)
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    wanted_ = true;
  }
  wake_.notify_all();
}

bool view_collector::viewed() const {
  return viewed_until_ms_.load() >= steady_ms();
}

std::string view_collector::node_json(uint64_t since, bool viewed) const {
  if (viewed)
    mark_viewed();
  std::vector<metrics::view_group> groups;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    groups = local_groups_;
  }
  return to_json(metrics::summarize(self_.value, start_time_ms_, metrics_->registry.snapshot(),
                                    std::move(groups), metrics_->events, since));
}

void view_collector::run() {
  auto busy = std::chrono::milliseconds{cfg_.metrics.view_refresh_ms};
  // Nobody looks: the lag series still follow, at a pace that costs next to nothing.
  auto idle = std::max(busy, idle_refresh);
  std::unique_lock<std::mutex> lock{mtx_};
  while (!stop_) {
    wanted_ = false;
    auto next = std::chrono::steady_clock::now() + (viewed() ? busy : idle);
    lock.unlock();
    refresh();
    lock.lock();
    wake_.wait_until(lock, next, [this] { return stop_ || wanted_; });
  }
}

void view_collector::refresh() {
  auto now = now_ms();
  fetch_local_groups();
  auto summaries = gather_summaries(now);
  history_.add_round(now, summaries);
  auto v = last_;
  v.node = self_.value;
  v.time_ms = now;
  v.error.clear();
  if (auto md = fetch_metadata()) {
    metrics::set_cluster(v, cfg_, *md, summaries);
    v.groups = merge_groups(summaries, v.topics);
    export_lag(v.topics);
  } else {
    v.error = "this node's broker did not answer a metadata request: the brokers, topics and "
              "groups shown are from the last refresh that worked";
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
    if (stopping())
      break;
    auto since = history_.last_seq(n.id.value);
    if (n.id == self_) {
      std::lock_guard<std::mutex> guard{mtx_};
      out.push_back(metrics::summarize(self_.value, start_time_ms_,
                                       metrics_->registry.snapshot(), local_groups_,
                                       metrics_->events, since));
      continue;
    }
    if (n.metrics_port == 0)
      continue;
    auto target = "/api/node?since=" + std::to_string(since) + (viewed() ? "&viewed=1" : "");
    auto body = http::http_get(n.host, n.metrics_port, target, ask_timeout);
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

std::optional<broker_actor> view_collector::local_broker() {
  auto me = cfg_.find(self_);
  if (!broker_ && me != nullptr && me->broker)
    broker_ = ask<broker_actor>(sys_, node_, broker_atom::value);
  return broker_;
}

std::optional<cluster_metadata> view_collector::fetch_metadata() {
  if (auto b = local_broker())
    return ask<cluster_metadata>(sys_, *b, metadata_atom::value, metadata_request{});
  // A node without the broker role: its quorum member forwards to the controller.
  if (auto c = ask<controller_member_actor>(sys_, node_, controller_atom::value))
    return ask<cluster_metadata>(sys_, *c, metadata_atom::value);
  return std::nullopt;
}

void view_collector::fetch_local_groups() {
  auto b = local_broker();
  auto names = b ? ask<std::vector<std::string>>(sys_, *b, list_groups_atom::value)
                 : std::nullopt;
  // A broker that did not answer keeps its groups from the last refresh, and so does a
  // group whose description did not come.
  if (!names && b)
    return;
  std::map<std::string, metrics::view_group> before;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& g : local_groups_)
      before.emplace(g.group, g);
  }
  std::vector<metrics::view_group> groups;
  for (auto& g : names ? *names : std::vector<std::string>{}) {
    if (groups.size() >= max_view_groups || stopping())
      break;
    if (auto d = ask<group_description>(sys_, *b, describe_group_atom::value, g))
      groups.push_back(metrics::summarize_group(*d));
    else if (auto i = before.find(g); i != before.end())
      groups.push_back(i->second);
  }
  std::lock_guard<std::mutex> guard{mtx_};
  local_groups_ = std::move(groups);
}

std::vector<metrics::view_group>
view_collector::merge_groups(const std::vector<metrics::node_summary>& summaries,
                             const std::vector<metrics::view_topic>& topics) {
  // A group is its coordinator's; one reported twice (its coordinator just moved) is shown
  // once, as the node it names as coordinator has it.
  std::map<std::string, metrics::view_group> by_name;
  for (auto& s : summaries)
    for (auto& g : s.groups) {
      auto i = by_name.find(g.group);
      if (i == by_name.end() || g.coordinator == s.node)
        by_name[g.group] = g;
    }
  std::vector<metrics::view_group> out;
  for (auto& [name, g] : by_name) {
    if (out.size() >= max_view_groups)
      break;
    out.push_back(g);
    metrics::add_lag(out.back(), topics);
  }
  return out;
}

void view_collector::export_lag(const std::vector<metrics::view_topic>& topics) {
  std::vector<metrics::view_group> groups;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    groups = local_groups_;
  }
  std::set<std::string> here;
  for (auto& g : groups) {
    here.insert(g.group);
    metrics::add_lag(g, topics);
    for (auto& o : g.offsets)
      if (o.committed >= 0 && o.lag >= 0)
        metrics_->set_group_offset(g.group, o.topic, o.partition, o.committed, o.lag);
  }
  // A group this node no longer coordinates loses its lag series (its manager, which ended
  // here, removed the rest).
  for (auto& g : exported_groups_)
    if (here.count(g) == 0)
      metrics_->remove_group_offsets(g);
  exported_groups_ = std::move(here);
}

} // namespace cafka
