// Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/) with the code's own
// encoders: `make_corpus <dir>`; run by hand when an encoding changes (see
// docs/architecture-chaos-and-testing.md#fuzzing). A single-threaded tool.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>
#include <caf/node_id.hpp>

#include "runtime/cluster/metadata_command.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/group/group_records.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/kafka/offsets_topic_codec.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/raft/raft_files.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "runtime/replication/producer_state.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/posix_env.hpp"
#include "runtime/storage/segment.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace cafka;
namespace fs = std::filesystem;

namespace {

fs::path root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  auto dir = root / target;
  fs::create_directories(dir);
  std::ofstream f{dir / name, std::ios::binary | std::ios::trunc};
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string sample_batch(compression_codec codec, bool idempotent) {
  batch_builder b{codec};
  if (idempotent)
    b.set_producer(producer_id{7}, producer_epoch{0}, 0);
  b.append(1700000000000, std::string_view{"key"}, std::string_view{"value value value"},
           {{"h", "v"}});
  b.append(1700000000001, std::nullopt, std::string_view{"value value value"});
  b.append(1700000000002, std::string_view{"k2"}, std::nullopt);
  return b.finish();
}

void record_batches() {
  // Mode 4 also checks timestamps; 0 leaves length and CRC as encoded.
  put("record_batch", "none", "\x04" + sample_batch(compression_codec::none, false));
  put("record_batch", "idempotent",
      std::string(1, '\0') + sample_batch(compression_codec::none, true));
  for (auto [name, codec] : {std::pair{"gzip", compression_codec::gzip},
                             std::pair{"snappy", compression_codec::snappy},
                             std::pair{"lz4", compression_codec::lz4},
                             std::pair{"zstd", compression_codec::zstd}})
    put("record_batch", name, std::string(1, '\0') + sample_batch(codec, false));
}

// A request frame (no size prefix): header v1 (v2 if flexible), then `body`.
std::string request(int16_t key, int16_t version, bool flexible,
                    void (*body)(kafka::writer&)) {
  std::string out;
  kafka::writer w{out};
  w.i16(key);
  w.i16(version);
  w.i32(42);
  w.nullable_string(std::string_view{"fuzz"});
  if (flexible)
    w.empty_tagged_fields();
  body(w);
  return out;
}

void kafka_requests() {
  put("kafka_request", "api_versions_v3", request(18, 3, true, [](kafka::writer& w) {
    w.compact_string("cafka");
    w.compact_string("1.0");
    w.empty_tagged_fields();
  }));
  put("kafka_request", "metadata_v1", request(3, 1, false, [](kafka::writer& w) {
    w.array_length(1);
    w.string("orders");
  }));
  put("kafka_request", "produce_v3", request(0, 3, false, [](kafka::writer& w) {
    w.nullable_string(std::nullopt);  // transactional id
    w.i16(-1);                        // acks
    w.i32(30000);
    w.array_length(1);
    w.string("orders");
    w.array_length(1);
    w.i32(0);
    w.bytes(sample_batch(compression_codec::none, false));
  }));
  put("kafka_request", "fetch_v4", request(1, 4, false, [](kafka::writer& w) {
    w.i32(-1);       // replica id
    w.i32(500);      // max wait
    w.i32(1);        // min bytes
    w.i32(1 << 20);  // max bytes
    w.i8(0);         // isolation level
    w.array_length(1);
    w.string("orders");
    w.array_length(1);
    w.i32(0);
    w.i64(0);
    w.i32(1 << 20);
  }));
  put("kafka_request", "list_offsets_v1", request(2, 1, false, [](kafka::writer& w) {
    w.i32(-1);
    w.array_length(1);
    w.string("orders");
    w.array_length(1);
    w.i32(0);
    w.i64(-1);
  }));
  put("kafka_request", "find_coordinator_v1", request(10, 1, false, [](kafka::writer& w) {
    w.string("group");
    w.i8(0);
  }));
  put("kafka_request", "heartbeat_v0", request(12, 0, false, [](kafka::writer& w) {
    w.string("group");
    w.i32(1);
    w.string("member-1");
  }));
  put("kafka_request", "create_topics_v2", request(19, 2, false, [](kafka::writer& w) {
    w.array_length(1);
    w.string("orders");
    w.i32(3);
    w.i16(1);
    w.array_length(0);  // assignments
    w.array_length(1);  // configs
    w.string("retention-ms");
    w.nullable_string(std::string_view{"1000"});
    w.i32(30000);
    w.boolean(false);
  }));
  put("kafka_request", "init_producer_id_v1", request(22, 1, false, [](kafka::writer& w) {
    w.nullable_string(std::nullopt);
    w.i32(60000);
  }));
  put("kafka_request", "offset_commit_v2", request(8, 2, false, [](kafka::writer& w) {
    w.string("group");
    w.i32(1);
    w.string("member-1");
    w.i64(-1);
    w.array_length(1);
    w.string("orders");
    w.array_length(1);
    w.i32(0);
    w.i64(10);
    w.nullable_string(std::string_view{"meta"});
  }));
  std::string value;
  kafka::writer vw{value};
  kafka::offset_commit_value v;
  v.offset = 10;
  v.metadata = "meta";
  kafka::encode(vw, v);
  std::string frame("\xff\xfc\0\0\0\0\0\0", 8);  // key -4, version 0, correlation id 0
  put("kafka_request", "offsets_value", frame + value);
}

caf::node_id node_of(uint8_t tag) {
  caf::node_id::default_data::host_id_type host{};
  host.fill(tag);
  return caf::make_node_id(1000u + tag, host);
}

template <class... Ts>
std::string basp_frame(caf::actor_system& sys, uint8_t op, uint64_t op_data, uint64_t source,
                       uint64_t dest, Ts&&... xs) {
  std::vector<char> payload;
  caf::binary_serializer sink{sys, payload};
  if (sink(std::forward<Ts>(xs)...))
    std::abort();
  std::string out{static_cast<char>(op), 0, 0, 0};
  auto put_int = [&out](uint64_t x, int width) {
    for (int i = width - 1; i >= 0; --i)
      out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
  };
  put_int(payload.size(), 4);
  put_int(op_data, 8);
  put_int(source, 8);
  put_int(dest, 8);
  out.append(payload.begin(), payload.end());
  return out;
}

void basp_frames() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto peer = node_of(2);
  auto me = node_of(1);
  auto handshake = basp_frame(sys, 0, 1, 0, 0, peer, std::vector<std::string>{"generic-caf-app"},
                              caf::actor_id{7}, std::set<std::string>{});
  auto direct = basp_frame(sys, 2, 0x1000000000000000, 3, 9,
                           std::vector<caf::strong_actor_ptr>{},
                           caf::make_message(std::string{"hello"}, int32_t{1}));
  auto routed = basp_frame(sys, 3, 0x1000000000000000, 3, 9, peer, me,
                           std::vector<caf::strong_actor_ptr>{}, caf::make_message(int64_t{5}));
  auto monitor = basp_frame(sys, 4, 0, 0, 9, peer, me);
  auto heartbeat = basp_frame(sys, 6, 0, 0, 0);
  put("basp_filter", "node_session", std::string(1, '\x00') + handshake + heartbeat + direct
                                         + routed + monitor);
  auto client = basp_frame(sys, 1, 0, 0, 0, peer);
  put("basp_filter", "client_session", std::string(1, '\x03') + client + heartbeat + direct);
}

void raft_files_seeds() {
  raft::files::vote_record vote{raft_term{3}, node_id{2}};
  auto v = raft::files::encode_vote(vote);
  raft::snapshot snp{{raft_index{2}, raft_term{1}}, metadata_state{}.to_bytes()};
  auto s = raft::files::encode_snapshot(snp);
  std::string log = raft::files::log_header();
  raft::files::append_record(log, {raft_term{1}, raft_index{3}, raft::entry_kind::command,
                                   encode(metadata_command{delete_topic_cmd{"orders"}})});
  raft::files::append_record(log, {raft_term{2}, raft_index{4}, raft::entry_kind::command,
                                   encode(metadata_command{allocate_producer_id_cmd{}})});
  // Mode 15: the target makes every checksum match (these already do).
  std::string mode(1, '\x0f');
  put("raft_persistence", "full", mode + fuzz::field(v) + fuzz::field(s) + log);
  put("raft_persistence", "no_snapshot",
      mode + fuzz::field(v) + fuzz::field(std::nullopt) + log);
}

void metadata_seeds() {
  register_broker_cmd reg;
  reg.broker = broker_metadata{node_id{1}, "127.0.0.1", 4242, true, 77};
  reg.cluster_id = "cluster";
  create_topic_cmd create{{"orders", 3, 1}};
  alter_isr_cmd alter;
  alter.req.tp = {"orders", partition_id{0}};
  alter.req.leader = node_id{1};
  alter.req.epoch = leader_epoch{0};
  alter.req.isr = {node_id{1}};
  scram_credential alice{"alice", scram_mechanism::sha_256, "salt", 4096,
                         std::string(32, 's'), std::string(32, 'k')};
  acl_binding read;
  read.resource_name = "orders";
  read.principal = "User:alice";
  acl_filter alice_acls;
  alice_acls.principal = "User:alice";
  std::vector<metadata_command> cmds{reg, create, alter, fence_broker_cmd{node_id{1}, 77},
                                     unfence_broker_cmd{node_id{1}, 77},
                                     delete_topic_cmd{"orders"}, allocate_producer_id_cmd{},
                                     elect_preferred_cmd{}, upsert_credential_cmd{alice},
                                     create_acls_cmd{{read}},
                                     delete_credential_cmd{"alice", scram_mechanism::sha_256},
                                     delete_acls_cmd{{alice_acls}}};
  metadata_state st;
  int i = 0;
  for (auto& c : cmds) {
    put("metadata", "command" + std::to_string(i++), std::string(1, '\x00') + encode(c));
    st.apply(c);
    if (i == 3)
      put("metadata", "state_with_topic", std::string(1, '\x01') + st.to_bytes());
    if (i == 10)
      put("metadata", "state_with_access", std::string(1, '\x01') + st.to_bytes());
  }
  put("metadata", "state_empty", std::string(1, '\x01') + metadata_state{}.to_bytes());
}

void group_seeds() {
  group::offset_record off;
  off.offset = log_offset{42};
  off.commit_timestamp_ms = 1700000000000;
  off.metadata = "meta";
  auto off_value = group::encode(off);
  group::group_record g;
  g.assignor = "uniform";
  g.group_epoch = member_epoch{3};
  group::member_record m;
  m.member_id = "m-1";
  m.epoch = member_epoch{3};
  m.topics = {"orders"};
  m.told = {{"orders", partition_id{0}}};
  g.members.push_back(m);
  auto g_value = group::encode(g);
  topic_partition tp{"orders", partition_id{0}};
  put("group_records", "offset_and_group",
      fuzz::field(group::offset_key("group", tp)) + fuzz::field(off_value)
          + fuzz::field(group::group_key("group")) + fuzz::field(g_value));
  auto key = group::offset_key("group", tp);
  put("group_records", "tombstone", fuzz::field(key) + fuzz::field(off_value) + fuzz::field(key)
                                        + fuzz::field(std::nullopt));
}

void checkpoint_seeds() {
  leader_epoch_cache c;
  c.assign(leader_epoch{0}, log_offset{0});
  c.assign(leader_epoch{2}, log_offset{10});
  put("checkpoints", "leader_epochs", std::string(1, '\x03') + c.serialize());
  put("checkpoints", "leader_epochs_text", std::string(1, '\x01') + "0\n2\n0 0\n2 10\n");
  producer_state p;
  batch_header h;
  h.producer_id = producer_id{7};
  h.producer_epoch = producer_epoch{0};
  h.base_sequence = 0;
  h.record_count = 3;
  h.last_offset_delta = 2;
  p.on_append(h);
  h.base_offset = 3;
  h.base_sequence = 3;
  p.on_append(h);
  put("checkpoints", "producer_state", std::string(1, '\x02') + p.serialize());
}

std::string slurp(const fs::path& path) {
  std::ifstream f{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{f}, std::istreambuf_iterator<char>{}};
}

// A log of three batches as partition_log writes it, in a scratch directory under `root`.
void partition_log_seeds() {
  auto dir = root / "partition_log.tmp";
  fs::remove_all(dir);
  storage::posix_env env;
  {
    auto log = partition_log::open(env, dir.string(), log_config{}, 1700000000000);
    if (!log)
      std::abort();
    for (int i = 0; i < 3; ++i) {
      auto batch = sample_batch(compression_codec::none, false);
      if (!(*log)->append(batch, 1700000000000 + i))
        std::abort();
    }
    if ((*log)->flush())
      std::abort();
  }
  auto file = [&dir](const char* ext) {
    return slurp(dir / segment::file_name(log_offset{0}, ext));
  };
  auto log = file(".log");
  // Mode 3: the target makes batch lengths and CRCs match (these already do); then the
  // second segment's base offset (0: none).
  put("partition_log", "one_segment", std::string{'\x03', '\0'} + fuzz::field(log)
                                        + fuzz::field(file(".index"))
                                        + fuzz::field(file(".timeindex")));
  put("partition_log", "two_segments", std::string{'\x03', '\x09'} + fuzz::field(log)
                                         + fuzz::field(std::nullopt) + fuzz::field(std::nullopt)
                                         + fuzz::field(log));
  fs::remove_all(dir);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus <corpus dir>\n";
    return 2;
  }
  root = argv[1];
  record_batches();
  kafka_requests();
  basp_frames();
  raft_files_seeds();
  metadata_seeds();
  group_seeds();
  checkpoint_seeds();
  partition_log_seeds();
  return 0;
}
