// `cafka chaos ...`: fault injection on a running cluster. Network faults go to every node's
// chaos agent (each node applies them to the messages it sends); process faults signal the
// local nodes through the pid files `cafka cluster up` writes. A fault with --duration heals
// by itself: network rules expire on the nodes, and process faults make the command wait
// and then undo them.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "runtime/app/app_common.hpp"
#include "runtime/app/local_nodes.hpp"
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

std::optional<cluster_config> load(const chaos_options& o) {
  auto cfg = load_cluster_config(o.conn.config);
  if (!cfg) {
    fail(describe(cfg.error()));
    return std::nullopt;
  }
  return std::move(*cfg);
}

bool known(const cluster_config& cfg, const std::vector<int32_t>& xs) {
  for (auto x : xs)
    if (cfg.find(node_id{x}) == nullptr) {
      fail("node " + std::to_string(x) + " is not in " + cfg.path);
      return false;
    }
  return true;
}

// Sends the rules to every node that answers; returns the exit code.
int install(const chaos_options& o, std::vector<fault_rule> rules) {
  auto cfg = load(o);
  if (!cfg)
    return 1;
  auto ms = parse_duration(o.duration);
  if (ms < 0)
    return fail("--duration '" + o.duration + "' is not a duration (e.g. 500ms, 5s, 2m)");
  for (auto& r : rules)
    if (r.drop < 0 || r.drop > 1 || r.duplicate < 0 || r.duplicate > 1)
      return fail("--probability must be between 0 and 1");
  client_system cs{o.conn.config};
  caf::scoped_actor self{cs.sys()};
  int reached = 0;
  for (auto& n : cfg->nodes) {
    auto node = reach(cs.sys(), n);
    if (!node) {
      std::cerr << "node " << n.id.value << ": not reachable, skipped\n";
      continue;
    }
    bool ok = true;
    for (auto& r : rules)
      self->request(*node, chaos_timeout, chaos_atom::value, r, ms)
        .receive([](uint64_t) {},
                 [&](caf::error& err) {
                   std::cerr << "node " << n.id.value << ": " << describe(err) << "\n";
                   ok = false;
                 });
    reached += ok ? 1 : 0;
  }
  if (reached == 0)
    return fail("no node of " + cfg->path + " answered");
  std::cout << "fault installed on " << reached << " node(s)"
            << (ms > 0 ? ", heals in " + std::to_string(ms) + " ms" : ", until `chaos heal`")
            << "\n";
  return 0;
}

int partition(const chaos_options& o) {
  auto cfg = load(o);
  if (!cfg || !known(*cfg, o.side) || !known(*cfg, o.other))
    return 1;
  if (o.side.empty())
    return fail("--side needs at least one node");
  auto a = ids(o.side);
  auto b = ids(o.other);
  if (b.empty())
    for (auto& n : cfg->nodes)
      if (a.count(n.id) == 0)
        b.insert(n.id);
  for (auto& x : a)
    if (b.count(x) > 0)
      return fail("node " + std::to_string(x.value) + " is on both sides");
  std::vector<fault_rule> rules;
  fault_rule ab;
  ab.from = a;
  ab.to = b;
  ab.drop = 1.0;
  rules.push_back(ab);
  if (!o.one_way) {
    fault_rule ba;
    ba.from = b;
    ba.to = a;
    ba.drop = 1.0;
    rules.push_back(ba);
  }
  return install(o, rules);
}

int link_fault(const chaos_options& o, const std::string& kind) {
  auto cfg = load(o);
  if (!cfg || !known(*cfg, o.from) || !known(*cfg, o.to))
    return 1;
  fault_rule r;
  r.from = ids(o.from);
  r.to = ids(o.to);
  if (kind == "drop")
    r.drop = o.probability;
  else if (kind == "duplicate")
    r.duplicate = o.probability;
  else {
    if (o.delay_ms < 0 || o.jitter_ms < 0)
      return fail("--delay-ms and --jitter-ms must not be negative");
    r.delay = std::chrono::milliseconds{o.delay_ms};
    r.jitter = std::chrono::milliseconds{o.jitter_ms};
  }
  return install(o, {r});
}

// A local node of the config, with its pid if it runs.
const node_config* local_node(const cluster_config& cfg, int32_t id) {
  auto n = cfg.find(node_id{id});
  if (n == nullptr) {
    fail("node " + std::to_string(id) + " is not in " + cfg.path);
    return nullptr;
  }
  if (!is_local(n->host)) {
    fail("node " + std::to_string(id) + " runs on " + n->host
         + ": process faults work on this machine's nodes only");
    return nullptr;
  }
  return n;
}

int restart_node(const cluster_config& cfg, const node_config& n) {
  if (auto pid = running_pid(cfg, n.id); pid > 0) {
    std::cout << "node " << n.id.value << " is already running (pid " << pid << ")\n";
    return 0;
  }
  auto pid = start_node(cfg, n);
  if (pid < 0)
    return fail("cannot start node " + std::to_string(n.id.value));
  std::ofstream{pid_file(cfg, n.id)} << pid << "\n";
  std::cout << "node " << n.id.value << " restarted (pid " << pid << ")\n";
  return 0;
}

int process_fault(const chaos_options& o, const std::string& kind) {
  auto cfg = load(o);
  if (!cfg)
    return 1;
  auto n = local_node(*cfg, o.node);
  if (n == nullptr)
    return 1;
  auto ms = parse_duration(o.duration);
  if (ms < 0)
    return fail("--duration '" + o.duration + "' is not a duration (e.g. 500ms, 5s, 2m)");
  if (kind == "restart")
    return restart_node(*cfg, *n);
  auto pid = running_pid(*cfg, n->id);
  if (pid <= 0)
    return fail("node " + std::to_string(o.node) + " is not running (no live pid in "
                + pid_file(*cfg, n->id) + ")");
  if (kind == "kill") {
    ::kill(pid, SIGCONT);
    ::kill(pid, SIGKILL);
    std::cout << "node " << o.node << " killed (pid " << pid << ")\n";
    if (ms > 0) {
      // Let the kill be seen as a death first, then bring it back.
      wait_for(std::chrono::milliseconds{ms}, [] { return false; });
      return restart_node(*cfg, *n);
    }
    return 0;
  }
  if (kind == "pause") {
    ::kill(pid, SIGSTOP);
    std::cout << "node " << o.node << " paused (pid " << pid << ")\n";
    if (ms > 0) {
      wait_for(std::chrono::milliseconds{ms}, [] { return false; });
      ::kill(pid, SIGCONT);
      std::cout << "node " << o.node << " resumed\n";
    }
    return 0;
  }
  ::kill(pid, SIGCONT);  // resume
  std::cout << "node " << o.node << " resumed (pid " << pid << ")\n";
  return 0;
}

int heal(const chaos_options& o) {
  auto cfg = load(o);
  if (!cfg)
    return 1;
  client_system cs{o.conn.config};
  caf::scoped_actor self{cs.sys()};
  for (auto& n : cfg->nodes) {
    if (is_local(n.host))
      if (auto pid = running_pid(*cfg, n.id); pid > 0 && process_state(pid) == 'T') {
        ::kill(pid, SIGCONT);
        std::cout << "node " << n.id.value << " resumed\n";
      }
    auto node = reach(cs.sys(), n);
    if (!node) {
      std::cout << "node " << n.id.value << ": not reachable\n";
      continue;
    }
    self->request(*node, chaos_timeout, heal_atom::value)
      .receive([&](caf::ok_atom) { std::cout << "node " << n.id.value << ": healed\n"; },
               [&](caf::error& err) {
                 std::cout << "node " << n.id.value << ": " << describe(err) << "\n";
               });
  }
  return 0;
}

int status(const chaos_options& o) {
  auto cfg = load(o);
  if (!cfg)
    return 1;
  client_system cs{o.conn.config};
  caf::scoped_actor self{cs.sys()};
  for (auto& n : cfg->nodes) {
    std::string proc = "remote";
    if (is_local(n.host)) {
      auto pid = running_pid(*cfg, n.id);
      proc = pid <= 0 ? "down" : process_state(pid) == 'T' ? "paused" : "running";
    }
    std::cout << "node " << n.id.value << " (" << n.address() << "): " << proc;
    auto node = proc == "paused" || proc == "down" ? std::nullopt : reach(cs.sys(), n);
    if (!node) {
      std::cout << ", no answer\n";
      continue;
    }
    std::vector<fault_status> rules;
    self->request(*node, chaos_timeout, chaos_atom::value)
      .receive([&](std::vector<fault_status>& r) { rules = std::move(r); },
               [&](caf::error&) {});
    std::cout << ", " << rules.size() << " fault rule(s)\n";
    for (auto& r : rules) {
      std::printf("  rule %llu: %s", static_cast<unsigned long long>(r.id),
                  describe(r.rule).c_str());
      if (r.remaining_ms >= 0)
        std::printf(", heals in %lld ms", static_cast<long long>(r.remaining_ms));
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  return 0;
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
      sub->add_option("--delay-ms", o->delay_ms, "fixed delay per message")->required();
      sub->add_option("--jitter-ms", o->jitter_ms, "plus a random delay up to this (reorders)");
    } else {
      sub->add_option("--probability", o->probability, "per message, 0 to 1")->required();
    }
    sub->callback([o, k, &run] { run = [o, k] { return link_fault(*o, k); }; });
  }

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

  auto h = cmd->add_subcommand("heal", "remove every network fault and resume paused nodes");
  add_connection_options(*h, o->conn);
  h->callback([o, &run] { run = [o] { return heal(*o); }; });
  auto st = cmd->add_subcommand("status", "every node's process state and active faults");
  add_connection_options(*st, o->conn);
  st->callback([o, &run] { run = [o] { return status(*o); }; });
  add_chaos_run_command(*cmd, run);
}

} // namespace cafka::app
