// Prints the bytes the code of commit e5e7511 (before the durable encoding) writes for every
// durable format, as hex, for the tests' embedded fixtures. It compiles only against that
// commit's sources: print_fixtures.sh checks it out, builds it and runs this.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "runtime/cluster/metadata_command.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/raft/disk_persistence.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "runtime/replication/producer_state.hpp"

using namespace cafka;

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

void print(const char* name, const std::string& bytes) {
  std::printf("%s %s\n", name, hex(bytes).c_str());
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

broker_metadata broker(int32_t id) {
  broker_metadata b{node_id{id}, "10.0.0." + std::to_string(id),
                    static_cast<uint16_t>(9100 + id), true, 7000u + static_cast<uint64_t>(id)};
  b.listeners = {listener_endpoint{"PLAINTEXT", "127.0.0.1", static_cast<uint16_t>(9090 + id)}};
  return b;
}

} // namespace

int main() {
  // Raft commands: one of every kind, and a topic name whose length needs a 2-byte varint.
  print("register_broker", encode(register_broker_cmd{broker(2), true, "c1-abc"}));
  print("fence_broker", encode(fence_broker_cmd{node_id{3}, 9, true, false}));
  print("unfence_broker", encode(unfence_broker_cmd{node_id{4}, 5, true}));
  print("create_topic", encode(create_topic_cmd{create_topic_request{"orders", 6, 3}}));
  print("delete_topic", encode(delete_topic_cmd{std::string(200, 't')}));
  print("alter_isr", encode(alter_isr_cmd{alter_isr_request{
                       topic_partition{"orders", partition_id{5}}, node_id{1},
                       leader_epoch{4}, 7, {node_id{1}, node_id{3}}}}));
  print("allocate_producer_id", encode(allocate_producer_id_cmd{}));
  print("elect_preferred", encode(elect_preferred_cmd{}));

  // The metadata state machine's snapshot bytes: 2 brokers, 1 topic of 2 partitions.
  metadata_state st;
  st.apply(register_broker_cmd{broker(1), false, "c1-abc"});
  st.apply(register_broker_cmd{broker(2), false, "c1-abc"});
  st.apply(create_topic_cmd{create_topic_request{"orders", 2, 2}});
  st.apply(allocate_producer_id_cmd{});
  print("metadata_snapshot", st.to_bytes());

  // The Raft directory: vote, a log of two entries, a snapshot.
  auto dir = std::filesystem::temp_directory_path() / "cafka-durable-fixtures";
  std::filesystem::remove_all(dir);
  {
    raft::disk_persistence p{dir.string()};
    raft::persisted_state ps;
    p.load(ps);
    p.store_term_and_vote(raft_term{3}, node_id{2});
    p.append({raft::log_entry{raft_term{3}, raft_index{1}, raft::entry_kind::noop, ""},
              raft::log_entry{raft_term{3}, raft_index{2}, raft::entry_kind::command, "cmd"}});
  }
  print("raft_vote", slurp(dir / "vote"));
  print("raft_log", slurp(dir / "log"));
  {
    raft::disk_persistence p{dir.string()};
    raft::persisted_state ps;
    p.load(ps);
    p.store_snapshot(raft::snapshot{raft::snapshot_descriptor{raft_index{1}, raft_term{3}},
                                    "state"});
  }
  print("raft_snapshot", slurp(dir / "snapshot"));
  std::filesystem::remove_all(dir);

  // The partition checkpoints.
  leader_epoch_cache epochs;
  epochs.assign(leader_epoch{0}, log_offset{0});
  epochs.assign(leader_epoch{3}, log_offset{120});
  print("leader_epoch_checkpoint", epochs.serialize());
  producer_state producers;
  batch_header h{};
  h.base_offset = 10;
  h.producer_id = producer_id{42};
  h.producer_epoch = producer_epoch{1};
  h.base_sequence = 0;
  h.last_offset_delta = 2;
  h.max_timestamp = 1700000000000;
  h.record_count = 3;
  producers.start_at(log_offset{10});
  producers.on_append(h);
  print("producer_snapshot", producers.serialize());
}
