// `cafka groups delete --group G` and `cafka groups reset-offsets --group G ...`, as
// kafka-consumer-groups --delete and --reset-offsets: the group's manager decides (it refuses
// both while the group has members, runtime/group/group_core_admin.cpp); this asks it and
// prints Kafka's lines. CLI thread.
#include <cstdio>
#include <iostream>
#include <map>

#include "app/cmd_groups_common.hpp"
#include "runtime/group/offset_reset.hpp"

namespace cafka::app {

namespace {

// The partitions --topic names ("t" or "t:0,2"), or every partition the group has offsets
// for with --all-topics.
caf::expected<std::vector<topic_partition>> reset_partitions(const groups_options& o,
                                                             const cluster_metadata& md,
                                                             const group_description& d) {
  std::vector<topic_partition> out;
  if (o.all_topics) {
    for (auto& po : d.offsets)
      out.push_back(po.tp);
    return out;
  }
  if (o.topics.empty())
    return make_error(errc::invalid_request, "one of --topic or --all-topics is required");
  for (auto& arg : o.topics) {
    auto colon = arg.find(':');
    auto name = arg.substr(0, colon);
    auto t = md.find_topic(name);
    if (t == nullptr)
      return make_error(errc::unknown_topic_or_partition,
                        "topic '" + name + "' does not exist");
    auto count = static_cast<int32_t>(t->partitions.size());
    if (colon == std::string::npos) {
      for (int32_t p = 0; p < count; ++p)
        out.push_back({name, partition_id{p}});
      continue;
    }
    auto rest = arg.substr(colon + 1);
    size_t pos = 0;
    while (pos <= rest.size()) {
      auto comma = rest.find(',', pos);
      auto item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      char* end = nullptr;
      auto p = std::strtol(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || p < 0 || p >= count)
        return make_error(errc::unknown_topic_or_partition,
                          "'" + arg + "': topic '" + name + "' has no partition '" + item
                            + "'");
      out.push_back({name, partition_id{static_cast<int32_t>(p)}});
      if (comma == std::string::npos)
        break;
      pos = comma + 1;
    }
  }
  return out;
}

caf::expected<int64_t> parse_int(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  auto v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0)
    return make_error(errc::invalid_request, flag + ": '" + text + "' is not a number");
  return static_cast<int64_t>(v);
}

caf::expected<group::reset_spec> reset_spec_of(const groups_options& o) {
  using group::reset_kind;
  if (o.to_earliest)
    return group::reset_spec{reset_kind::to_earliest, 0};
  if (o.to_latest)
    return group::reset_spec{reset_kind::to_latest, 0};
  if (!o.to_offset.empty()) {
    auto v = parse_int("--to-offset", o.to_offset);
    if (!v)
      return std::move(v.error());
    return group::reset_spec{reset_kind::to_offset, *v};
  }
  if (!o.shift_by.empty()) {
    auto v = parse_int("--shift-by", o.shift_by);
    if (!v)
      return std::move(v.error());
    return group::reset_spec{reset_kind::shift_by, *v};
  }
  if (!o.to_datetime.empty()) {
    auto ms = group::parse_iso8601_ms(o.to_datetime);
    if (!ms)
      return std::move(ms.error());
    return group::reset_spec{reset_kind::to_datetime, *ms};
  }
  return make_error(errc::invalid_request, "one of --to-earliest, --to-latest, --to-offset, "
                                           "--shift-by or --to-datetime is required");
}

// Where tp's log starts and ends (and, for a time, its first record at or after it), from
// the partition's leader.
caf::expected<group::partition_position>
position_of(caf::actor_system& sys, caf::scoped_actor& self, const cluster_metadata& md,
            std::map<node_id, broker_actor>& leaders, const topic_partition& tp,
            const group::reset_spec& spec) {
  auto pm = md.find_partition(tp);
  if (pm == nullptr || pm->leader == no_node)
    return make_error(errc::not_leader_for_partition, to_string(tp) + " has no leader");
  auto l = leaders.find(pm->leader);
  if (l == leaders.end()) {
    auto h = broker_of(sys, md, pm->leader);
    if (!h)
      return std::move(h.error());
    l = leaders.emplace(pm->leader, *h).first;
  }
  group::partition_position pos;
  auto ask_offset = [&](int64_t ts) {
    return ask<list_offsets_response>(self, l->second, list_offsets_atom::value,
                                      list_offsets_request{tp, ts});
  };
  auto start = ask_offset(earliest_timestamp);
  if (!start)
    return std::move(start.error());
  auto end = ask_offset(latest_timestamp);
  if (!end)
    return std::move(end.error());
  pos.log_start = start->offset;
  pos.log_end = end->offset;
  if (spec.kind == group::reset_kind::to_datetime) {
    auto at = ask_offset(spec.value);
    if (!at)
      return std::move(at.error());
    if (at->offset >= log_offset{0})
      pos.at_time = at->offset;
  }
  return pos;
}

} // namespace

int delete_group(const groups_options& o) {
  auto gc = groups_client::open(o.conn);
  if (!gc)
    return 1;
  auto& self = *gc->self;
  auto hdl = gc->coordinator(o.group);
  if (!hdl)
    return fail(describe(hdl.error()));
  group_admin_request q;
  q.op = static_cast<uint8_t>(group_admin_op::delete_group);
  q.group = o.group;
  auto r = ask<group_admin_response>(self, *hdl, group_admin_atom::value, q);
  if (!r) {
    switch (errc_of(r.error())) {
      case errc::non_empty_group:
        return fail(context_of(r.error()));
      case errc::group_id_not_found:
        return fail("Group '" + o.group + "' could not be deleted due to: The group id does "
                    "not exist.");
      default:
        return fail("Group '" + o.group + "' could not be deleted due to: "
                    + describe(r.error()));
    }
  }
  std::cout << "Deletion of requested consumer groups ('" << o.group << "') was successful.\n";
  return 0;
}

int reset_offsets(const groups_options& o) {
  auto spec = reset_spec_of(o);
  if (!spec)
    return fail(context_of(spec.error()));
  auto gc = groups_client::open(o.conn);
  if (!gc)
    return 1;
  auto& cs = gc->cs;
  auto& self = *gc->self;
  auto md = &gc->md;
  auto hdl = gc->coordinator(o.group);
  if (!hdl)
    return fail(describe(hdl.error()));
  group_description d;
  d.group = o.group;
  d.state = "Dead";
  if (auto got = ask<group_description>(self, *hdl, describe_group_atom::value, o.group))
    d = std::move(*got);
  else if (errc_of(got.error()) != errc::group_id_not_found)
    return fail(describe(got.error()));
  // Kafka's tool checks first; the group's manager checks again when the commit comes, so a
  // member that joins in between is refused the same way.
  if (!d.members.empty())
    return fail("Assignments can only be reset if the group '" + o.group
                + "' is inactive, but the current state is " + d.state + ".");
  auto tps = reset_partitions(o, *md, d);
  if (!tps)
    return fail(context_of(tps.error()));
  std::map<topic_partition, log_offset> committed;
  for (auto& po : d.offsets)
    committed[po.tp] = po.offset;
  std::map<node_id, broker_actor> leaders;
  std::vector<partition_offset> targets;
  for (auto& tp : *tps) {
    auto pos = position_of(cs->sys(), self, *md, leaders, tp, *spec);
    if (!pos)
      return fail(to_string(tp) + ": " + describe(pos.error()));
    if (auto c = committed.find(tp); c != committed.end())
      pos->committed = c->second;
    targets.push_back({tp, group::reset_target(*spec, *pos)});
  }
  std::printf("\n%-30s %-30s %-10s %s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
  for (auto& t : targets)
    std::printf("%-30s %-30s %-10s %s\n", o.group.c_str(), t.tp.topic.c_str(),
                to_string(t.tp.partition).c_str(), to_string(t.offset).c_str());
  if (!o.execute)
    return 0;
  group_admin_request q;
  q.op = static_cast<uint8_t>(group_admin_op::reset_offsets);
  q.group = o.group;
  q.offsets = std::move(targets);
  auto r = ask<group_admin_response>(self, *hdl, group_admin_atom::value, q);
  if (!r)
    return fail(errc_of(r.error()) == errc::non_empty_group ? context_of(r.error())
                                                            : describe(r.error()));
  return 0;
}

} // namespace cafka::app
