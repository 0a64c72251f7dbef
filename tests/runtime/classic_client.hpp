// A classic Kafka client driven by hand against a group_state, for the classic-group tests:
// it joins, syncs and heartbeats as librdkafka and kafka-python do. Test code only.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "runtime/group/group_state.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka::group::testing {

using namespace std::chrono_literals;
using cafka::kafka::code;
using cafka::kafka::error_code;


inline group_config config() {
  group_config c;
  c.session_timeout = 10s;
  return c;
}

// A classic client as librdkafka and kafka-python behave: it joins, syncs, heartbeats and,
// told REBALANCE_IN_PROGRESS, joins again. Eager: it gives up everything before it joins.
// Cooperative: it reports what it reads, gives up only what the new assignment lacks and
// then joins once more.
struct classic_client {
  std::string id;
  std::string instance;
  bool cooperative = false;
  std::string protocol = "range";
  int16_t version = 1;
  member_epoch generation = no_member_epoch;
  int32_t session_ms = 10000;
  int32_t rebalance_ms = 60000;
  std::vector<topic_partition> reads;
  bool must_join = true;

  classic_group_request request(classic_op op) const {
    classic_group_request r;
    r.op = static_cast<uint8_t>(op);
    r.group = "g";
    r.member_id = id;
    r.instance_id = instance;
    r.generation = generation;
    r.protocol_type = "consumer";
    r.protocols = {{protocol, "sub-bytes"}};
    r.topics = {"t"};
    r.owned = cooperative ? reads : std::vector<topic_partition>{};
    r.subscription_version = version;
    r.session_timeout_ms = session_ms;
    r.rebalance_timeout_ms = rebalance_ms;
    r.client_id = "client";
    return r;
  }
};

inline classic_group_response join(group_state& g, classic_client& c,
                                   clock::time_point now) {
  if (!c.cooperative)
    c.reads.clear();  // eager: revoked before the JoinGroup
  auto r = g.classic(c.request(classic_op::join), now);
  if (r.error_code == 0) {
    c.id = r.member_id;
    c.generation = r.generation;
  }
  return r;
}

inline classic_group_response sync(group_state& g, classic_client& c,
                                   clock::time_point now) {
  auto r = g.classic(c.request(classic_op::sync), now);
  if (r.error_code == 0) {
    bool revoked = false;
    for (auto& tp : c.reads)
      revoked = revoked
                || std::find(r.assignment.begin(), r.assignment.end(), tp) == r.assignment.end();
    c.reads = r.assignment;
    c.must_join = c.cooperative && revoked;  // cooperative: joins again after a revocation
  }
  return r;
}

inline int16_t heartbeat(group_state& g, classic_client& c, clock::time_point now) {
  auto r = g.classic(c.request(classic_op::heartbeat), now);
  if (r.error_code == code(error_code::rebalance_in_progress))
    c.must_join = true;
  return r.error_code;
}

// One step of a client: join and sync if it must, else heartbeat.
inline void step(group_state& g, classic_client& c, clock::time_point now) {
  if (!c.must_join) {
    REQUIRE(heartbeat(g, c, now) != code(error_code::illegal_generation));
    return;
  }
  REQUIRE(join(g, c, now).error_code == 0);
  REQUIRE(sync(g, c, now).error_code == 0);
}

inline void check_exclusive(const std::vector<classic_client*>& cs) {
  std::set<topic_partition> seen;
  for (auto c : cs)
    for (auto& tp : c->reads)
      REQUIRE(seen.insert(tp).second);
}

// Steps the clients in random order until all of `partitions` are read, nobody must join
// and every member reads its target.
inline void settle(group_state& g, const std::vector<classic_client*>& cs,
                   clock::time_point now, std::mt19937& rng, size_t partitions) {
  for (int round = 0; round < 400; ++round) {
    step(g, *cs[rng() % cs.size()], now);
    check_exclusive(cs);
    size_t read = 0;
    bool done = true;
    for (auto c : cs) {
      read += c->reads.size();
      done = done && !c->must_join && heartbeat(g, *c, now) == 0;
    }
    if (done && read == partitions)
      return;
  }
  FAIL("the group did not settle");
}

inline size_t count_of(const group_state& g, const std::string& id) {
  for (auto& m : g.members())
    if (m.member_id == id)
      return m.owned.size();
  return 0;
}


} // namespace cafka::group::testing
