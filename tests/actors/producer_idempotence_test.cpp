// Tests of the idempotent producer against a test double of the broker (the controller side of
// init_pid is not needed): producer id with retries, per-partition sequence numbers, the
// in-order resend after a failed batch, a lost acknowledgement answered as a duplicate, a
// leader failover, an init_pid that fails for good, and the config checks. The double leads
// every partition of topic "t" and appends with the real leader's rules (producer_state).

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "cafka/producer.hpp"
#include "actors/broker/broker_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/producer_state.hpp"
#include "tests/actors/actor_test_util.hpp"

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

namespace {

constexpr int32_t partition_count = 2;
// The id the double hands out.
constexpr producer_id the_producer_id{42};

// The producer fields and record count of one stored batch.
struct batch_stamp {
  producer_id id;
  producer_epoch epoch;
  int32_t base_sequence = 0;
  int32_t records = 0;

  bool operator==(const batch_stamp& o) const {
    return id == o.id && epoch == o.epoch && base_sequence == o.base_sequence
           && records == o.records;
  }
};

// One partition of the double: the log as batches (base offsets patched) and the table.
struct fake_partition {
  std::vector<std::string> batches;
  log_offset log_end{0};
  producer_state table;
};

// What the doubles share with the test thread (every access under mtx): faults to inject,
// counters, the partitions. Both brokers of a failover test share one instance, i.e. one
// perfectly replicated log per partition.
struct fake_cluster {
  std::mutex mtx;
  int32_t leader = 1;                // the broker id leading every partition
  uint16_t ports[3] = {0, 0, 0};     // by broker id (1, 2)
  int pid_failures = 0;              // init_pid answers not_controller this often first
  caf::error pid_error;              // set: every init_pid fails with it
  int init_pid_calls = 0;
  size_t hold = 0;  // broker 1 answers no produce until this many arrived (once)
  std::set<int32_t> fail_first;      // base sequences refused (not leader) before the append
  std::set<int32_t> lose_ack;        // base sequences appended, then answered as timed out
  int32_t fail_over_after = -1;      // after appending this base sequence, broker 2 leads
  int duplicates = 0;
  int out_of_order = 0;
  std::map<int32_t, fake_partition> partitions;

  cluster_metadata metadata() {
    cluster_metadata md;
    md.version = 1;
    for (int32_t id = 1; id <= 2; ++id)
      md.brokers.push_back(broker_metadata{node_id{id}, "127.0.0.1", ports[id], true, 1});
    topic_metadata t;
    t.name = "t";
    for (int32_t p = 0; p < partition_count; ++p)
      t.partitions.push_back(partition_metadata{partition_id{p}, node_id{leader},
                                                leader_epoch{0}, partition_epoch{0},
                                                {node_id{1}, node_id{2}},
                                                {node_id{1}, node_id{2}}});
    md.topics.push_back(t);
    return md;
  }

  // The leader's produce path: check, append unless duplicate, on_append.
  caf::expected<produce_response> produce(int32_t self, const produce_request& req) {
    std::lock_guard<std::mutex> guard{mtx};
    if (self != leader)
      return make_error(errc::not_leader_for_partition, "fake: not the leader");
    batch_header h;
    if (!read_batch_header(req.batch.data(), req.batch.size(), h))
      return make_error(errc::corrupt_message, "fake: short batch");
    if (h.producer_id != no_producer_id && fail_first.erase(h.base_sequence) > 0)
      return make_error(errc::not_leader_for_partition, "fake: injected refusal");
    auto& part = partitions[req.tp.partition.value];
    auto c = part.table.check(h);
    if (!c) {
      if (errc_of(c.error()) == errc::out_of_order_sequence
          || errc_of(c.error()) == errc::unknown_producer_id)
        ++out_of_order;
      return std::move(c.error());
    }
    if (c->kind == check_result::duplicate) {
      ++duplicates;
      return produce_response{req.tp, c->base_offset, log_offset{0}};
    }
    auto bytes = req.batch;
    set_base_offset(bytes.data(), part.log_end);
    h.base_offset = part.log_end.value;
    part.batches.push_back(std::move(bytes));
    part.log_end = h.next_offset();
    part.table.on_append(h);
    if (h.producer_id != no_producer_id && h.base_sequence == fail_over_after) {
      leader = 2;
      return make_error(errc::not_leader_for_partition, "fake: failed over after the append");
    }
    if (h.producer_id != no_producer_id && lose_ack.erase(h.base_sequence) > 0)
      return make_error(errc::request_timed_out, "fake: acknowledgement lost");
    return produce_response{req.tp, log_offset{h.base_offset}, log_offset{0}};
  }

  // Values of partition p in log order.
  std::vector<std::string> values(int32_t p) {
    std::lock_guard<std::mutex> guard{mtx};
    std::string all;
    for (auto& b : partitions[p].batches)
      all += b;
    std::vector<record> recs;
    if (auto err = decode_records(all, recs))
      return {describe(err)};
    std::vector<std::string> out;
    for (auto& r : recs)
      out.push_back(r.value);
    return out;
  }

  // The stamps of every batch of partition p.
  std::vector<batch_stamp> stamps(int32_t p) {
    std::lock_guard<std::mutex> guard{mtx};
    std::vector<batch_stamp> out;
    for (auto& b : partitions[p].batches) {
      batch_header h;
      read_batch_header(b.data(), b.size(), h);
      out.push_back({h.producer_id, h.producer_epoch, h.base_sequence, h.record_count});
    }
    return out;
  }
};

struct fake_broker_state {
  std::shared_ptr<fake_cluster> cluster;
  int32_t id = 1;
  std::vector<std::pair<produce_request, caf::typed_response_promise<produce_response>>> held;
  bool released = false;
  static inline const char* name = "fake_broker";
};

using fake_broker_self = broker_actor::stateful_pointer<fake_broker_state>;

broker_actor::behavior_type fake_broker(fake_broker_self self,
                                        std::shared_ptr<fake_cluster> cluster, int32_t id) {
  self->state.cluster = std::move(cluster);
  self->state.id = id;
  auto nope = [](const char* what) { return make_error(errc::invalid_request, what); };
  return {
    [=](produce_atom, produce_request& req) -> caf::result<produce_response> {
      auto& st = self->state;
      auto rp = self->make_response_promise<produce_response>();
      st.held.emplace_back(std::move(req), rp);
      size_t hold = 0;
      if (st.id == 1) {
        std::lock_guard<std::mutex> guard{st.cluster->mtx};
        hold = st.cluster->hold;
      }
      if (!st.released && st.held.size() < hold)
        return rp; // answered once `hold` requests are here, in arrival order
      st.released = true;
      auto held = std::move(st.held);
      st.held.clear();
      for (auto& [r, p] : held) {
        auto res = st.cluster->produce(st.id, r);
        if (res)
          p.deliver(std::move(*res));
        else
          p.deliver(std::move(res.error()));
      }
      return rp;
    },
    [=](fetch_atom, fetch_request&) -> caf::result<fetch_response> { return nope("fetch"); },
    [=](list_offsets_atom, list_offsets_request&)
      -> caf::result<list_offsets_response> { return nope("list_offsets"); },
    [=](metadata_atom, metadata_request&) -> caf::result<cluster_metadata> {
      std::lock_guard<std::mutex> guard{self->state.cluster->mtx};
      return self->state.cluster->metadata();
    },
    [=](create_topic_atom, create_topic_request&)
      -> caf::result<topic_metadata> { return nope("create"); },
    [=](delete_topic_atom, delete_topic_request&)
      -> caf::result<caf::ok_atom> { return nope("delete"); },
    [=](alter_configs_atom, alter_topic_configs_request&)
      -> caf::result<caf::ok_atom> { return nope("alter configs"); },
    [=](create_partitions_atom, create_partitions_request&)
      -> caf::result<topic_metadata> { return nope("create partitions"); },
    [=](reassign_atom, alter_reassignments_request&)
      -> caf::result<std::vector<reassignment_result>> { return nope("reassign"); },
    [=](decommission_atom, decommission_request&)
      -> caf::result<caf::ok_atom> { return nope("decommission"); },
    [=](replica_fetch_atom, replica_fetch_request&)
      -> caf::result<replica_fetch_response> { return nope("replica fetch"); },
    [=](alter_isr_atom, alter_isr_request&)
      -> caf::result<partition_metadata> { return nope("alter_isr"); },
    [=](init_pid_atom) -> caf::result<producer_id> {
      auto& c = *self->state.cluster;
      std::lock_guard<std::mutex> guard{c.mtx};
      ++c.init_pid_calls;
      if (c.pid_error)
        return c.pid_error;
      if (c.pid_failures > 0) {
        --c.pid_failures;
        return make_error(errc::not_controller, "fake: no controller yet");
      }
      return the_producer_id;
    },
    [](find_coordinator_atom, std::string&)
      -> caf::result<node_id> { return make_error(errc::invalid_request); },
    [](group_heartbeat_atom, group_heartbeat_request&)
      -> caf::result<group_heartbeat_response> { return make_error(errc::invalid_request); },
    [](commit_atom, offset_commit_request&)
      -> caf::result<caf::ok_atom> { return make_error(errc::invalid_request); },
    [](offset_fetch_atom, offset_fetch_request&)
      -> caf::result<std::vector<partition_offset>> { return make_error(errc::invalid_request); },
    [](describe_group_atom, std::string&)
      -> caf::result<group_description> { return make_error(errc::invalid_request); },
    [](list_groups_atom)
      -> caf::result<std::vector<std::string>> { return make_error(errc::invalid_request); },
    [](classic_atom, classic_group_request&)
      -> caf::result<classic_group_response> { return make_error(errc::invalid_request); },
    [](group_admin_atom, group_admin_request&)
      -> caf::result<group_admin_response> { return make_error(errc::invalid_request); },
    [=](upsert_credential_atom, scram_credential&)
      -> caf::result<caf::ok_atom> { return nope("access"); },
    [=](delete_credential_atom, credential_name&)
      -> caf::result<caf::ok_atom> { return nope("access"); },
    [=](list_users_atom) -> caf::result<std::vector<scram_user>> { return nope("access"); },
    [=](create_acls_atom, std::vector<acl_binding>&)
      -> caf::result<std::vector<caf::error>> { return nope("access"); },
    [=](delete_acls_atom, std::vector<acl_filter>&)
      -> caf::result<std::vector<std::vector<acl_binding>>> { return nope("access"); },
    [=](describe_acls_atom, acl_filter&)
      -> caf::result<std::vector<acl_binding>> { return nope("access"); },
    [](access_update_atom, access_metadata&) {},
    [=](md_update_atom, cluster_metadata&) {},
    [=](peer_atom, node_id, caf::strong_actor_ptr&) {},
    [=](node_link_atom, node_id, caf::strong_actor_ptr&) {},
    [=](stop_atom) -> caf::ok_atom { return caf::ok_atom::value; },
  };
}

// The node actor clients connect to: hands out the double.
node_actor::behavior_type fake_node(node_actor::pointer, broker_actor broker) {
  return {
    [=](broker_atom) -> caf::result<broker_actor> { return broker; },
    [=](controller_atom) -> caf::result<controller_member_actor> {
      return make_error(errc::not_controller, "fake node: no controller");
    },
    [=](hello_atom, node_id, caf::strong_actor_ptr&) { return caf::ok_atom::value; },
    [=](chaos_atom, fault_rule&, int64_t) -> caf::result<uint64_t> { return uint64_t{0}; },
    [=](heal_atom) { return caf::ok_atom::value; },
    [=](chaos_atom) { return std::vector<fault_status>{}; },
    [=](stop_atom) -> caf::ok_atom { return caf::ok_atom::value; },
  };
}

class net_config : public test_config {
public:
  net_config() { load<caf::io::middleman>(); }
};

// Two doubles (brokers 1 and 2) published on loopback in a "server" actor system, and a
// "client" actor system for the producer.
struct fake_fixture {
  std::shared_ptr<fake_cluster> cluster = std::make_shared<fake_cluster>();
  net_config server_cfg;
  caf::actor_system server{server_cfg};
  net_config client_cfg;
  caf::actor_system client{client_cfg};
  std::vector<caf::actor> spawned;

  fake_fixture() {
    for (int32_t id = 1; id <= 2; ++id) {
      auto b = server.spawn(fake_broker, cluster, id);
      auto n = server.spawn(fake_node, b);
      spawned.push_back(caf::actor_cast<caf::actor>(b));
      spawned.push_back(caf::actor_cast<caf::actor>(n));
      auto port = server.middleman().publish(n, 0, "127.0.0.1", true);
      REQUIRE(port);
      cluster->ports[id] = *port;
    }
  }

  ~fake_fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  producer_config config() {
    producer_config pc;
    pc.bootstrap = "127.0.0.1:" + std::to_string(cluster->ports[1]);
    pc.acks = -1;
    pc.enable_idempotence = true;
    pc.linger_ms = 0;
    pc.batch_size = 1; // every record gets a batch of its own
    pc.retry_backoff_ms = 10;
    pc.request_timeout_ms = 5000;
    return pc;
  }

  // Sends "v0".."v<n-1>" to partition p (without p: record i to partition i modulo the
  // partition count), flushes, and returns the reports in send order.
  std::vector<delivery_report> send_all(const producer_config& pc, int n,
                                        std::optional<partition_id> p) {
    std::mutex mtx;
    std::vector<delivery_report> reports(static_cast<size_t>(n));
    {
      producer prod{client, pc};
      for (int i = 0; i < n; ++i) {
        producer_record r;
        r.topic = "t";
        r.partition = p ? *p : partition_id{i % partition_count};
        r.value = "v" + std::to_string(i);
        auto slot = static_cast<size_t>(i);
        auto err = prod.send(r, [&mtx, &reports, slot](const delivery_report& rep) {
          std::lock_guard<std::mutex> guard{mtx};
          reports[slot] = rep;
        });
        REQUIRE_FALSE(err);
      }
      REQUIRE_FALSE(prod.flush(30s));
    }
    return reports;
  }

  // Every report succeeded and names the offset where its value is in the log.
  void check_reports(const std::vector<delivery_report>& reports) {
    for (size_t i = 0; i < reports.size(); ++i) {
      auto& rep = reports[i];
      INFO("record " << i << ": " << describe(rep.error));
      REQUIRE_FALSE(rep.error);
      auto values = cluster->values(rep.tp.partition.value);
      REQUIRE(rep.offset >= log_offset{0});
      REQUIRE(rep.offset < log_offset{static_cast<int64_t>(values.size())});
      CHECK(values[static_cast<size_t>(rep.offset.value)] == "v" + std::to_string(i));
    }
  }
};

std::vector<std::string> expected_values(int from, int to, int step = 1) {
  std::vector<std::string> out;
  for (int i = from; i < to; i += step)
    out.push_back("v" + std::to_string(i));
  return out;
}

} // namespace

TEST_CASE_METHOD(fake_fixture, "an idempotent producer retries init_pid and numbers each "
                               "partition's batches in creation order",
                 "[actors][producer][idempotence]") {
  cluster->pid_failures = 2; // the controller is not there yet
  auto reports = send_all(config(), 20, std::nullopt);
  check_reports(reports);
  CHECK(cluster->init_pid_calls == 3);
  for (int32_t p = 0; p < partition_count; ++p) {
    CHECK(cluster->values(p) == expected_values(p, 20, partition_count));
    int32_t seq = 0;
    for (auto& s : cluster->stamps(p)) {
      CHECK(s == batch_stamp{the_producer_id, producer_epoch{0}, seq, 1});
      seq += s.records;
    }
  }
  CHECK(cluster->duplicates == 0);
  CHECK(cluster->out_of_order == 0);
}

TEST_CASE_METHOD(fake_fixture, "a failed batch and the later in-flight ones are resent in "
                               "order with their sequence numbers",
                 "[actors][producer][idempotence]") {
  cluster->hold = 3;          // batches 0, 1 and 2 are in flight together
  cluster->fail_first = {0};  // 0 is refused: the leader refuses 1 and 2 (a gap)
  auto reports = send_all(config(), 8, partition_id{0});
  check_reports(reports);
  CHECK(cluster->out_of_order >= 2);
  CHECK(cluster->values(0) == expected_values(0, 8));
  int32_t seq = 0;
  for (auto& s : cluster->stamps(0))
    CHECK(s == batch_stamp{the_producer_id, producer_epoch{0}, seq++, 1});
}

TEST_CASE_METHOD(fake_fixture, "a lost acknowledgement is answered as a duplicate with the "
                               "original offset",
                 "[actors][producer][idempotence]") {
  cluster->hold = 3;
  cluster->lose_ack = {1}; // appended, but the producer hears a timeout
  auto reports = send_all(config(), 6, partition_id{0});
  check_reports(reports);
  CHECK(cluster->duplicates >= 1);
  CHECK(cluster->values(0) == expected_values(0, 6)); // written once
}

TEST_CASE_METHOD(fake_fixture, "a leader failover after an unacknowledged append writes no "
                               "duplicates",
                 "[actors][producer][idempotence]") {
  cluster->hold = 4;
  cluster->fail_over_after = 1; // broker 1 appends 1, then broker 2 leads (same log)
  auto reports = send_all(config(), 10, partition_id{0});
  check_reports(reports);
  {
    std::lock_guard<std::mutex> guard{cluster->mtx};
    CHECK(cluster->leader == 2);
  }
  CHECK(cluster->duplicates >= 1); // batch 1 again, at broker 2
  CHECK(cluster->values(0) == expected_values(0, 10));
}

TEST_CASE_METHOD(fake_fixture, "records fail with the error of an init_pid that cannot succeed",
                 "[actors][producer][idempotence]") {
  cluster->pid_error = make_error(errc::invalid_request, "init_producer_id: not implemented yet");
  std::mutex mtx;
  std::vector<delivery_report> reports;
  {
    producer prod{client, config()};
    for (int i = 0; i < 3; ++i) {
      producer_record r;
      r.topic = "t";
      r.partition = partition_id{0};
      r.value = "x";
      REQUIRE_FALSE(prod.send(r, [&](const delivery_report& rep) {
        std::lock_guard<std::mutex> guard{mtx};
        reports.push_back(rep);
      }));
    }
    REQUIRE_FALSE(prod.flush(30s));
  }
  REQUIRE(reports.size() == 3);
  for (auto& rep : reports) {
    CHECK(errc_of(rep.error) == errc::invalid_request);
    CHECK(rep.offset == no_offset);
  }
  CHECK(cluster->values(0).empty());
}

TEST_CASE_METHOD(fake_fixture, "an idempotent producer needs acks=all and at most 5 requests "
                               "in flight",
                 "[actors][producer][idempotence]") {
  auto pc = config();
  pc.acks = 1;
  CHECK(errc_of(validate(pc)) == errc::invalid_config);
  {
    producer prod{client, pc};
    CHECK(errc_of(prod.config_error()) == errc::invalid_config);
    producer_record r;
    r.topic = "t";
    r.value = "x";
    CHECK(errc_of(prod.send(r)) == errc::invalid_config);
  }
  pc = config();
  pc.max_in_flight = 6;
  CHECK(errc_of(validate(pc)) == errc::invalid_config);
  pc.max_in_flight = 5;
  CHECK_FALSE(validate(pc));
  pc.enable_idempotence = false;
  pc.acks = 1;
  pc.max_in_flight = 10;
  CHECK_FALSE(validate(pc));
  // An actor user gets the error in the delivery report.
  pc = config();
  pc.acks = 0;
  auto actor = spawn_producer(client, pc);
  producer_record r{"t", std::nullopt, std::string{"x"}, partition_id{0}, -1, {}};
  auto rep = ask<delivery_report>(client, actor, send_atom::value, r);
  REQUIRE(rep);
  CHECK(errc_of(rep->error) == errc::invalid_config);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}
