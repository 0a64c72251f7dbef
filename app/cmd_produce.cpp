// `cafka produce --topic T [--key-separator S] [--acks 0|1|all] [--idempotence]
// [--compression-type none|gzip|snappy|lz4|zstd]`: one record per stdin line.
#include <atomic>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>

#include "cafka/producer.hpp"
#include "app/app_common.hpp"
#include "runtime/base/errc.hpp"

namespace cafka::app {

namespace {

struct produce_options {
  connection_options conn;
  std::string topic;
  std::string key_separator;
  std::string acks = "1";
  bool acks_given = false;
  bool idempotence = false;
  int64_t linger_ms = 5;
  std::string compression_type = "none";
  int32_t partition = -1;               // -1: the partitioner chooses
  int32_t retries = 3;                  // kafka-console-producer's message-send-max-retries
  int64_t delivery_timeout_ms = 120000;
};

int run_produce(const produce_options& o) {
  auto hp = resolve_bootstrap(o.conn);
  if (!hp)
    return 1;
  producer_config pc;
  pc.bootstrap = *hp;
  if (o.acks == "all" || o.acks == "-1")
    pc.acks = -1;
  else if (o.acks == "0" || o.acks == "1")
    pc.acks = static_cast<int16_t>(std::stoi(o.acks));
  else
    return fail("--acks must be 0, 1 or all, got '" + o.acks + "'");
  if (o.idempotence) {
    if (o.acks_given && pc.acks != -1)
      return fail("--idempotence requires --acks all, got --acks " + o.acks);
    pc.acks = -1;
    pc.enable_idempotence = true;
  }
  pc.linger_ms = o.linger_ms;
  pc.compression_type = *parse_compression_type(o.compression_type); // checked by CLI11
  pc.retries = o.retries;
  pc.delivery_timeout_ms = o.delivery_timeout_ms;
  if (auto err = validate(pc))
    return fail(describe(err));
  auto cs = open_client_system(o.conn.config);
  if (!cs)
    return 1;
  std::atomic<size_t> failed{0};
  std::mutex first_error_mtx;
  std::string first_error;
  size_t sent = 0;
  {
    producer prod{cs->sys(), pc};
    auto n = prod.partitions_for(o.topic);
    if (!n)
      return fail(describe(n.error()));
    if (o.partition >= *n)
      return fail("partition " + std::to_string(o.partition) + " of topic '" + o.topic
                  + "' does not exist (it has " + std::to_string(*n) + ")");
    auto on_report = [&](const delivery_report& rep) {
      if (rep.error) {
        if (failed++ == 0) {
          std::lock_guard<std::mutex> guard{first_error_mtx};
          first_error = describe(rep.error);
        }
      }
    };
    std::optional<partition_id> partition;
    if (o.partition >= 0)
      partition = partition_id{o.partition};
    std::string line;
    while (std::getline(std::cin, line)) {
      producer_record r;
      r.topic = o.topic;
      r.partition = partition;
      if (!o.key_separator.empty()) {
        auto pos = line.find(o.key_separator);
        if (pos == std::string::npos) {
          prod.close();
          return fail("line " + std::to_string(sent + 1) + " has no key separator '"
                      + o.key_separator + "'");
        }
        r.key = line.substr(0, pos);
        r.value = line.substr(pos + o.key_separator.size());
      } else {
        r.value = std::move(line);
      }
      if (auto err = prod.send(r, on_report))
        return fail(describe(err));
      ++sent;
    }
    if (auto err = prod.flush())
      return fail("flush failed: " + describe(err));
  }
  if (failed > 0)
    return fail(std::to_string(failed.load()) + " of " + std::to_string(sent)
                + " record(s) were not acknowledged: " + first_error);
  return 0;
}

} // namespace

void add_produce_command(CLI::App& app, command_fn& run) {
  auto o = std::make_shared<produce_options>();
  auto cmd = app.add_subcommand("produce", "write stdin lines to a topic, one record each");
  add_connection_options(*cmd, o->conn);
  cmd->add_option("--topic", o->topic, "topic to write to")->required();
  cmd->add_option("--key-separator", o->key_separator,
                  "split each line into key and value at the first S");
  auto acks = cmd->add_option("--acks", o->acks, "0, 1 or all")->capture_default_str();
  cmd->add_flag("--idempotence", o->idempotence,
                "idempotent producer (enable.idempotence): retries write no duplicates; "
                "implies --acks all");
  cmd->add_option("--linger-ms", o->linger_ms, "batching delay")
    ->capture_default_str()
    ->check(non_negative);
  cmd->add_option("--compression-type", o->compression_type,
                  "compression.type of the batches: none, gzip, snappy, lz4 or zstd")
    ->capture_default_str()
    ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  cmd->add_option("--partition", o->partition, "write every record to this partition")
    ->check(non_negative);
  cmd->add_option("--retries", o->retries,
                  "retries of a batch on retriable errors (not with --idempotence)")
    ->capture_default_str()
    ->check(CLI::Range(0, std::numeric_limits<int32_t>::max()));
  cmd->add_option("--delivery-timeout-ms", o->delivery_timeout_ms,
                  "a batch not acknowledged this long after it was sent fails")
    ->capture_default_str()
    ->check(CLI::Range(int64_t{1}, std::numeric_limits<int64_t>::max()));
  cmd->callback([o, acks, &run] {
    o->acks_given = acks->count() > 0;
    run = [o] { return run_produce(*o); };
  });
}

} // namespace cafka::app
