// `cafka groups list | describe --group G [--members [--verbose] | --state] [--watch]`:
// consumer groups as their coordinators see them; describe adds each partition's log end and
// the group's lag, Kafka style, once or every second (delete and reset-offsets:
// cmd_groups_admin.cpp).
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "app/cmd_groups_common.hpp"
#include "cafka/admin.hpp"

namespace cafka::app {

caf::expected<broker_actor> broker_of(caf::actor_system& sys, const cluster_metadata& md,
                                      node_id id) {
  auto b = md.find_broker(id);
  if (b == nullptr)
    return make_error(errc::broker_not_available,
                      "broker " + to_string(id) + " is not in the metadata");
  return connect_broker(sys, b->host, b->port, group_timeout);
}

std::unique_ptr<groups_client> groups_client::open_system(const connection_options& conn) {
  auto out = std::make_unique<groups_client>();
  out->cs = open_client_system(conn.config);
  if (!out->cs)
    return nullptr;
  auto list = resolve_bootstrap(conn);
  if (!list)
    return nullptr;
  out->bootstrap = std::move(*list);
  out->self = std::make_unique<caf::scoped_actor>(out->cs->sys());
  return out;
}

std::unique_ptr<groups_client> groups_client::open(const connection_options& conn) {
  auto out = open_system(conn);
  if (!out)
    return nullptr;
  if (auto err = out->refresh()) {
    fail(describe(err));
    return nullptr;
  }
  return out;
}

caf::error groups_client::refresh() {
  if (!boot) {
    auto b = connect_bootstrap_broker(cs->sys(), bootstrap, std::chrono::seconds{10});
    if (!b)
      return std::move(b.error());
    boot = std::move(*b);
  }
  auto m = ask<cluster_metadata>(*self, boot, metadata_atom::value, metadata_request{});
  if (!m) {
    boot = broker_actor{};
    return std::move(m.error());
  }
  md = std::move(*m);
  return {};
}

caf::expected<broker_actor> groups_client::coordinator(const std::string& group) {
  auto coord = ask<node_id>(*self, boot, find_coordinator_atom::value, group);
  if (!coord)
    return std::move(coord.error());
  return broker_of(cs->sys(), md, *coord);
}

namespace {

int list(const groups_options& o) {
  auto gc = groups_client::open(o.conn);
  if (!gc)
    return 1;
  auto& cs = gc->cs;
  auto& self = *gc->self;
  auto md = &gc->md;
  // Every broker runs the groups of the offsets partitions it leads (Kafka's ListGroups).
  std::set<std::string> names;
  for (auto& b : md->brokers) {
    if (!b.alive)
      continue;
    auto hdl = broker_of(cs->sys(), *md, b.id);
    if (!hdl)
      return fail(describe(hdl.error()));
    auto r = ask<std::vector<std::string>>(self, *hdl, list_groups_atom::value);
    if (!r)
      return fail("broker " + to_string(b.id) + ": " + describe(r.error()));
    names.insert(r->begin(), r->end());
  }
  for (auto& n : names)
    std::cout << n << '\n';
  return 0;
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ",") + x;
  return out;
}

// printf into `out`.
[[gnu::format(printf, 2, 3)]] void appendf(std::string& out, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list again;
  va_copy(again, args);
  auto n = std::vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  if (n > 0) {
    auto at = out.size();
    out.resize(at + static_cast<size_t>(n) + 1);
    std::vsnprintf(out.data() + at, static_cast<size_t>(n) + 1, fmt, again);
    out.resize(at + static_cast<size_t>(n));
  }
  va_end(again);
}

// kafka-consumer-groups --describe --state.
void render_state(const group_description& d, const cluster_metadata& md, std::string& out) {
  std::string coord = "-";
  if (auto b = md.find_broker(d.coordinator))
    coord = b->host + ":" + std::to_string(b->port) + " (" + to_string(d.coordinator) + ")";
  appendf(out, "%-20s %-25s %-20s %-15s %s\n", "GROUP", "COORDINATOR (ID)",
          "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
  appendf(out, "%-20s %-25s %-20s %-15s %zu\n", d.group.c_str(), coord.c_str(),
          d.assignor.c_str(), d.state.c_str(), d.members.size());
}

// kafka-consumer-groups --describe --members [--verbose]: one line per member; an actor
// member's CLIENT-ID is the node its actor runs on.
void render_members(const group_description& d, bool verbose, std::string& out) {
  if (d.members.empty()) {
    appendf(out, "Consumer group '%s' has no active members.\n", d.group.c_str());
    return;
  }
  appendf(out, "%-20s %-40s %-16s %-24s %-12s%s\n", "GROUP", "CONSUMER-ID", "HOST",
          "CLIENT-ID", "#PARTITIONS", verbose ? " ASSIGNMENT" : "");
  for (auto& m : d.members) {
    auto& tps = m.protocol.empty() ? m.owned : m.assigned;
    std::string assignment;
    if (verbose) {
      std::map<std::string, std::vector<int32_t>> by_topic;
      for (auto& tp : tps)
        by_topic[tp.topic].push_back(tp.partition.value);
      for (auto& [topic, ps] : by_topic) {
        assignment += (assignment.empty() ? "" : ",") + topic + "(";
        for (size_t i = 0; i < ps.size(); ++i)
          assignment += (i == 0 ? "" : ",") + std::to_string(ps[i]);
        assignment += ")";
      }
      if (assignment.empty())
        assignment = "-";
    }
    appendf(out, "%-20s %-40s %-16s %-24s %-12zu%s%s\n", d.group.c_str(),
            m.member_id.c_str(), m.client_host.empty() ? "-" : m.client_host.c_str(),
            m.client.empty() ? "-" : m.client.c_str(), tps.size(), verbose ? " " : "",
            assignment.c_str());
  }
}

// The plain describe: the group line, a row per partition with a committed offset or an
// owner (with its log end from the partition's leader, and the lag), then the members.
void render_offsets(groups_client& gc, const group_description& d, std::string& out) {
  auto& self = *gc.self;
  auto md = &gc.md;
  std::map<topic_partition, std::pair<log_offset, std::string>> rows;  // committed, owner
  for (auto& po : d.offsets)
    rows[po.tp].first = po.offset;
  for (auto& m : d.members)
    for (auto& tp : m.owned) {
      auto i = rows.emplace(tp, std::make_pair(no_offset, std::string{})).first;
      i->second.second = m.member_id;
    }
  appendf(out,
          "Consumer group '%s': state %s, group epoch %s, assignor %s, coordinator %s, "
          "%zu member(s)\n\n",
          d.group.c_str(), d.state.c_str(), to_string(d.group_epoch).c_str(),
          d.assignor.c_str(), to_string(d.coordinator).c_str(), d.members.size());
  appendf(out, "%-20s %-20s %-10s %-15s %-15s %-10s %s\n", "GROUP", "TOPIC", "PARTITION",
          "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID");
  std::map<node_id, broker_actor> leaders;
  std::vector<std::string> past_end;  // committed offsets beyond the log end
  for (auto& [tp, row] : rows) {
    std::string end = "-", lag = "-";
    auto pm = md->find_partition(tp);
    if (pm != nullptr && pm->leader != no_node) {
      auto l = leaders.find(pm->leader);
      if (l == leaders.end()) {
        auto h = broker_of(gc.cs->sys(), *md, pm->leader);
        if (h)
          l = leaders.emplace(pm->leader, *h).first;
      }
      if (l != leaders.end()) {
        auto r = ask<list_offsets_response>(self, l->second, list_offsets_atom::value,
                                            list_offsets_request{tp, latest_timestamp});
        if (r) {
          end = to_string(r->offset);
          // Never negative; an offset past the end is named below the table instead.
          if (row.first >= log_offset{0})
            lag = std::to_string(std::max<int64_t>(0, r->offset - row.first));
          if (row.first > r->offset)
            past_end.push_back(to_string(tp) + " (committed " + to_string(row.first)
                               + ", log end " + end + ")");
        }
      }
    }
    appendf(out, "%-20s %-20s %-10s %-15s %-15s %-10s %s\n", d.group.c_str(),
            tp.topic.c_str(), to_string(tp.partition).c_str(),
            row.first >= log_offset{0} ? to_string(row.first).c_str() : "-", end.c_str(),
            lag.c_str(), row.second.empty() ? "-" : row.second.c_str());
  }
  for (auto& p : past_end)
    appendf(out,
            "\nThe committed offset of %s is past the log end: the partition's next "
            "consumer starts where auto.offset.reset says.\n",
            p.c_str());
  if (!d.members.empty()) {
    // KIND: "actor", or "classic:<protocol>" for a Kafka client (JoinGroup) member.
    appendf(out, "\n%-32s %-16s %-8s %-10s %-28s %s\n", "MEMBER-ID", "INSTANCE-ID", "EPOCH",
            "#PARTS", "KIND", "TOPICS");
    for (auto& m : d.members) {
      auto kind = m.protocol.empty() ? std::string{"actor"} : "classic:" + m.protocol;
      appendf(out, "%-32s %-16s %-8s %-10zu %-28s %s\n", m.member_id.c_str(),
              m.instance_id.empty() ? "-" : m.instance_id.c_str(),
              to_string(m.member_epoch).c_str(), m.owned.size(), kind.c_str(),
              join(m.topics).c_str());
    }
  }
}

// What `groups describe` prints for o.group (plain, --state or --members) into `out`, with
// the metadata gc has; the error of the coordinator lookup or of DescribeGroup (nothing
// rendered then).
caf::error render_describe(groups_client& gc, const groups_options& o, std::string& out) {
  auto hdl = gc.coordinator(o.group);
  if (!hdl)
    return std::move(hdl.error());
  auto d = ask<group_description>(*gc.self, *hdl, describe_group_atom::value, o.group);
  if (!d)
    return std::move(d.error());
  if (o.state)
    render_state(*d, gc.md, out);
  else if (o.members)
    render_members(*d, o.verbose, out);
  else
    render_offsets(gc, *d, out);
  return {};
}

// The command as a watched frame's header names it.
std::string describe_title(const groups_options& o) {
  return "cafka groups describe --group " + o.group + (o.state ? " --state" : "")
         + (o.members ? " --members" : "") + (o.verbose ? " --verbose" : "");
}

int describe_group(const groups_options& o) {
  if (o.watch.watch) {
    // Before the actor system: its threads inherit the blocked stop signals.
    watch_loop watch{describe_title(o), std::chrono::milliseconds{o.watch.interval_ms}};
    // One client for every frame; it reconnects only after its bootstrap broker failed.
    auto gc = groups_client::open_system(o.conn);
    if (!gc)
      return 1;
    return watch.run([&] {
      std::string out;
      auto err = gc->refresh();
      if (!err)
        err = render_describe(*gc, o, out);
      if (!err)
        return out;
      std::ostringstream failed;
      fail(failed, describe(err));
      return failed.str();
    });
  }
  auto gc = groups_client::open(o.conn);
  if (!gc)
    return 1;
  std::string out;
  if (auto err = render_describe(*gc, o, out))
    return fail(describe(err));
  std::cout << out << std::flush;
  return 0;
}

} // namespace

void add_groups_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<groups_options>();
  auto cmd = app.add_subcommand("groups", "list, describe, delete or reset consumer groups");
  cmd->require_subcommand(1);
  auto ls = cmd->add_subcommand("list", "every consumer group of the cluster");
  add_connection_options(*ls, o->conn);
  ls->callback([o, &run] { run = [o] { return list(*o); }; });
  auto desc = cmd->add_subcommand("describe", "members, committed offsets, log end and lag");
  add_connection_options(*desc, o->conn);
  desc->add_option("--group", o->group, "the group")->required();
  auto members = desc->add_flag("--members", o->members,
                                "one line per member: CONSUMER-ID HOST CLIENT-ID #PARTITIONS");
  auto state = desc->add_flag("--state", o->state,
                              "the group: COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS");
  state->excludes(members);
  desc->add_flag("--verbose", o->verbose, "with --members: each member's ASSIGNMENT")
    ->needs(members);
  add_watch_options(*desc, o->watch);
  desc->callback([o, &run] { run = [o] { return describe_group(*o); }; });
  auto del = cmd->add_subcommand("delete", "delete a group without members, with its offsets");
  add_connection_options(*del, o->conn);
  del->add_option("--group", o->group, "the group")->required();
  del->callback([o, &run] { run = [o] { return delete_group(*o); }; });
  auto reset = cmd->add_subcommand(
    "reset-offsets", "move a group's committed offsets while it has no members (dry run "
                     "unless --execute)");
  add_connection_options(*reset, o->conn);
  reset->add_option("--group", o->group, "the group")->required();
  auto topic = reset->add_option("--topic", o->topics,
                                 "a topic, or topic:0,1 for some of its partitions");
  auto all = reset->add_flag("--all-topics", o->all_topics,
                             "every topic the group has committed offsets for");
  topic->excludes(all);
  auto earliest = reset->add_flag("--to-earliest", o->to_earliest, "to the log start");
  auto latest = reset->add_flag("--to-latest", o->to_latest, "to the log end");
  auto to_offset = reset->add_option("--to-offset", o->to_offset, "to this offset");
  auto shift = reset->add_option("--shift-by", o->shift_by,
                                 "by this many records from the committed offset (+/-)");
  auto when = reset->add_option("--to-datetime", o->to_datetime,
                                "to the first record at or after YYYY-MM-DDTHH:MM:SS[.sss]"
                                "[Z|+HH:MM] (UTC without a zone)");
  std::vector<CLI::Option*> scenarios{earliest, latest, to_offset, shift, when};
  for (auto a : scenarios)
    for (auto b : scenarios)
      if (a != b)
        a->excludes(b);
  reset->add_flag("--execute", o->execute, "commit the new offsets (else only print them)");
  reset->callback([o, &run] { run = [o] { return reset_offsets(*o); }; });
}

} // namespace cafka::app
