// The node's live view (GET /api/view): a thread of the node's process that, every
// view-refresh-ms, asks this node's broker (or quorum member) for the cluster metadata and
// the groups it coordinates, and every other node for its summary (GET /api/node), and keeps
// the picture as JSON. It never dials another node's actors: node links are the supervisors'
// (docs/limitations.md). It also sets the lag series of the groups this node coordinates.
// Owned by the node's main thread; its thread blocks (a scoped actor, HTTP) and is no actor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>

#include "actors/broker/broker_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/metrics/cluster_view.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/metrics/view_history.hpp"

namespace cafka {

class view_collector {
public:
  // `node`: this node's supervisor (its broker is asked directly, not through the network).
  // `start_time_ms`: when this node's process started (its summaries carry it).
  view_collector(caf::actor_system& sys, cluster_config cfg, node_id self, node_actor node,
                 std::shared_ptr<metrics::node_metrics> m, int64_t start_time_ms);
  // Stops the thread: within one request's timeout (about a second), which it checks for a
  // stop between every two requests.
  ~view_collector();
  view_collector(const view_collector&) = delete;
  view_collector& operator=(const view_collector&) = delete;

  void start();

  // The latest view as JSON (a view with an error before the first refresh). Someone looks:
  // the collector refreshes every view-refresh-ms for the next 30 s (at once if it idled).
  std::string view_json() const;

  // This node's summary with its events after `since`, as JSON (GET /api/node). `viewed`:
  // the asking node's view is looked at, which keeps this node refreshing its groups too.
  std::string node_json(uint64_t since, bool viewed) const;

private:
  void run();
  void refresh();
  std::vector<metrics::node_summary> gather_summaries(int64_t now_ms);
  std::optional<broker_actor> local_broker();
  std::optional<cluster_metadata> fetch_metadata();
  void fetch_local_groups();
  std::vector<metrics::view_group> merge_groups(const std::vector<metrics::node_summary>& ss,
                                                const std::vector<metrics::view_topic>& ts);
  void export_lag(const std::vector<metrics::view_topic>& topics);
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  void mark_viewed() const;
  bool viewed() const;

  caf::actor_system& sys_;
  cluster_config cfg_;
  node_id self_;
  node_actor node_;
  std::shared_ptr<metrics::node_metrics> metrics_;
  int64_t start_time_ms_;
  // The collector thread's own state.
  metrics::view_history history_;
  std::optional<broker_actor> broker_;    // this node's, once asked
  std::set<int32_t> unreachable_;        // nodes whose summary did not come last round
  std::set<std::string> exported_groups_;  // groups whose lag series this node shows
  metrics::cluster_view last_;           // the last good picture
  // Shared with the HTTP thread.
  mutable std::mutex mtx_;
  std::string json_;
  std::vector<metrics::view_group> local_groups_;  // the groups this node coordinates
  mutable std::condition_variable wake_;
  bool stop_ = false;                  // guarded by mtx_, for the wait between refreshes
  mutable bool wanted_ = false;        // guarded by mtx_: a viewer came, refresh now
  // Until when (steady clock, ms) someone is taken to look at the view.
  mutable std::atomic<int64_t> viewed_until_ms_{0};
  std::atomic<bool> stopping_{false};  // the same, read between requests
  std::thread thread_;
};

} // namespace cafka
