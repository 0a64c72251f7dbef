// `cafka consume --topic T [--group G [--group-instance-id I] [--assignor A]]
// [--from-beginning] [--partition P --offset O] [--max-messages N] [--print-key]
// [--timeout-ms MS]`: prints record values (and keys) to stdout. With --group it is a member
// of the group (auto commit; commits and leaves at the end); without, it reads every
// partition itself and commits nothing, like a group of its own.
#include <chrono>
#include <iostream>
#include <map>

#include "actors/client/consumer.hpp"
#include "runtime/app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

struct consume_options {
  connection_options conn;
  std::string topic;
  bool from_beginning = false;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t max_messages = -1;
  bool print_key = false;
  bool print_offset = false;
  int64_t timeout_ms = -1;
  std::string group;
  std::string instance_id;
  std::string assignor;
};

int print_records(consumer& cons, const consume_options& o);

int run_consume(const consume_options& o) {
  if (o.offset >= 0 && o.partition < 0)
    return fail("--offset needs --partition");
  if (!o.group.empty() && o.partition >= 0)
    return fail("--group and --partition exclude each other: the group assigns partitions");
  if (o.group.empty() && (!o.instance_id.empty() || !o.assignor.empty()))
    return fail("--group-instance-id and --assignor need --group");
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  consumer_config cc;
  cc.bootstrap = hp->first + ":" + std::to_string(hp->second);
  cc.auto_offset_reset = o.from_beginning ? offset_reset::earliest : offset_reset::latest;
  cc.group_id = o.group;
  cc.group_instance_id = o.instance_id;
  cc.group_remote_assignor = o.assignor;
  // The command commits what it printed itself (every second and at the end): auto commit
  // would also count records a poll returned beyond --max-messages.
  cc.enable_auto_commit = false;
  if (auto err = validate(cc))
    return fail(describe(err));
  client_system cs{o.conn.config};
  consumer cons{cs.sys(), cc};
  auto n = cons.partitions_for(o.topic);
  if (!n)
    return fail(describe(n.error()));
  if (!o.group.empty()) {
    cons.subscribe({o.topic});
    return print_records(cons, o);
  }
  std::vector<topic_partition> tps;
  if (o.partition >= 0) {
    if (o.partition >= *n)
      return fail("partition " + std::to_string(o.partition) + " of topic '" + o.topic
                  + "' does not exist (it has " + std::to_string(*n) + ")");
    tps.push_back({o.topic, partition_id{o.partition}});
  } else {
    for (int32_t p = 0; p < *n; ++p)
      tps.push_back({o.topic, partition_id{p}});
  }
  cons.assign(tps);
  int64_t start = o.offset >= 0 ? o.offset
                                : (o.from_beginning ? earliest_timestamp : latest_timestamp);
  for (auto& tp : tps)
    if (auto err = cons.seek(tp, start))
      return fail(describe(err));
  return print_records(cons, o);
}

int print_records(consumer& cons, const consume_options& o) {
  std::ios::sync_with_stdio(false);
  int64_t count = 0;
  auto last = std::chrono::steady_clock::now();
  std::map<topic_partition, int64_t> printed;  // next offset after what was printed
  auto last_commit = last;
  // A partition taken away is no longer this member's to commit.
  cons.on_rebalance({}, [&](const partitions_revoked& r) {
    for (auto& tp : r.tps)
      printed.erase(tp);
  });
  auto to_commit = [&] {
    std::vector<partition_offset> out;
    for (auto& [tp, next] : printed)
      out.push_back({tp, next});
    return out;
  };
  while (o.max_messages < 0 || count < o.max_messages) {
    auto batches = cons.poll(std::chrono::milliseconds{100});
    auto now = std::chrono::steady_clock::now();
    if (cons.failure())
      break;
    if (batches.empty()) {
      if (o.timeout_ms >= 0 && now - last >= std::chrono::milliseconds{o.timeout_ms})
        break;
      continue;
    }
    last = now;
    for (auto& b : batches)
      for (auto& r : b.records) {
        if (o.max_messages >= 0 && count >= o.max_messages)
          break;
        if (o.print_offset)
          std::cout << b.tp.partition.value << ':' << r.offset.value << '\t';
        if (o.print_key)
          std::cout << (r.has_key ? r.key : std::string{"null"}) << '\t';
        std::cout << (r.has_value ? r.value : std::string{"null"}) << '\n';
        ++count;
        printed[b.tp] = r.offset.value + 1;
      }
    if (!o.group.empty() && now - last_commit >= std::chrono::seconds{1}) {
      std::cout.flush();
      cons.commit_async(to_commit());
      last_commit = now;
    }
  }
  std::cout.flush();
  std::cerr << "Processed a total of " << count << " messages\n";
  if (cons.failure())
    return fail(describe(cons.failure()));
  if (!o.group.empty() && !printed.empty()) {
    if (auto err = cons.commit_sync(to_commit()))
      return fail("committing offsets: " + describe(err));
  }
  return 0;
}

} // namespace

void add_consume_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<consume_options>();
  auto cmd = app.add_subcommand("consume", "print the records of a topic");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("--topic", o->topic, "topic to read")->required();
  cmd->add_flag("--from-beginning", o->from_beginning, "start at the earliest offset");
  cmd->add_option("--partition", o->partition, "read only this partition")
    ->check(non_negative);
  cmd->add_option("--offset", o->offset, "start offset (with --partition)")
    ->check(non_negative);
  cmd->add_option("--max-messages", o->max_messages, "stop after N records")
    ->check(non_negative);
  cmd->add_flag("--print-key", o->print_key, "print key<TAB>value");
  cmd->add_flag("--print-offset", o->print_offset, "print partition:offset<TAB> first");
  cmd->add_option("--timeout-ms", o->timeout_ms, "stop after MS without records")
    ->check(non_negative);
  cmd->add_option("--group", o->group, "read as a member of this consumer group");
  cmd->add_option("--group-instance-id", o->instance_id,
                  "static membership: a restart within the session keeps the partitions");
  cmd->add_option("--assignor", o->assignor,
                  "the group's partition assignor: range, roundrobin, sticky, "
                  "cooperative-sticky (default)");
  cmd->callback([o, &run] { run = [o] { return run_consume(*o); }; });
}

} // namespace cafka::app
