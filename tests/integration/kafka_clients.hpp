// Test harness: runs Kafka's own clients against a cluster_process's Kafka listeners (kcat,
// and the kafka-python / confluent-kafka scripts in tests/integration/kafka/ under
// /usr/bin/python3) and parses what they print. Test code; the test's main thread only.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/cluster_process.hpp"
#include "tests/integration/node_process.hpp"

namespace cafka::testing {

// One record as a Kafka client read it; a null key or value is nullopt.
struct kafka_record {
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The path of tests/integration/kafka/<script>.
std::string client_script(const std::string& script);

// `kcat <args>`, stdin from input.
command_result kcat(std::vector<std::string> args, const std::string& input = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds{60});

// `/usr/bin/python3 tests/integration/kafka/<script> <args>` (Debian's Kafka clients exist for
// that interpreter only).
command_result python_client(const std::string& script, std::vector<std::string> args,
                             std::chrono::milliseconds timeout = std::chrono::seconds{60});

// Every record of every partition of `topic`, from the beginning to the end, read by
// `kcat -C -e`. Binary keys and values come back whole; header values must not contain
// ',', '=', '\n' or NUL (kcat prints them without escaping). ok is false if kcat failed or
// printed something that does not parse.
struct read_result {
  bool ok = false;
  std::string error;
  std::vector<kafka_record> records;
};
read_result kcat_read(const std::string& bootstrap, const std::string& topic);

// The same with kafka-python (kafka/clients_consume.py): exact for every byte.
read_result python_read(const std::string& bootstrap, const std::string& topic);

// What `kcat -L` reports: brokers (id -> "host:port") and, for `topic`, each partition's
// leader and replicas. ok is false if kcat failed or the topic had an error.
struct kcat_metadata {
  bool ok = false;
  std::map<int32_t, std::string> brokers;
  std::map<int32_t, int32_t> leaders;
  std::map<int32_t, std::vector<int32_t>> replicas;
};
kcat_metadata kcat_list(const std::string& bootstrap, const std::string& topic = {});

// A Kafka listener's "127.0.0.1:<port>" (a Kafka client's bootstrap server) of broker node id.
std::string kafka_address(const cluster_process& c, int32_t id);

// `cafka topics create` (cli_retrying); whether it succeeded (if not, its error goes to the
// next assertion's message).
bool create_topic(const cluster_process& c, const std::string& topic, int partitions, int rf);

// One line of `cafka consume --print-offset --print-key`: "<partition>:<offset>\t<key>\t<value>".
struct consumed {
  int32_t partition;
  int64_t offset;
  std::string key;
  std::string value;
};

// What `cafka consume` printed, and its stderr.
struct consumed_records {
  std::vector<consumed> records;
  std::string err;
};

// `expected` records of `topic` from the beginning, read by `cafka consume` (10 s at most).
consumed_records cafka_consume(const cluster_process& c, const std::string& topic,
                               size_t expected);

// The Kafka clients that read a whole topic back.
inline const std::pair<const char*, read_result (*)(const std::string&, const std::string&)>
  topic_readers[] = {{"kcat", &kcat_read}, {"kafka-python", &python_read}};

// The values of `records` ("<null>" for a null value).
std::multiset<std::string> values_of(const std::vector<kafka_record>& records);

// "<prefix>-0" to "<prefix>-<n-1>".
std::multiset<std::string> numbered_values(const std::string& prefix, int n);

// The lines of `text`, in any order.
std::multiset<std::string> line_set(const std::string& text);

// One line per value.
std::string lines_of(const std::multiset<std::string>& values);

// [defaults] of the clusters these tests start: a broker's lease lasts 3 s (the default, said
// here so that a change of it does not reach these tests), so that a loaded machine (2 cores
// for three nodes and the clients) does not fence a broker that is merely slow. A SIGKILLed
// node still loses its leaderships at once: its connections close.
inline const std::string kafka_test_defaults = "broker-session-timeout-ms=3000\n";

// `cafka <args>` (cluster_process::cli), run again, up to 3 times, while it could not
// connect to the cluster at all (a loaded machine can miss the 2 s connection timeout).
command_result cli_retrying(const cluster_process& c, std::vector<std::string> args,
                            const std::string& input = {}, int32_t via = -1);

// The leader of topic-partition from `topics describe`, polled until there is one (20 s);
// -1 if none came.
int32_t leader_of(const cluster_process& c, const std::string& topic, int32_t partition = 0,
                  int32_t via = -1);

// Polls until every broker node of c answers `kcat -L` with `brokers` brokers.
bool kafka_ready(const cluster_process& c, const std::vector<int32_t>& nodes, int brokers);

// Starts every node of c and waits until `cluster status` shows the brokers alive and each
// broker's Kafka listener lists them all. Requires: c built with kafka_listeners.
bool start_kafka_cluster(cluster_process& c, const std::vector<int32_t>& brokers);

// The compression codecs (attributes bits 0-2) of the batches node `node` stores for
// topic-partition, read from its segment files.
std::set<int> stored_codecs(const cluster_process& c, int32_t node, const std::string& topic,
                            int32_t partition);

} // namespace cafka::testing
