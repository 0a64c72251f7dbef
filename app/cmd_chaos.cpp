// `cafka chaos ...`: fault injection on a running cluster, a thin front of fault_injector.
// Network and disk faults go to the nodes' chaos agents (a node without chaos-enable=true
// refuses them: its one line, exit 1); process faults signal the local nodes through the pid
// files `cafka cluster up` writes. A fault with --duration heals by
// itself: rules expire on the nodes, and process faults make the command wait and then undo
// them.
#include <algorithm>
#include <cstdio>
#include <iostream>


#include "cafka/fault_injector.hpp"
#include "actors/chaos/local_nodes.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

constexpr auto chaos_timeout = std::chrono::seconds{5};

struct chaos_options {
  connection_options conn;
  std::vector<int32_t> side;    // partition: one side
  std::vector<int32_t> other;   // partition: the other side (default: every other node)
  bool one_way = false;
  int32_t node = -1;
  std::vector<int32_t> from, to;
  double probability = 1.0;
  int64_t delay_ms = 0;
  int64_t jitter_ms = 0;
  std::string disk;             // disk: write, fsync, slow
  std::string duration;         // "" / "0": until healed
};

// --duration: empty means until healed (0).
int64_t parse_duration(const std::string& s) {
  return s.empty() ? 0 : parse_duration_ms(s);
}

std::set<node_id> ids(const std::vector<int32_t>& xs) {
  std::set<node_id> out;
  for (auto x : xs)
    out.insert(node_id{x});
  return out;
}

// Runs fn(injector, duration) with the config of `o`; returns the exit code.
template <class F>
int with_injector(const chaos_options& o, F fn) {
  auto cfg = load_cluster_config(o.conn.config);
  if (!cfg)
    return fail(describe(cfg.error()));
  auto ms = parse_duration(o.duration);
  if (ms < 0)
    return fail("--duration '" + o.duration + "' is not a duration (e.g. 500ms, 5s, 2m)");
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  fault_injector inj{cs->sys(), std::move(*cfg)};
  return fn(inj, std::chrono::milliseconds{ms});
}

// Prints what an install did; returns the exit code.
int installed(const caf::expected<int>& r, std::chrono::milliseconds d) {
  if (!r)
    return fail(describe(r.error()));
  std::cout << "fault installed on " << *r << " node(s)"
            << (d.count() > 0 ? ", heals in " + std::to_string(d.count()) + " ms"
                              : ", until `chaos heal`")
            << "\n";
  return 0;
}

int partition(const chaos_options& o) {
  return with_injector(o, [&](fault_injector& inj, std::chrono::milliseconds d) {
    return installed(inj.partition(ids(o.side), ids(o.other), o.one_way, d), d);
  });
}

int link_fault(const chaos_options& o, const std::string& kind) {
  return with_injector(o, [&](fault_injector& inj, std::chrono::milliseconds d) {
    auto from = ids(o.from);
    auto to = ids(o.to);
    if (kind == "drop")
      return installed(inj.drop(o.probability, d, from, to), d);
    if (kind == "duplicate")
      return installed(inj.duplicate(o.probability, d, from, to), d);
    return installed(inj.delay(std::chrono::milliseconds{o.delay_ms},
                               std::chrono::milliseconds{o.jitter_ms}, d, from, to),
                     d);
  });
}

int disk(const chaos_options& o) {
  auto kind = o.disk == "write"   ? disk_fault::write_error
              : o.disk == "fsync" ? disk_fault::fsync_error
              : o.disk == "slow"  ? disk_fault::slow
                                  : disk_fault::none;
  if (kind == disk_fault::none)
    return fail("--fault '" + o.disk + "' is not a disk fault (write, fsync, slow)");
  return with_injector(o, [&](fault_injector& inj, std::chrono::milliseconds d) {
    return installed(inj.disk(node_id{o.node}, kind, o.probability,
                              std::chrono::milliseconds{o.delay_ms},
                              std::chrono::milliseconds{o.jitter_ms}, d),
                     d);
  });
}

int process_fault(const chaos_options& o, const std::string& kind) {
  return with_injector(o, [&](fault_injector& inj, std::chrono::milliseconds d) {
    node_id n{o.node};
    auto restarted = [&] {
      auto pid = inj.restart(n);
      if (!pid)
        return fail(describe(pid.error()));
      std::cout << "node " << o.node << " runs (pid " << *pid << ")\n";
      return 0;
    };
    if (kind == "restart")
      return restarted();
    caf::error err = kind == "kill"    ? inj.kill(n)
                     : kind == "pause" ? inj.pause(n)
                                       : inj.resume(n);
    if (err)
      return fail(describe(err));
    std::cout << "node " << o.node << (kind == "kill" ? " killed" : kind == "pause" ? " paused" : " resumed") << "\n";
    if (d.count() > 0 && kind != "resume") {
      // Let the fault be seen first, then undo it.
      wait_for(d, [] { return false; });
      if (kind == "kill")
        return restarted();
      if (auto e = inj.resume(n))
        return fail(describe(e));
      std::cout << "node " << o.node << " resumed\n";
    }
    return 0;
  });
}

int heal(const chaos_options& o) {
  return with_injector(o, [&](fault_injector& inj, std::chrono::milliseconds) {
    auto rep = inj.heal();
    for (auto& n : inj.config().nodes) {
      auto in = [&](const std::vector<node_id>& xs) {
        return std::find(xs.begin(), xs.end(), n.id) != xs.end();
      };
      if (in(rep.resumed))
        std::cout << "node " << n.id << " resumed\n";
      auto no = std::find_if(rep.refused.begin(), rep.refused.end(),
                             [&](const auto& x) { return x.first == n.id; });
      if (no != rep.refused.end())
        std::cout << context_of(no->second) << "\n";
      else
        std::cout << "node " << n.id << (in(rep.healed) ? ": healed\n" : ": not reachable\n");
    }
    return rep.refused.empty() ? 0 : 1;
  });
}

int status(const chaos_options& o) {
  return with_injector(o, [&](fault_injector& inj, std::chrono::milliseconds) {
    int rc = 0;
    for (auto& s : inj.status()) {
      auto n = inj.config().find(s.id);
      std::cout << "node " << s.id << " (" << n->address() << "): " << s.process;
      if (s.refused) {
        std::cout << ", " << context_of(s.refused) << "\n";
        rc = 1;
        continue;
      }
      if (!s.answered) {
        std::cout << ", no answer\n";
        continue;
      }
      std::cout << ", " << s.rules.size() << " fault rule(s)\n";
      for (auto& r : s.rules) {
        std::printf("  rule %llu: %s", static_cast<unsigned long long>(r.id),
                    describe(r.rule).c_str());
        if (r.remaining_ms >= 0)
          std::printf(", heals in %lld ms", static_cast<long long>(r.remaining_ms));
        std::printf("\n");
      }
      std::fflush(stdout);
    }
    return rc;
  });
}

} // namespace

void add_chaos_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<chaos_options>();
  auto cmd = app.add_subcommand("chaos", "fault injection on a running cluster");
  cmd->require_subcommand(1);
  auto with_duration = [&](CLI::App* sub) {
    add_connection_options(*sub, o->conn);
    sub->add_option("--duration", o->duration,
                    "heal by itself after this long (500ms, 5s, 2m); default: until healed");
  };
  auto part = cmd->add_subcommand("partition", "cut the links between two sets of nodes");
  with_duration(part);
  part->add_option("--side", o->side, "nodes on one side (comma-separated)")
    ->required()
    ->delimiter(',');
  part->add_option("--other", o->other, "nodes on the other side (default: all others)")
    ->delimiter(',');
  part->add_flag("--one-way", o->one_way, "cut only messages from --side to --other");
  part->callback([o, &run] { run = [o] { return partition(*o); }; });

  auto iso = cmd->add_subcommand("isolate", "cut one node off from all others");
  with_duration(iso);
  iso->add_option("--node", o->node, "the node")->required();
  iso->callback([o, &run] {
    run = [o] {
      o->side = {o->node};
      return partition(*o);
    };
  });

  for (auto kind : {"drop", "duplicate", "delay"}) {
    std::string k = kind;
    auto sub = cmd->add_subcommand(k, k == "delay" ? "delay messages between nodes"
                                                   : k + " messages between nodes at random");
    with_duration(sub);
    sub->add_option("--from", o->from, "sending nodes (default: any)")->delimiter(',');
    sub->add_option("--to", o->to, "receiving nodes (default: any)")->delimiter(',');
    if (k == "delay") {
      sub->add_option("--delay-ms", o->delay_ms, "fixed delay per message")
        ->required()
        ->check(non_negative);
      sub->add_option("--jitter-ms", o->jitter_ms, "plus a random delay up to this (reorders)")
        ->check(non_negative);
    } else {
      sub->add_option("--probability", o->probability, "per message, 0 to 1")->required();
    }
    sub->callback([o, k, &run] { run = [o, k] { return link_fault(*o, k); }; });
  }

  auto dk = cmd->add_subcommand("disk", "disk faults on one node's partition logs");
  with_duration(dk);
  dk->add_option("--node", o->node, "the node")->required();
  dk->add_option("--fault", o->disk,
                 "write (ENOSPC after half a write), fsync (EIO), slow (added latency)")
    ->required();
  dk->add_option("--probability", o->probability, "per operation, 0 to 1 (default 1)");
  dk->add_option("--delay-ms", o->delay_ms, "slow: added to every write and fsync")
    ->check(non_negative);
  dk->add_option("--jitter-ms", o->jitter_ms, "slow: plus a random delay up to this")
    ->check(non_negative);
  dk->callback([o, &run] { run = [o] { return disk(*o); }; });

  for (auto kind : {"kill", "pause", "resume", "restart"}) {
    std::string k = kind;
    auto sub = cmd->add_subcommand(k, k == "kill"      ? "SIGKILL a local node"
                                      : k == "pause"   ? "SIGSTOP a local node (hung, not dead)"
                                      : k == "resume"  ? "SIGCONT a paused local node"
                                                       : "start a local node that is down");
    with_duration(sub);
    sub->add_option("--node", o->node, "the node")->required();
    sub->callback([o, k, &run] { run = [o, k] { return process_fault(*o, k); }; });
  }

  auto h = cmd->add_subcommand("heal", "remove every network and disk fault and resume paused nodes");
  add_connection_options(*h, o->conn);
  h->callback([o, &run] { run = [o] { return heal(*o); }; });
  auto st = cmd->add_subcommand("status", "every node's process state and active faults");
  add_connection_options(*st, o->conn);
  st->callback([o, &run] { run = [o] { return status(*o); }; });
  add_chaos_run_command(*cmd, run);
  add_chaos_sim_command(*cmd, run);
}

} // namespace cafka::app
