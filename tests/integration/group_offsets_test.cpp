// Committed offsets on real processes: after a failed write to the __consumer_offsets
// partition, the group coordinator reloads the partition and serves no offset that is not on
// the ISR yet, so a committed offset never goes backwards (I4); a deleted topic's offsets go.
#include <catch2/catch.hpp>

#include <sstream>

#include <caf/actor_system.hpp>

#include "cafka/consumer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"

using cafka::test::eventually;
using cafka::testing::client_config;
using cafka::testing::cluster_process;
using namespace std::chrono_literals;

namespace {

// The group's committed offset of tp, -1 for none, or -2 when the coordinator did not answer
// with offsets (loading, moving, timed out).
cafka::log_offset committed_offset(cafka::consumer& c, const cafka::topic_partition& tp) {
  auto r = c.committed({tp});
  if (!r || r->size() != 1)
    return cafka::log_offset{-2};
  return r->front().offset;
}

// Why the coordinator did not answer with tp's committed offset (errc::none: it answered).
cafka::errc committed_error(cafka::consumer& c, const cafka::topic_partition& tp) {
  auto r = c.committed({tp});
  return r ? cafka::errc::none : cafka::errc_of(r.error());
}

} // namespace

TEST_CASE("regression, chaos run seed 11: after a failed offsets write the coordinator serves "
          "no committed offset that is not on the ISR, so committed offsets never go back",
          "[integration][group]") {
  // Node 1 is the controller only, so cutting two brokers apart leaves both alive for it; a
  // follower that is cut off stays in the ISR for the whole (long) lag window.
  cluster_process c{{{1, true, false}, {2, false, true}, {3, false, true}, {4, false, true}},
                    "group-consumer-session-timeout-ms=6000\n"
                    "offsets-topic-num-partitions=1\n"
                    "min-insync-replicas=2\n"
                    "flush-messages=1\n"
                    "replica-lag-time-max-ms=60000\n",
                    false, "chaos-enable=true\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "1",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  c.cli({"groups", "describe", "--group", "warm-up"});  // creates __consumer_offsets
  int32_t leader = -1;
  REQUIRE(eventually([&] {
    auto l = c.leaders(cafka::group::offsets_topic);
    leader = l.count(0) != 0 ? l[0] : -1;
    return leader > 0;
  }, 30s));
  int32_t cut = leader == 2 ? 3 : 2;             // the follower cut off from the leader
  int32_t other = 9 - leader - cut;              // the follower that keeps up
  INFO("leader " << leader << ", cut-off follower " << cut << ", follower " << other);

  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  cafka::consumer_config cc;
  cc.bootstrap = c.address(other);
  cc.group_id = "g";
  cc.request_timeout_ms = 2000;
  cafka::consumer cons{sys, cc};
  cafka::topic_partition tp{"t", cafka::partition_id{0}};
  REQUIRE(eventually([&] { return !cons.commit_sync({{tp, cafka::log_offset{5}}}); }, 30s));
  REQUIRE(committed_offset(cons, tp) == cafka::log_offset{5});

  // The cut-off follower stays in the ISR but fetches nothing: the high watermark stays.
  REQUIRE(c.cli({"chaos", "partition", "--side", std::to_string(cut), "--other",
                 std::to_string(leader)})
            .exit_code
          == 0);
  // The leader's fsync fails once: the commit's record is in its log but on no ISR, the
  // commit is not acknowledged, and the group's manager stops; its coordinator reloads.
  REQUIRE(c.cli({"chaos", "disk", "--node", std::to_string(leader), "--fault", "fsync",
                 "--duration", "1s"})
            .exit_code
          == 0);
  auto failed = cons.commit_sync({{tp, cafka::log_offset{20}}});
  INFO(cafka::describe(failed));
  CHECK(cafka::errc_of(failed) == cafka::errc::coordinator_load_in_progress);
  // The disk heals, the leader's replica comes back with offset 20 in its log. Until the
  // cut-off follower has it too, the coordinator must not serve it: were the leader to die
  // now, that follower could lead without it, and the committed offset would go back to 5.
  // So the coordinator keeps loading: it serves no offset of the group at all until the high
  // watermark reaches its log end (the positive control below: then it serves 20).
  CHECK(committed_error(cons, tp) == cafka::errc::coordinator_load_in_progress);
  CHECK(cafka::test::stays_false([&] {
    return committed_error(cons, tp) != cafka::errc::coordinator_load_in_progress;
  }, 6s));
  // Once the follower has caught up, the offset is on the ISR: it may be served, and stays.
  REQUIRE(c.cli({"chaos", "heal"}).exit_code == 0);
  REQUIRE(eventually([&] { return committed_offset(cons, tp) == cafka::log_offset{20}; }, 30s));
  REQUIRE(eventually([&] { return !cons.commit_sync({{tp, cafka::log_offset{30}}}); }, 30s));
  CHECK(committed_offset(cons, tp) == cafka::log_offset{30});
}

namespace {

std::string numbers(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += std::to_string(i) + "\n";
  return out;
}

// The row of topic partition t-0 in `groups describe`: GROUP, TOPIC, PARTITION,
// CURRENT-OFFSET, LOG-END-OFFSET, LAG, CONSUMER-ID; empty if there is none.
std::vector<std::string> described_row(const std::string& out) {
  std::istringstream in{out};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::vector<std::string> row;
    for (std::string f; fields >> f;)
      row.push_back(f);
    if (row.size() == 7 && row[1] == "t" && row[2] == "0")
      return row;
  }
  return {};
}

// The CURRENT-OFFSET column of t-0's row, or "" if there is no row.
std::string described_offset(const std::string& out) {
  auto row = described_row(out);
  return row.empty() ? std::string{} : row[3];
}

const std::vector<std::string> create_t{"topics", "create", "--topic", "t", "--partitions", "1"};

// Starts a one-node cluster (one offsets partition) with topic t of one partition holding
// the records "1" to "<records>".
void start_with_topic_t(cafka::testing::node_process& node, int records) {
  node.start();
  REQUIRE(node.wait_ready());
  REQUIRE(node.cli(create_t).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "t"}, numbers(1, records)).exit_code == 0);
}

} // namespace

TEST_CASE("deleting a topic drops the groups' committed offsets for it, also across a "
          "restart, so a topic created again under its name is read from the reset policy",
          "[integration][group]") {
  cafka::testing::node_process node{"offsets-topic-num-partitions=1\n"};
  start_with_topic_t(node, 100);
  auto first = node.cli({"consume", "--topic", "t", "--group", "g", "--from-beginning",
                         "--max-messages", "100", "--timeout-ms", "30000"});
  REQUIRE(first.exit_code == 0);
  REQUIRE(first.out == numbers(1, 100));
  auto before = node.cli({"groups", "describe", "--group", "g"});
  INFO(before.out << before.err);
  REQUIRE(described_offset(before.out) == "100");

  REQUIRE(node.cli({"topics", "delete", "--topic", "t"}).exit_code == 0);
  REQUIRE(node.cli(create_t).exit_code == 0);
  REQUIRE(node.cli({"produce", "--topic", "t"}, numbers(101, 105)).exit_code == 0);
  // The group's manager is started again from what __consumer_offsets holds.
  REQUIRE(node.terminate() == 0);
  node.start();
  REQUIRE(node.wait_ready());

  auto after = node.cli({"groups", "describe", "--group", "g"});
  INFO(after.out << after.err);
  CHECK(described_offset(after.out).empty());
  auto second = node.cli({"consume", "--topic", "t", "--group", "g", "--from-beginning",
                          "--max-messages", "5", "--timeout-ms", "10000"});
  CHECK(second.exit_code == 0);
  CHECK(second.out == numbers(101, 105));
}

TEST_CASE("groups describe shows lag 0, never negative, for a committed offset past the log "
          "end and says the offset is past the end",
          "[integration][group]") {
  cafka::testing::node_process node{"offsets-topic-num-partitions=1\n"};
  start_with_topic_t(node, 3);
  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  cafka::consumer_config cc;
  cc.bootstrap = node.bootstrap();
  cc.group_id = "p";
  cafka::consumer cons{sys, cc};
  cafka::topic_partition tp{"t", cafka::partition_id{0}};
  // A standalone commit (the group has no members) may name any offset.
  REQUIRE(eventually([&] { return !cons.commit_sync({{tp, cafka::log_offset{50}}}); }, 30s));
  auto d = node.cli({"groups", "describe", "--group", "p"});
  INFO(d.out << d.err);
  REQUIRE(d.exit_code == 0);
  CHECK(described_row(d.out) == std::vector<std::string>{"p", "t", "0", "50", "3", "0", "-"});
  CHECK(d.out.find("The committed offset of t-0 (committed 50, log end 3) is past the log "
                   "end")
        != std::string::npos);
}
