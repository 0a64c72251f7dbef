#include "actors/sim/cluster_sim.hpp"
#include "actors/sim/sim_world.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <spdlog/spdlog.h>

#include "cafka/consumer_actor.hpp"
#include "cafka/producer_actor.hpp"
#include "actors/broker/broker_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "cafka/client_messages.hpp"
#include "actors/register_types.hpp"
#include "actors/node/network_dialer.hpp"
#include "actors/node/node_supervisor.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/entropy.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/chaos/fault_table.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka {

using namespace sim_detail;

namespace {

// The simulated network's connector: hands out a running node's supervisor.
caf::behavior network_behavior(caf::event_based_actor* self, world_ptr w) {
  return {
    [=](caf::connect_atom, const std::string& host, uint16_t port)
      -> caf::result<caf::node_id, caf::strong_actor_ptr, std::set<std::string>> {
      auto i = w->network.find(host + ":" + std::to_string(port));
      if (i == w->network.end())
        return caf::make_error(caf::sec::cannot_connect_to_node);
      return {self->system().node(), i->second, std::set<std::string>{}};
    },
  };
}

void start_node(caf::event_based_actor* self, world_ptr w, node_id id) {
  auto& n = w->nodes[id];
  n.supervisor = spawn_node_supervisor(self->system(), w->cfg, id, nullptr, w->faults);
  n.up = true;
  w->network[address(n.cfg)] = caf::actor_cast<caf::strong_actor_ptr>(n.supervisor);
  self->request(n.supervisor, ask_timeout, controller_atom::value)
    .then([w, id](controller_member_actor& c) { w->nodes[id].controller = c; },
          [](caf::error&) {});
  self->request(n.supervisor, ask_timeout, broker_atom::value)
    .then([w, id](broker_actor& b) { w->nodes[id].broker = b; }, [](caf::error&) {});
}

// A crash: every actor of the node ends at once (replicas and group actors follow their
// broker); its files stay as they are.
void kill_node(world_ptr w, node_id id) {
  auto& n = w->nodes[id];
  if (!n.up)
    return;
  n.up = false;
  w->network.erase(address(n.cfg));
  for (auto hdl : {caf::actor_cast<caf::actor>(n.broker), caf::actor_cast<caf::actor>(n.controller),
                   caf::actor_cast<caf::actor>(n.supervisor)})
    if (hdl)
      caf::anon_send_exit(hdl, caf::exit_reason::kill);
  n.supervisor = nullptr;
  n.controller = nullptr;
  n.broker = nullptr;
}

void inject(world_ptr w, size_t i) {
  auto& f = w->schedule[i];
  if (f.kind == "kill") {
    kill_node(w, f.node);
    return;
  }
  std::set<node_id> others;
  for (auto& [id, n] : w->nodes)
    if (id != f.node)
      others.insert(id);
  auto& table = *w->faults;
  for (auto& r : network_rules(f, others))
    w->fault_rules[i].push_back(table.add(r));
}

void undo(caf::event_based_actor* self, world_ptr w, size_t i) {
  auto& f = w->schedule[i];
  if (f.kind == "kill") {
    if (!w->nodes[f.node].up)
      start_node(self, w, f.node);
    return;
  }
  for (auto id : w->fault_rules[i])
    w->faults->remove(id);
  w->fault_rules.erase(i);
}


// One step of the driver, every sample period: moves through the phases.
void step(caf::event_based_actor* self, world_ptr w) {
  auto now = now_ms() - epoch_base_ms;
  auto over = [&](const char* what) {
    if (now < w->phase_deadline)
      return false;
    w->stuck = what;
    w->ph = phase::done;
    return true;
  };
  sample_leaders(self, w);
  if (w->ph == phase::running || w->ph == phase::recovering)
    sample_commits(self, w);
  switch (w->ph) {
    case phase::starting: {
      if (over("the cluster did not start"))
        return;
      auto& n = w->nodes.begin()->second;
      if (!n.broker)
        return;
      self->request(n.broker, ask_timeout, create_topic_atom::value,
                    create_topic_request{topic, w->opts.partitions,
                                         std::min<int32_t>(3, w->opts.nodes)})
        .then(
          [=](topic_metadata&) {
            if (w->ph != phase::starting)
              return;
            w->ph = phase::running;
            start_workload(self, w);
            w->phase_deadline = w->t0 + w->opts.duration_ms;
          },
          [](caf::error&) {});
      return;
    }
    case phase::running:
      send_records(self, w, std::max(1, w->opts.rate / 10));
      if (now >= w->phase_deadline) {
        // Everything heals: rules go, dead nodes come back.
        w->faults->heal();
        w->fault_rules.clear();
        for (auto& [id, n] : w->nodes)
          if (!n.up)
            start_node(self, w, id);
        w->ph = phase::recovering;
        w->phase_deadline = now + recovery_deadline_ms;
      }
      return;
    case phase::recovering:
      // Read back once every write has its answer and the group has processed every
      // acknowledged record, or at the deadline (the checker then reports what is missing).
      if ((w->outstanding == 0 && w->checker.check().unprocessed == 0)
          || now >= w->phase_deadline) {
        if (now >= w->phase_deadline && w->outstanding > 0)
          w->stuck = std::to_string(w->outstanding)
                     + " write(s) still unanswered at the recovery deadline";
        w->ph = phase::reading;
        w->phase_deadline = now + recovery_deadline_ms;
        consumer_config rc;
        rc.bootstrap = bootstrap(*w);
        rc.auto_offset_reset = offset_reset::earliest;
        w->reader_sink = self->system().spawn(sink_behavior, w, true);
        w->reader = spawn_consumer(self->system(), rc, w->reader_sink, 4);
        std::vector<topic_partition> tps;
        for (int32_t p = 0; p < w->opts.partitions; ++p)
          tps.push_back({topic, partition_id{p}});
        self->send(w->reader, assign_atom::value, tps);
        for (auto& tp : tps)
          self->request(w->reader, ask_timeout, seek_to_beginning_atom::value, tp)
            .then([](uint64_t) {}, [](caf::error&) {});
      }
      return;
    case phase::reading:
      if (over("reading the partitions back did not finish"))
        return;
      if (w->logged != w->logged_last) {
        w->logged_last = w->logged;
        w->logged_stable_since = now;
      } else if (w->logged >= w->acked && now - w->logged_stable_since >= 2000) {
        w->ph = phase::lineage;
        w->phase_deadline = now + 20000;
      }
      return;
    case phase::lineage:
      if (replicas_agree(*w) || now >= w->phase_deadline) {
        record_replicas(*w);
        w->ph = phase::done;
      }
      return;
    case phase::done:
      return;
  }
}

caf::behavior driver_behavior(caf::event_based_actor* self, world_ptr w) {
  for (auto& n : w->cfg.nodes)
    start_node(self, w, n.id);
  self->delayed_send(self, sample_every, caf::tick_atom::value);
  return {
    [=](caf::tick_atom) {
      step(self, w);
      if (w->ph != phase::done)
        self->delayed_send(self, sample_every, caf::tick_atom::value);
    },
    [=](caf::atom_value what, uint64_t i) {
      if (w->ph != phase::running)
        return;  // the faults are over
      if (what == caf::atom("inject"))
        inject(w, static_cast<size_t>(i));
      else
        undo(self, w, static_cast<size_t>(i));
    },
  };
}

std::string write_config(const sim_options& o, const std::string& dir) {
  auto path = dir + "/cluster.conf";
  std::ofstream out{path};
  out << "[cluster]\nnodes=[";
  for (int32_t i = 1; i <= o.nodes; ++i)
    out << (i > 1 ? ", " : "") << "{id=" << i << ", host=\"127.0.0.1\", port=" << 19000 + i
        << ", roles=[\"controller\", \"broker\"]}";
  out << "]\ndata-dir=\"data\"\n[defaults]\nmin-insync-replicas=2\n"
      << "broker-heartbeat-interval-ms=100\nbroker-session-timeout-ms=600\n"
      << "controller-quorum-tick-ms=50\ncontroller-quorum-election-timeout-ms=300\n"
      << "offsets-topic-num-partitions=3\n"
      // Short idle fetch waits: more fetch rounds for the faults to interleave with (and
      // the value the recorded seeds were found with).
      << "replica-fetch-wait-max-ms=500\n";
  return path;
}

class sim_config : public caf::actor_system_config {
public:
  sim_config() {
    register_types(*this);
    set("scheduler.policy", caf::atom("testing"));
    set("logger.verbosity", caf::atom("quiet"));
  }
};

} // namespace

const std::vector<std::string>& sim_fault_kinds() {
  static const std::vector<std::string> kinds{"kill", "partition", "drop", "duplicate",
                                              "delay"};
  return kinds;
}

sim_result run_simulation(const sim_options& o) {
  sim_result res;
  auto dir = o.dir.empty() ? (std::filesystem::temp_directory_path()
                              / ("cafka-sim-" + std::to_string(::getpid()) + "-"
                                 + std::to_string(o.seed)))
                               .string()
                           : o.dir;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto cfg = load_cluster_config(write_config(o, dir));
  if (!cfg) {
    res.stuck = "bad simulated config: " + describe(cfg.error());
    return res;
  }
  // Process-wide seams, seeded from the run's seed.
  seed_entropy(o.seed * 0x9e3779b97f4a7c15ull + 1);
  auto old_level = spdlog::get_level();
  if (!o.verbose)
    spdlog::set_level(spdlog::level::off);
  auto w = std::make_shared<world>();
  w->opts = o;
  w->faults = std::make_shared<fault_table>(o.seed);
  w->cfg = std::move(*cfg);
  std::vector<node_id> ids;
  for (auto& n : w->cfg.nodes) {
    w->nodes[n.id].cfg = n;
    ids.push_back(n.id);
  }
  w->schedule = o.schedule ? *o.schedule : make_schedule(o.seed, o.duration_ms, o.faults, ids);
  w->phase_deadline = recovery_deadline_ms;
  {
    sim_config sc;
    caf::actor_system sys{sc};
    auto& sched = dynamic_cast<test_coordinator&>(sys.scheduler());
    sim_clock = &sched.clock();
    set_wall_clock(&sim_now_ms);
    auto net = sys.spawn(network_behavior, w);
    sys.registry().put(sim_network_name, net);
    auto driver = sys.spawn(driver_behavior, w);
    // Run jobs in order; when none is ready, jump to the next timeout.
    while (w->ph != phase::done) {
      if (sched.try_run_once()) {
        ++res.steps;
        continue;
      }
      if (!sched.trigger_timeout())
        break;
    }
    res.sim_ms = now_ms() - epoch_base_ms;
    // Shut everything down and drain, so that the system can end.
    for (auto& [id, n] : w->nodes)
      kill_node(w, id);
    std::vector<caf::actor> rest{driver, net, caf::actor_cast<caf::actor>(w->producer),
                                 caf::actor_cast<caf::actor>(w->reader), w->reader_sink};
    for (auto& m : w->members)
      rest.push_back(caf::actor_cast<caf::actor>(m));
    for (auto& s : w->sinks)
      rest.push_back(s);
    for (auto& a : rest)
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::kill);
    sys.registry().erase(sim_network_name);
    w->producer = nullptr;
    w->reader = nullptr;
    w->reader_sink = nullptr;
    w->members.clear();
    w->sinks.clear();
    w->network.clear();
    rest.clear();
    net = nullptr;
    driver = nullptr;
    sched.run();
    while (sched.trigger_timeouts() > 0)
      sched.run();
    set_wall_clock(nullptr);
    sim_clock = nullptr;
  }
  reset_entropy();
  spdlog::set_level(old_level);
  res.schedule = w->schedule;
  res.report = w->checker.check();
  res.sent = w->sent;
  res.failed = w->failed;
  res.processed = w->processed;
  res.leader_changes = res.report.leader_changes;
  res.digest = w->digest;
  res.stuck = w->stuck;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return res;
}

std::vector<nemesis_fault> shrink_schedule(const sim_options& o,
                                           std::vector<nemesis_fault> failing, int& runs) {
  return shrink_faults(std::move(failing), [&](const std::vector<nemesis_fault>& s) {
    auto opts = o;
    opts.schedule = s;
    ++runs;
    return !run_simulation(opts).ok();
  });
}

} // namespace cafka
