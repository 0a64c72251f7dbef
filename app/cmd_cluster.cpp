// `cafka cluster up|down|status [--watch]`: starts, stops and inspects the nodes of a config
// that run on this machine (background processes with pid files and logs in the data
// directory).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "app/app_common.hpp"
#include "app/watch_loop.hpp"
#include "actors/chaos/local_nodes.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/config/listener_config.hpp"

namespace cafka::app {

namespace {

struct cluster_options {
  std::string config = "cluster.conf";
  int64_t timeout_ms = 30000;
  watch_options watch;  // status only
};

int up(const cluster_options& o) {
  auto cfg = load_cluster_config(o.config);
  if (!cfg)
    return fail(describe(cfg.error()));
  std::error_code ec;
  std::filesystem::create_directories(cfg->data_dir, ec);
  if (ec)
    return fail("cannot create " + cfg->data_dir + ": " + ec.message());
  auto cs = open_client_system(o.config);
  if (!cs)
    return 1;
  int rc = 0;
  std::vector<std::pair<const node_config*, pid_t>> started;
  for (auto& n : cfg->nodes) {
    if (!is_local(n.host))
      continue;
    if (auto pid = running_pid(*cfg, n.id); pid > 0) {
      std::cout << "node " << n.id << " is already running (pid " << pid << ")\n";
      continue;
    }
    auto pid = start_node(*cfg, n);
    if (pid < 0) {
      rc = fail("cannot start node " + to_string(n.id));
      continue;
    }
    std::ofstream{pid_file(*cfg, n.id)} << pid << "\n";
    started.emplace_back(&n, pid);
  }
  // All started first: brokers become ready only once a majority of controllers runs.
  for (auto& [n, pid] : started) {
    bool exited = false;
    // Another process on the node's address may answer: the node is up only once the child
    // itself holds its directory's lock and answers.
    bool ok = wait_for(std::chrono::milliseconds{o.timeout_ms}, [&, pid = pid, n = n] {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        return true;
      }
      return answers(cs->sys(), *n) && is_node_process(*cfg, n->id, pid);
    });
    if (ok && !exited) {
      std::cout << "node " << n->id << " up on " << n->address() << " (pid " << pid
                << ", log " << log_file(*cfg, n->id) << ")\n";
    } else if (!exited && is_node_process(*cfg, n->id, pid)) {
      rc = fail("node " + to_string(n->id) + " runs (pid " + std::to_string(pid)
                + ") but did not answer within " + std::to_string(o.timeout_ms) + " ms; see "
                + log_file(*cfg, n->id));
    } else {
      // Its pid must not stay recorded: the kernel may give it to another program.
      std::filesystem::remove(pid_file(*cfg, n->id));
      rc = fail("node " + to_string(n->id) + " did not start; see "
                + log_file(*cfg, n->id));
    }
  }
  return rc;
}

int down(const cluster_options& o) {
  auto cfg = load_cluster_config(o.config);
  if (!cfg)
    return fail(describe(cfg.error()));
  int rc = 0;
  // SIGTERM to every node first: their brokers' controlled shutdowns then run while the
  // quorum is still complete.
  std::vector<std::pair<const node_config*, pid_t>> stopping;
  for (auto& n : cfg->nodes) {
    if (!is_local(n.host))
      continue;
    auto pid = running_pid(*cfg, n.id);
    if (pid <= 0) {
      // No pid file, or its pid is not this node (it exited; the pid may be another's now).
      std::error_code ec;
      bool stale = std::filesystem::remove(pid_file(*cfg, n.id), ec);
      std::cout << "node " << n.id << " is not running"
                << (stale ? " (removed its stale pid file)" : "") << "\n";
      continue;
    }
    ::kill(pid, SIGTERM);
    stopping.emplace_back(&n, pid);
  }
  for (auto& [n, pid] : stopping) {
    auto p = pid;
    auto id = n->id;
    // Gone, a zombie (its parent `cluster up` has exited and nothing may reap it), or no
    // longer this node.
    auto gone = [&, p, id] { return !is_node_process(*cfg, id, p); };
    if (!wait_for(std::chrono::milliseconds{o.timeout_ms}, gone)) {
      ::kill(pid, SIGKILL);
      rc = fail("node " + to_string(n->id) + " did not stop within "
                + std::to_string(o.timeout_ms) + " ms of SIGTERM; killed it");
    } else {
      std::cout << "node " << n->id << " stopped\n";
    }
    std::filesystem::remove(pid_file(*cfg, n->id));
  }
  return rc;
}

// The config's nodes, each with its quorum view, then the brokers of the first metadata a
// broker answers with, into `out`; 1 if a node is down.
int render_status(const cluster_config& cfg, caf::actor_system& sys, caf::scoped_actor& self,
                  std::ostream& out) {
  int rc = 0;
  std::optional<cluster_metadata> md;
  out << "Nodes:\n";
  for (auto& n : cfg.nodes) {
    out << "  node " << n.id << "\t" << n.address() << "\troles: "
        << (n.controller ? "controller" : "") << (n.controller && n.broker ? "," : "")
        << (n.broker ? "broker" : "");
    auto node = reach(sys, n);
    auto pid = running_pid(cfg, n.id);
    if (!node) {
      out << "\tstatus: down\n";
      rc = 1;
      continue;
    }
    out << "\tstatus: up";
    if (pid > 0)
      out << " (pid " << pid << ")";
    if (n.controller) {
      self->request(*node, std::chrono::seconds{2}, controller_atom::value)
        .receive(
          [&](controller_member_actor& c) {
            self->request(c, std::chrono::seconds{2}, status_atom::value)
              .receive(
                [&](quorum_status& q) {
                  out << "\tquorum: " << q.role << ", term " << q.term << ", leader "
                      << q.leader << ", commit " << q.commit_index << ", applied "
                      << q.applied_index;
                  if (q.role == "leader") {
                    out << ", member lag:";
                    for (auto& m : q.members)
                      out << " " << m.id << "=" << m.lag
                          << (m.connected ? "" : "(unreachable)");
                  }
                },
                [](caf::error&) {});
          },
          [](caf::error&) {});
    }
    out << "\n";
    if (n.broker && !md) {
      self->request(*node, std::chrono::seconds{2}, broker_atom::value)
        .receive(
          [&](broker_actor& b) {
            self->request(b, std::chrono::seconds{2}, metadata_atom::value, metadata_request{})
              .receive([&](cluster_metadata& m) { md = std::move(m); }, [](caf::error&) {});
          },
          [](caf::error&) {});
    }
  }
  if (md) {
    out << "Brokers (metadata version " << md->version << ", controller " << md->controller
        << ", cluster id " << md->cluster_id << "):\n";
    for (auto& b : md->brokers) {
      out << "  broker " << b.id << "\t" << b.host << ":" << b.port << "\t"
          << (b.alive ? "alive" : "fenced") << "\tincarnation " << b.incarnation;
      if (!b.listeners.empty())
        out << "\tkafka " << to_string(b.listeners);
      out << "\n";
    }
  }
  return rc;
}

int status(const cluster_options& o) {
  // Before the actor system: its threads inherit the blocked stop signals.
  std::optional<watch_loop> watch;
  if (o.watch.watch)
    watch.emplace("cafka cluster status", std::chrono::milliseconds{o.watch.interval_ms});
  auto cfg = load_cluster_config(o.config);
  if (!cfg)
    return fail(describe(cfg.error()));
  auto cs = open_client_system(o.config);
  if (!cs)
    return 1;
  // One actor system for every frame: the middleman keeps its connections to the nodes and
  // opens a new one only after a connection broke.
  caf::scoped_actor self{cs->sys()};
  if (!watch)
    return render_status(*cfg, cs->sys(), self, std::cout);
  return watch->run([&] {
    std::ostringstream out;
    render_status(*cfg, cs->sys(), self, out);
    return out.str();
  });
}

} // namespace

void add_cluster_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<cluster_options>();
  auto cmd = app.add_subcommand("cluster", "start, stop or inspect the local nodes of a config");
  cmd->require_subcommand(1);
  auto add = [&](const char* name, const char* help,
                 int (*fn)(const cluster_options&)) -> CLI::App& {
    auto sub = cmd->add_subcommand(name, help);
    sub->add_option("--config", o->config, "cluster.conf to read")->capture_default_str();
    sub->add_option("--timeout-ms", o->timeout_ms, "how long to wait for each node")
      ->check(non_negative);
    sub->callback([o, fn, &run] { run = [o, fn] { return fn(*o); }; });
    return *sub;
  };
  add("up", "start every local node of the config in the background", up);
  add("down", "stop (SIGTERM) every running local node of the config", down);
  add_watch_options(add("status", "show which nodes of the config answer", status), o->watch);
}

} // namespace cafka::app
