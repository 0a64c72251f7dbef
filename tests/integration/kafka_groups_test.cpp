// Classic Kafka consumers in cafka's server-side groups, across real processes: kafka-python
// (eager range), librdkafka through confluent-kafka (eager range and cooperative-sticky) and
// two cafka actor members (the group_consumer example) share one group over a 12-partition
// topic. No partition is ever owned twice; a SIGKILLed member's partitions move after its
// session and a leaving member's at once; committed offsets survive the death and restart of
// the group coordinator's broker; and the group ends with zero lag, as kafka-python's admin
// client and `cafka groups describe` both see it. The Python members are
// tests/integration/kafka/group_member.py.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <memory>
#include <set>
#include <sstream>

#include "runtime/group/group_records.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/background_process.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/kafka_clients.hpp"
#include "tests/integration/member_process.hpp"

using cafka::test::eventually;
using cafka::testing::background_process;
using cafka::testing::cluster_process;
using cafka::testing::kafka_address;
using cafka::testing::member_events;
using cafka::testing::member_process;
using cafka::testing::node_spec;
using namespace std::chrono_literals;

namespace {

const std::string python = "/usr/bin/python3";
const std::string scripts = std::string{CAFKA_SOURCE_DIR} + "/tests/integration/kafka/";

// Short sessions for the actor members (the Python ones set 6 s themselves).
const std::string group_defaults = "group-consumer-session-timeout-ms=6000\n"
                                   "group-consumer-heartbeat-interval-ms=500\n"
                                   "offsets-topic-num-partitions=3\n";

// How often the tests poll their predicates (they read files or run commands).
constexpr auto poll_every = 100ms;

// One member of the group: a Python client or an actor member, and its events file.
struct member {
  std::string name;
  std::string events;
  std::unique_ptr<background_process> py;
  std::unique_ptr<member_process> actor;
  bool running = true;
  int64_t killed_at = -1;  // Unix ms of a SIGKILL
};

using members = std::vector<member>;

member python_member(const cluster_process& c, int32_t via, const std::string& client,
                     const std::string& strategy, const std::string& name,
                     int session_ms = 6000) {
  member m;
  m.name = name;
  m.events = c.dir() + "/" + name + ".events";
  m.py = std::make_unique<background_process>(
    python, std::vector<std::string>{scripts + "group_member.py", client, kafka_address(c, via),
                                     "t", "kg", m.events, strategy,
                                     std::to_string(session_ms)});
  return m;
}

member actor_member(const cluster_process& c, int32_t via, const std::string& name) {
  member m;
  m.name = name;
  m.events = c.dir() + "/" + name + ".events";
  m.actor = std::make_unique<member_process>(c.address(via), "t", "kg", m.events);
  m.actor->start();
  return m;
}

std::vector<member_events> read_all(const members& ms) {
  std::vector<member_events> out;
  for (auto& m : ms)
    out.push_back(cafka::testing::read_events(m.events));
  return out;
}

// The running members hold `sizes` partitions (in any order) and together all 12.
bool spread(const members& ms, std::vector<size_t> sizes) {
  auto evs = read_all(ms);
  std::vector<size_t> got;
  std::set<cafka::topic_partition> all;
  for (size_t i = 0; i < ms.size(); ++i) {
    if (!ms[i].running)
      continue;
    got.push_back(evs[i].held.size());
    all.insert(evs[i].held.begin(), evs[i].held.end());
  }
  std::sort(got.begin(), got.end());
  std::sort(sizes.begin(), sizes.end());
  return got == sizes && all.size() == 12;
}

std::string holdings(const members& ms) {
  std::ostringstream out;
  auto evs = read_all(ms);
  for (size_t i = 0; i < ms.size(); ++i) {
    out << ms[i].name << (ms[i].running ? "" : " (stopped)") << ":";
    for (auto& tp : evs[i].held)
      out << " " << tp.partition;
    out << "\n";
  }
  return out.str();
}

// No partition was held by two members at once, from the members' own events (a member
// killed holds nothing after its death).
void check_exclusive(const members& ms) {
  std::map<size_t, int64_t> killed_at;
  for (size_t i = 0; i < ms.size(); ++i)
    if (ms[i].killed_at >= 0)
      killed_at[i] = ms[i].killed_at;
  for (auto& o : cafka::testing::overlapping_holds(read_all(ms), killed_at))
    FAIL_CHECK(o);
}

bool processed_all(const members& ms, int sent) {
  std::set<std::string> seen;
  for (auto& e : read_all(ms))
    for (auto& r : e.records)
      seen.insert(r.value);
  for (int i = 0; i < sent; ++i)
    if (seen.count("v" + std::to_string(i)) == 0)
      return false;
  return true;
}

void produce(const cluster_process& c, int from, int to) {
  std::string input;
  for (int i = from; i < to; ++i)
    input += "k" + std::to_string(i) + ":v" + std::to_string(i) + "\n";
  auto r = c.cli({"produce", "--topic", "t", "--key-separator", ":"}, input);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

// Committed offset per partition from `cafka groups describe`, and the lag it shows.
struct described {
  std::map<int32_t, int64_t> committed;
  int64_t lag = 0;
  bool all_known = true;  // every row has a log end and a lag
  std::string text;
};

described describe(const cluster_process& c, int32_t via) {
  described d;
  d.text = c.cli({"groups", "describe", "--group", "kg"}, {}, via).out;
  std::istringstream in{d.text};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls{line};
    std::string g, topic, part, cur, end, lag;
    if (!(ls >> g >> topic >> part >> cur >> end >> lag) || g != "kg" || topic != "t")
      continue;
    if (cur != "-")
      d.committed[std::stoi(part)] = std::stoll(cur);
    if (lag == "-")
      d.all_known = false;
    else
      d.lag += std::stoll(lag);
  }
  return d;
}

} // namespace

TEST_CASE("kafka-python, librdkafka (eager and cooperative) and actor members share a group "
          "with no partition owned twice, hand partitions over when killed or leaving, keep "
          "their commits across the coordinator's restart and end with zero lag",
          "[integration][kafka][group]") {
  std::vector<node_spec> nodes;
  for (int i = 1; i <= 3; ++i)
    nodes.push_back({i, true, true});
  cluster_process c{nodes, group_defaults, true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "12",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  // Where will the group's coordinator run? Describing a group creates __consumer_offsets.
  c.cli({"groups", "describe", "--group", "warm-up"});
  int32_t coordinator = -1;
  REQUIRE(eventually([&] {
    auto l = c.leaders(cafka::group::offsets_topic);
    auto p = cafka::group::partition_for_group("kg", 3);
    coordinator = l.count(p) != 0 ? l[p] : -1;
    return coordinator > 0;
  }, 30s, poll_every));
  int32_t via = coordinator % 3 + 1;  // every client bootstraps through a node that stays
  int sent = 0;
  produce(c, sent, sent + 1200);
  sent += 1200;

  members ms;
  ms.push_back(python_member(c, via, "kafka-python", "range", "kafka-python"));
  // Its session (60 s) outlasts the waits below, so its partitions can move only by its
  // LeaveGroup.
  ms.push_back(python_member(c, via, "confluent", "range", "rdkafka-range", 60000));
  ms.push_back(python_member(c, via, "confluent", "cooperative-sticky", "rdkafka-coop"));
  ms.push_back(actor_member(c, via, "actor-1"));
  ms.push_back(actor_member(c, via, "actor-2"));
  {
    INFO(holdings(ms));
    REQUIRE(eventually([&] { return spread(ms, {3, 3, 2, 2, 2}); }, 60s, poll_every));
  }
  REQUIRE(eventually([&] { return processed_all(ms, sent); }, 60s, poll_every));
  check_exclusive(ms);
  auto d = describe(c, via);
  CHECK(d.text.find("5 member(s)") != std::string::npos);
  CHECK(d.text.find("classic:range") != std::string::npos);
  CHECK(d.text.find("classic:cooperative-sticky") != std::string::npos);
  CHECK(d.text.find(" actor ") != std::string::npos);

  // SIGKILL the kafka-python member: a classic member is not monitored, its partitions move
  // once its session (6 s) is over.
  ms[0].killed_at = cafka::testing::unix_ms();
  ms[0].py->signal(SIGKILL);
  ms[0].running = false;
  {
    INFO(holdings(ms));
    REQUIRE(eventually([&] { return spread(ms, {3, 3, 3, 3}); }, 40s, poll_every));
  }
  CHECK(cafka::testing::unix_ms() - ms[0].killed_at >= 5000);  // not before its session
  // The eager librdkafka member leaves (close sends LeaveGroup): its partitions move long
  // before its 60 s session could end.
  ms[1].py->signal(SIGTERM);
  CHECK(ms[1].py->wait(30s) == 0);
  ms[1].running = false;
  {
    INFO(holdings(ms));
    REQUIRE(eventually([&] { return spread(ms, {4, 4, 4}); }, 30s, poll_every));
  }
  produce(c, sent, sent + 1200);
  sent += 1200;
  REQUIRE(eventually([&] { return processed_all(ms, sent); }, 60s, poll_every));
  REQUIRE(eventually([&] { return describe(c, via).committed.size() == 12; }, 30s, poll_every));
  auto before = describe(c, via).committed;

  // The group coordinator's broker dies and comes back: the group and its commits live on
  // in the replicated __consumer_offsets partition.
  c.kill9(coordinator);
  REQUIRE(eventually([&] {
    auto t = describe(c, via).text;
    return t.find("coordinator " + std::to_string(coordinator)) == std::string::npos
           && t.find("coordinator ") != std::string::npos;
  }, 40s, poll_every));
  auto after = describe(c, via).committed;
  for (auto& [p, off] : before) {
    INFO("partition " << p);
    CHECK(after[p] >= off);
  }
  c.start(coordinator);
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s, poll_every));
  produce(c, sent, sent + 1200);
  sent += 1200;
  {
    INFO(holdings(ms));
    REQUIRE(eventually([&] { return processed_all(ms, sent); }, 90s, poll_every));
  }
  {
    INFO(holdings(ms));
    REQUIRE(eventually([&] { return spread(ms, {4, 4, 4}); }, 60s, poll_every));
  }

  // Zero lag, as kafka-python's admin client sees it and as `cafka groups describe` does.
  std::string last;
  REQUIRE(eventually([&] {
    auto r = cafka::testing::run(python, {scripts + "group_lag.py", kafka_address(c, via), "kg",
                                          "t"});
    last = r.out + r.err;
    return r.exit_code == 0 && r.out.find("\nlag 0\n") != std::string::npos;
  }, 60s, poll_every));
  INFO(last);
  CHECK(last.find("listed kg consumer") != std::string::npos);
  CHECK(last.find("protocol_type consumer") != std::string::npos);
  CHECK(last.find("confluent-cooperative-sticky 4") != std::string::npos);
  d = describe(c, via);
  INFO(d.text);
  CHECK(d.committed.size() == 12);
  CHECK(d.all_known);
  CHECK(d.lag == 0);
  CHECK(d.text.find("3 member(s)") != std::string::npos);
  check_exclusive(ms);
}

TEST_CASE("a broker that does not coordinate a group answers NOT_COORDINATOR, a classic member "
          "outlives its connection but not its session, and stale heartbeats do not renew it, "
          "forged member ids, oversized groups and refused joins change nothing",
          "[integration][kafka][group]") {
  cluster_process c{{{1, true, true}, {2, false, true}}, group_defaults, true};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(2); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "p", "--partitions", "4"}).exit_code == 0);
  c.cli({"groups", "describe", "--group", "warm-up"});  // creates __consumer_offsets
  std::string out;
  auto ran = eventually([&] {
    auto r = cafka::testing::run(python, {scripts + "classic_probe.py", kafka_address(c, 1),
                                          kafka_address(c, 2), "probe", "p"});
    out = r.out + r.err;
    return r.exit_code == 0 && out.find("find 0 ") != std::string::npos;
  }, 60s, poll_every);
  INFO(out);
  REQUIRE(ran);
  CHECK(out.find("join-other 16\n") != std::string::npos);
  CHECK(out.find("join-connect 23\n") != std::string::npos);
  CHECK(out.find("join 0 range '' True\n") != std::string::npos);
  CHECK(out.find("sync 0 4\n") != std::string::npos);
  CHECK(out.find("heartbeat 0\n") != std::string::npos);
  CHECK(out.find("heartbeat-stale 22\n") != std::string::npos);
  CHECK(out.find("join-forged 25\n") != std::string::npos);
  CHECK(out.find("join-huge -1\n") != std::string::npos);  // UNKNOWN_SERVER_ERROR, as Kafka
  CHECK(out.find("heartbeat-after-huge 0\n") != std::string::npos);
  CHECK(out.find("join-after-huge 0\n") != std::string::npos);
  CHECK(out.find("join-ghost 26\n") != std::string::npos);
  CHECK(out.find("ghost-state 0 Dead\n") != std::string::npos);
  CHECK(out.find("heartbeat-expired 25 True\n") != std::string::npos);
}
