// `cafka consume --topic T [--group G [--group-instance-id I] [--assignor A]]
// [--from-beginning] [--partition P --offset O] [--max-messages N] [--print-key]
// [--timeout-ms MS]`: prints record values (and keys) to stdout as they come. With --group it
// is a member of the group and commits what it printed (every second, when the group takes a
// partition away, and at the end, also after Ctrl-C); without, it reads every partition itself
// and commits nothing.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>

#include "cafka/consumer.hpp"
#include "app/app_common.hpp"
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

// SIGINT/SIGTERM end the loop: the command then prints what it has, commits, leaves the
// group and prints the total. A second signal ends the process the default way.
volatile std::sig_atomic_t stop_signal = 0;

void on_stop_signal(int sig) {
  stop_signal = sig;
}

void handle_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed pipe (`| head -1`) shows as a failed write, not as a signal that skips the end.
  std::signal(SIGPIPE, SIG_IGN);
}

// What the command printed of each partition: after a stop at --max-messages the last poll
// returned records it did not print, so the final commit names exactly these positions.
class printed_positions {
public:
  void printed(const topic_partition& tp, log_offset next) { printed_[tp] = next; }

  std::vector<partition_offset> offsets() const {
    std::vector<partition_offset> out;
    for (auto& [tp, next] : printed_)
      out.push_back({tp, next});
    return out;
  }

  void forget(const std::vector<topic_partition>& tps) {
    for (auto& tp : tps)
      printed_.erase(tp);
  }

private:
  std::map<topic_partition, log_offset> printed_;
};

// Prints one record as a line.
void print_record(const consume_options& o, const topic_partition& tp, const record& r) {
  if (o.print_offset)
    std::cout << tp.partition << ':' << r.offset << '\t';
  if (o.print_key)
    std::cout << (r.has_key ? r.key : std::string{"null"}) << '\t';
  std::cout << (r.has_value ? r.value : std::string{"null"}) << '\n';
}

// Moves the assigned partitions to where --offset, --from-beginning or neither (the end)
// says the output starts.
caf::error seek_start(consumer& cons, const std::vector<topic_partition>& tps,
                      const consume_options& o) {
  if (o.from_beginning && o.offset < 0)
    return cons.seek_to_beginning(tps);
  if (o.offset < 0)
    return cons.seek_to_end(tps);
  for (auto& tp : tps)
    if (auto err = cons.seek(tp, log_offset{o.offset}))
      return err;
  return {};
}

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
  cc.bootstrap = *hp;
  cc.auto_offset_reset = o.from_beginning ? offset_reset::earliest : offset_reset::latest;
  cc.group_id = o.group;
  cc.group_instance_id = o.instance_id;
  cc.group_remote_assignor = o.assignor;
  // The command commits what it printed itself (every second, when the group takes a
  // partition away, and at the end): auto commit
  // would also count records a poll returned beyond --max-messages.
  cc.enable_auto_commit = false;
  if (auto err = validate(cc))
    return fail(describe(err));
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  consumer cons{cs->sys(), cc};
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
  if (auto err = seek_start(cons, tps, o))
    return fail(describe(err));
  return print_records(cons, o);
}

int print_records(consumer& cons, const consume_options& o) {
  handle_stop_signals();
  std::ios::sync_with_stdio(false);
  bool group = !o.group.empty();
  int64_t count = 0;
  auto last = std::chrono::steady_clock::now();
  auto last_commit = last;
  printed_positions positions;
  // Until a stop at --max-messages, every record a poll returned is printed before the next
  // poll, so the consumer's processed positions are what was printed (and, for a partition
  // nothing was read from yet, its reset position, as Kafka commits it).
  // A partition the group takes away is committed before the group moves it, so that its
  // next owner starts after what this member printed.
  auto capped = [&] { return o.max_messages >= 0 && count >= o.max_messages; };
  cons.on_rebalance({}, [&](const partitions_revoked& r) {
    // After --max-messages (a revocation held until close()), the final commit below has
    // already stored exactly what was printed.
    if (!r.lost && !capped())
      if (auto err = cons.commit_sync())
        std::cerr << "cafka: committing revoked partitions: " << describe(err) << '\n';
    positions.forget(r.tps);
  });
  cons.on_error([](const consumer_error& ev) { std::cerr << "cafka: " << describe(ev.error) << '\n'; });
  bool closed_pipe = false;
  while (!capped() && stop_signal == 0 && !closed_pipe) {
    auto batches = cons.poll(std::chrono::milliseconds{100});
    auto now = std::chrono::steady_clock::now();
    if (cons.failure())
      break;
    if (!batches.empty())
      last = now;
    else if (o.timeout_ms >= 0 && now - last >= std::chrono::milliseconds{o.timeout_ms})
      break;
    for (auto& b : batches)
      for (auto& r : b.records) {
        if (capped())
          break;
        print_record(o, b.tp, r);
        ++count;
        positions.printed(b.tp, r.offset + 1);
      }
    // Every poll's records reach the terminal or pipe at once.
    if (!batches.empty() && !std::cout.flush())
      closed_pipe = true;
    // On an interval, whether or not records came; a failed commit is retried next time.
    if (group && !capped() && now - last_commit >= std::chrono::seconds{1}) {
      cons.commit_sync();
      last_commit = now;
    }
  }
  std::cout.flush();
  std::cerr << "Processed a total of " << count << " messages\n";
  if (cons.failure())
    return fail(describe(cons.failure()));
  if (group) {
    caf::error err;
    if (!capped())
      err = cons.commit_sync();
    else if (auto printed = positions.offsets(); !printed.empty())
      err = cons.commit_sync(std::move(printed));  // an empty list would mean "processed"
    if (err)
      return fail("committing offsets: " + describe(err));
  }
  cons.close();  // a group member leaves its group: its partitions move at once
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
