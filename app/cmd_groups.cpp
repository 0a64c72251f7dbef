// `cafka groups list | describe --group G`: consumer groups as their coordinators see them;
// describe adds each partition's log end and the group's lag, Kafka style.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

constexpr auto group_timeout = std::chrono::seconds{10};
// Retriable answers while the coordinator is found, created or loaded.
constexpr auto retry_for = std::chrono::seconds{15};

struct groups_options {
  connection_options conn;
  std::string group;
};

bool retriable(const caf::error& err) {
  auto c = errc_of(err);
  return c == errc::coordinator_not_available || c == errc::not_coordinator
         || c == errc::coordinator_load_in_progress || c == errc::broker_not_available;
}

// Asks `b` and returns the reply or the error, retrying retriable errors for a while.
template <class Result, class... Ts>
caf::expected<Result> ask(caf::scoped_actor& self, const broker_actor& b, Ts... xs) {
  auto deadline = std::chrono::steady_clock::now() + retry_for;
  for (;;) {
    caf::expected<Result> out{caf::error{}};
    self->request(b, group_timeout, xs...)
      .receive([&](Result& r) { out = std::move(r); },
               [&](caf::error& err) { out = std::move(err); });
    if (out || !retriable(out.error()) || std::chrono::steady_clock::now() > deadline)
      return out;
    std::this_thread::sleep_for(std::chrono::milliseconds{200}); // CLI thread, not an actor
  }
}

caf::expected<broker_actor> broker_of(caf::actor_system& sys, const cluster_metadata& md,
                                      node_id id) {
  auto b = md.find_broker(id);
  if (b == nullptr)
    return make_error(errc::broker_not_available,
                      "broker " + to_string(id) + " is not in the metadata");
  return connect_broker(sys, b->host, b->port, group_timeout);
}

int list(const groups_options& o) {
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  auto boot = connect_bootstrap(cs->sys(), o.conn);
  if (!boot)
    return 1;
  caf::scoped_actor self{cs->sys()};
  auto md = ask<cluster_metadata>(self, *boot, metadata_atom::value, metadata_request{});
  if (!md)
    return fail(describe(md.error()));
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

int describe_group(const groups_options& o) {
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  auto boot = connect_bootstrap(cs->sys(), o.conn);
  if (!boot)
    return 1;
  caf::scoped_actor self{cs->sys()};
  auto md = ask<cluster_metadata>(self, *boot, metadata_atom::value, metadata_request{});
  if (!md)
    return fail(describe(md.error()));
  auto coord = ask<node_id>(self, *boot, find_coordinator_atom::value, o.group);
  if (!coord)
    return fail(describe(coord.error()));
  auto hdl = broker_of(cs->sys(), *md, *coord);
  if (!hdl)
    return fail(describe(hdl.error()));
  auto d = ask<group_description>(self, *hdl, describe_group_atom::value, o.group);
  if (!d)
    return fail(describe(d.error()));
  // Rows: every partition with a committed offset or an owner.
  std::map<topic_partition, std::pair<log_offset, std::string>> rows;  // committed, owner
  for (auto& po : d->offsets)
    rows[po.tp].first = po.offset;
  for (auto& m : d->members)
    for (auto& tp : m.owned) {
      auto i = rows.emplace(tp, std::make_pair(no_offset, std::string{})).first;
      i->second.second = m.member_id;
    }
  std::printf("Consumer group '%s': state %s, group epoch %s, assignor %s, coordinator %s, "
              "%zu member(s)\n\n",
              d->group.c_str(), d->state.c_str(), to_string(d->group_epoch).c_str(),
              d->assignor.c_str(), to_string(d->coordinator).c_str(), d->members.size());
  std::printf("%-20s %-20s %-10s %-15s %-15s %-10s %s\n", "GROUP", "TOPIC", "PARTITION",
              "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID");
  std::map<node_id, broker_actor> leaders;
  std::vector<std::string> past_end;  // committed offsets beyond the log end
  for (auto& [tp, row] : rows) {
    std::string end = "-", lag = "-";
    auto pm = md->find_partition(tp);
    if (pm != nullptr && pm->leader != no_node) {
      auto l = leaders.find(pm->leader);
      if (l == leaders.end()) {
        auto h = broker_of(cs->sys(), *md, pm->leader);
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
    std::printf("%-20s %-20s %-10s %-15s %-15s %-10s %s\n", d->group.c_str(),
                tp.topic.c_str(), to_string(tp.partition).c_str(),
                row.first >= log_offset{0} ? to_string(row.first).c_str() : "-", end.c_str(),
                lag.c_str(), row.second.empty() ? "-" : row.second.c_str());
  }
  for (auto& p : past_end)
    std::printf("\nThe committed offset of %s is past the log end: the partition's next "
                "consumer starts where auto.offset.reset says.\n",
                p.c_str());
  if (!d->members.empty()) {
    // KIND: "actor", or "classic:<protocol>" for a Kafka client (JoinGroup) member.
    std::printf("\n%-32s %-16s %-8s %-10s %-28s %s\n", "MEMBER-ID", "INSTANCE-ID", "EPOCH",
                "#PARTS", "KIND", "TOPICS");
    for (auto& m : d->members) {
      auto kind = m.protocol.empty() ? std::string{"actor"} : "classic:" + m.protocol;
      std::printf("%-32s %-16s %-8s %-10zu %-28s %s\n", m.member_id.c_str(),
                  m.instance_id.empty() ? "-" : m.instance_id.c_str(),
                  to_string(m.member_epoch).c_str(),
                  m.owned.size(), kind.c_str(), join(m.topics).c_str());
    }
  }
  return 0;
}

} // namespace

void add_groups_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<groups_options>();
  auto cmd = app.add_subcommand("groups", "list or describe consumer groups");
  cmd->require_subcommand(1);
  auto ls = cmd->add_subcommand("list", "every consumer group of the cluster");
  add_connection_options(*ls, o->conn);
  ls->callback([o, &run] { run = [o] { return list(*o); }; });
  auto desc = cmd->add_subcommand("describe", "members, committed offsets, log end and lag");
  add_connection_options(*desc, o->conn);
  desc->add_option("--group", o->group, "the group")->required();
  desc->callback([o, &run] { run = [o] { return describe_group(*o); }; });
}

} // namespace cafka::app
