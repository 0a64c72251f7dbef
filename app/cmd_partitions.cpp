// `cafka partitions reassign` (Kafka's kafka-reassign-partitions with its JSON plan) and
// `cafka brokers decommission`: moving replicas between brokers through any broker.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/reassignment.hpp"
#include "runtime/cluster/reassignment_plan.hpp"

namespace cafka::app {

namespace {

constexpr auto admin_timeout = std::chrono::seconds{30};
constexpr auto poll_interval = std::chrono::milliseconds{200};

struct reassign_options {
  connection_options conn;
  std::string plan_file;
  bool execute = false;
  bool verify = false;
  bool cancel = false;
  bool list = false;
  int64_t throttle = -1;
};

struct decommission_options {
  connection_options conn;
  int32_t id = -1;
  bool cancel = false;
  bool no_wait = false;
  int64_t throttle = -1;
  std::string timeout = "10m";
};

std::string join(const std::vector<node_id>& ids) {
  std::string out;
  for (auto& id : ids)
    out += (out.empty() ? "" : ",") + to_string(id);
  return out;
}

caf::expected<cluster_metadata> fetch_metadata(caf::scoped_actor& self, broker_actor& b) {
  caf::expected<cluster_metadata> out{cluster_metadata{}};
  self->request(b, admin_timeout, metadata_atom::value, metadata_request{})
    .receive([&](cluster_metadata& md) { out = std::move(md); },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

caf::expected<std::vector<planned_reassignment>> read_plan(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(errc::invalid_request,
                      "--reassignment-json-file: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_reassignment_plan(ss.str());
}

// Sends the moves and prints what failed; returns the exit code.
int send_moves(caf::scoped_actor& self, broker_actor& b, alter_reassignments_request req,
               const char* done) {
  int rc = 0;
  self->request(b, admin_timeout, reassign_atom::value, req)
    .receive(
      [&](std::vector<reassignment_result>& results) {
        std::string ok;
        for (auto& r : results)
          if (r.error)
            rc = fail("partition " + to_string(r.tp) + ": " + describe(r.error));
          else
            ok += (ok.empty() ? "" : ",") + to_string(r.tp);
        if (!ok.empty())
          std::cout << done << " " << ok << "\n";
      },
      [&](caf::error& err) { rc = fail(describe(err)); });
  return rc;
}

int execute(const reassign_options& o, caf::scoped_actor& self, broker_actor& b,
            const std::vector<planned_reassignment>& plan) {
  auto md = fetch_metadata(self, b);
  if (!md)
    return fail(describe(md.error()));
  std::vector<planned_reassignment> current;
  for (auto& m : plan)
    if (auto p = md->find_partition(m.tp))
      current.push_back({m.tp, original_replicas(*p)});
  std::cout << "Current partition replica assignment\n\n"
            << render_reassignment_plan(current)
            << "\n\nSave this to use as the --reassignment-json-file option during "
               "rollback\n";
  alter_reassignments_request req;
  req.throttle = o.throttle;
  for (auto& m : plan)
    req.partitions.push_back({m.tp, m.replicas, false});
  return send_moves(self, b, std::move(req), "Successfully started partition reassignments for");
}

int verify(caf::scoped_actor& self, broker_actor& b,
           const std::vector<planned_reassignment>& plan) {
  auto md = fetch_metadata(self, b);
  if (!md)
    return fail(describe(md.error()));
  std::cout << "Status of partition reassignment:\n";
  int rc = 0;
  for (auto& m : plan) {
    auto p = md->find_partition(m.tp);
    auto name = to_string(m.tp);
    if (p == nullptr) {
      rc = fail("unknown_topic_or_partition: topic partition " + name + " does not exist");
    } else if (is_reassigning(*p)) {
      std::cout << "Reassignment of partition " << name << " is still in progress.\n";
    } else if (p->replicas == m.replicas) {
      std::cout << "Reassignment of partition " << name << " is completed.\n";
    } else {
      std::cout << "There is no active reassignment of partition " << name
                << ", but replica set is " << join(p->replicas) << " rather than "
                << join(m.replicas) << ".\n";
    }
  }
  return rc;
}

int list_moves(caf::scoped_actor& self, broker_actor& b) {
  auto md = fetch_metadata(self, b);
  if (!md)
    return fail(describe(md.error()));
  bool any = false;
  for (auto& t : md->topics)
    for (auto& p : t.partitions)
      if (is_reassigning(p)) {
        if (!any)
          std::cout << "Current partition reassignments:\n";
        any = true;
        std::cout << to_string(topic_partition{t.name, p.id}) << ": replicas: "
                  << join(p.replicas) << ". adding: " << join(p.adding_replicas)
                  << ". removing: " << join(p.removing_replicas) << ".\n";
      }
  if (!any)
    std::cout << "No partition reassignments found.\n";
  if (md->reassignment_throttle > 0)
    std::cout << "Throttle: " << md->reassignment_throttle << " B/s\n";
  return 0;
}

int reassign(const reassign_options& o) {
  if (o.execute + o.verify + o.cancel + o.list != 1)
    return fail("invalid_request: give exactly one of --execute, --verify, --cancel, --list");
  std::vector<planned_reassignment> plan;
  if (!o.list) {
    if (o.plan_file.empty())
      return fail("invalid_request: --reassignment-json-file is required");
    auto read = read_plan(o.plan_file);
    if (!read)
      return fail(describe(read.error()));
    plan = std::move(*read);
  }
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    if (o.list)
      return list_moves(self, b);
    if (o.verify)
      return verify(self, b, plan);
    if (o.cancel) {
      alter_reassignments_request req;
      req.throttle = o.throttle;
      for (auto& m : plan)
        req.partitions.push_back({m.tp, {}, true});
      return send_moves(self, b, std::move(req),
                        "Successfully cancelled partition reassignments for");
    }
    return execute(o, self, b, plan);
  });
}

// The partitions broker `id` still has a replica of (leaving ones included).
std::vector<topic_partition> hosted_by(const cluster_metadata& md, node_id id) {
  std::vector<topic_partition> out;
  for (auto& t : md.topics)
    for (auto& p : t.partitions)
      if (std::find(p.replicas.begin(), p.replicas.end(), id) != p.replicas.end())
        out.push_back({t.name, p.id});
  return out;
}

int decommission(const decommission_options& o) {
  auto timeout_ms = parse_duration_ms(o.timeout);
  if (timeout_ms < 0)
    return fail("invalid_request: --timeout: '" + o.timeout + "' is not a duration");
  node_id id{o.id};
  return with_bootstrap_broker(o.conn, [&](caf::scoped_actor& self, broker_actor& b) {
    int rc = 0;
    decommission_request req{id, o.cancel, o.throttle};
    self->request(b, admin_timeout, decommission_atom::value, req)
      .receive([](caf::ok_atom) {}, [&](caf::error& err) { rc = fail(describe(err)); });
    if (rc != 0)
      return rc;
    if (o.cancel) {
      std::cout << "Broker " << id << " takes new replicas again.\n";
      return 0;
    }
    std::cout << "Moving every replica off broker " << id << ".\n";
    if (o.no_wait)
      return 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms};
    for (;;) {
      auto md = fetch_metadata(self, b);
      if (!md)
        return fail(describe(md.error()));
      auto left = hosted_by(*md, id);
      if (left.empty()) {
        std::cout << "Broker " << id << " hosts no replica; it can be removed from the "
                     "cluster's config.\n";
        return 0;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        std::string names;
        for (auto& tp : left)
          names += (names.empty() ? "" : ",") + to_string(tp);
        return fail("request_timed_out: broker " + to_string(id)
                    + " still hosts replicas of " + names
                    + " (the moves go on; see partitions reassign --list)");
      }
      std::this_thread::sleep_for(poll_interval);
    }
  });
}

} // namespace

void add_partitions_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<reassign_options>();
  auto cmd = app.add_subcommand("partitions", "move partition replicas between brokers");
  cmd->require_subcommand(1);
  auto re = cmd->add_subcommand(
    "reassign", "start, check, cancel or list moves (kafka-reassign-partitions' JSON plan)");
  add_connection_options(*re, o->conn);
  re->add_option("--reassignment-json-file", o->plan_file,
                 "the plan: {\"version\":1,\"partitions\":[{\"topic\":...,\"partition\":...,"
                 "\"replicas\":[...]}]}");
  re->add_flag("--execute", o->execute, "start the plan's moves (prints the current "
                                        "assignment for a rollback)");
  re->add_flag("--verify", o->verify, "show whether the plan's moves completed");
  re->add_flag("--cancel", o->cancel, "cancel the plan's moves (back to the replicas before)");
  re->add_flag("--list", o->list, "list the moves in progress");
  re->add_option("--throttle", o->throttle,
                 "bytes per second each broker may fetch for the replicas it adds, while "
                 "moves run (0: no limit)")
    ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  re->callback([o, &run] { run = [o] { return reassign(*o); }; });
}

void add_brokers_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<decommission_options>();
  auto cmd = app.add_subcommand("brokers", "broker administration");
  cmd->require_subcommand(1);
  auto de = cmd->add_subcommand(
    "decommission", "move every replica off a broker and keep new ones off it");
  add_connection_options(*de, o->conn);
  de->add_option("--id", o->id, "the broker's node id")->required()->check(CLI::Range(0, 1 << 30));
  de->add_flag("--cancel", o->cancel, "take the broker back into placement");
  de->add_flag("--no-wait", o->no_wait, "start the moves and return");
  de->add_option("--throttle", o->throttle,
                 "bytes per second each broker may fetch for the replicas it adds (0: none)")
    ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  de->add_option("--timeout", o->timeout, "how long to wait for the moves (default 10m)");
  de->callback([o, &run] { run = [o] { return decommission(*o); }; });
}

} // namespace cafka::app
