// Consumer groups across real processes: members (the group_consumer example, one process
// each) share a topic with no partition ever owned twice, a join moves only what it must, a
// killed member's partitions move at once, static members come back without a rebalance,
// processing is at-least-once across rebalances and the death of the group manager's
// broker, committed offsets never go backwards, and bad input gets clear errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include "cafka/consumer.hpp"
#include "cafka/producer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"
#include "cafka/eventually.hpp"
#include "tests/integration/client_config.hpp"
#include "tests/integration/cluster_process.hpp"
#include "tests/integration/member_process.hpp"

using cafka::test::eventually;
using cafka::testing::client_config;
using cafka::testing::cluster_process;
using cafka::testing::member_process;
using cafka::testing::node_spec;
using namespace std::chrono_literals;

namespace {

// Short sessions so that the tests' deadlines (one session) stay small.
const std::string group_defaults = "group-consumer-session-timeout-ms=6000\n"
                                   "group-consumer-heartbeat-interval-ms=500\n"
                                   "offsets-topic-num-partitions=3\n";

std::vector<node_spec> combined(int n) {
  std::vector<node_spec> out;
  for (int i = 1; i <= n; ++i)
    out.push_back({i, true, true});
  return out;
}

// How often the tests poll their predicates (they read files or run commands).
constexpr auto poll_every = 50ms;

using members = std::vector<std::unique_ptr<member_process>>;

// The partitions the member of events file `file` holds and was assigned at or after `since`
// (Unix ms).
std::set<cafka::topic_partition> assigned_since(const std::string& file, int64_t since) {
  std::set<cafka::topic_partition> out;
  auto ev = cafka::testing::read_events(file);
  for (auto& tp : ev.held)
    if (!ev.holds[tp].empty() && ev.holds[tp].back().from >= since)
      out.insert(tp);
  return out;
}

std::vector<cafka::testing::member_events> read_all(const members& ms) {
  std::vector<cafka::testing::member_events> out;
  for (auto& m : ms)
    out.push_back(cafka::testing::read_events(m->events_file()));
  return out;
}

// The members that run hold `sizes` partitions (sorted) and together all `total`.
bool spread(const members& ms, std::vector<size_t> sizes, size_t total) {
  auto evs = read_all(ms);
  std::vector<size_t> got;
  std::set<cafka::topic_partition> all;
  for (size_t i = 0; i < ms.size(); ++i) {
    if (!ms[i]->running())
      continue;
    got.push_back(evs[i].held.size());
    all.insert(evs[i].held.begin(), evs[i].held.end());
  }
  std::sort(got.begin(), got.end());
  std::sort(sizes.begin(), sizes.end());
  return got == sizes && all.size() == total;
}

// No partition was held by two members at once, from the members' own records. A member
// killed at `killed_at[i]` held nothing after that.
void check_exclusive(const members& ms, const std::map<size_t, int64_t>& killed_at) {
  for (auto& o : cafka::testing::overlapping_holds(read_all(ms), killed_at))
    FAIL_CHECK(o);
}

size_t revocations(const members& ms) {
  size_t n = 0;
  for (auto& e : read_all(ms))
    n += e.revoked;
  return n;
}

// Committed offset per partition from `groups describe` ("-" rows are skipped).
std::map<int32_t, int64_t> committed(const cluster_process& c, const std::string& group,
                                     int32_t via, std::string* out = nullptr) {
  auto r = c.cli({"groups", "describe", "--group", group}, {}, via);
  if (out != nullptr)
    *out = r.out;
  std::map<int32_t, int64_t> res;
  std::istringstream in{r.out};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls{line};
    std::string g, topic, part, cur, end;
    if (!(ls >> g >> topic >> part >> cur >> end) || g != group || cur == "-")
      continue;
    res[std::stoi(part)] = std::stoll(cur);
  }
  return res;
}

} // namespace

TEST_CASE("4 group members share 12 partitions, a 5th moves only what it must, a killed "
          "member's partitions move at once, and no partition ever has two owners",
          "[integration][group]") {
  cluster_process c{combined(3), group_defaults};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "t", "--partitions", "12",
                 "--replication-factor", "2"})
            .exit_code
          == 0);
  members ms;
  for (int i = 0; i < 4; ++i) {
    ms.push_back(std::make_unique<member_process>(
      c.address(1), "t", "g", c.dir() + "/member-" + std::to_string(i) + ".events"));
    ms.back()->start();
  }
  REQUIRE(eventually([&] { return spread(ms, {3, 3, 3, 3}, 12); }, 30s, poll_every));
  auto before = revocations(ms);
  // A fifth member: two partitions move to it, nothing else is revoked.
  ms.push_back(std::make_unique<member_process>(c.address(2), "t", "g",
                                                c.dir() + "/member-4.events"));
  ms.back()->start();
  REQUIRE(eventually([&] { return spread(ms, {2, 2, 2, 3, 3}, 12); }, 30s, poll_every));
  CHECK(revocations(ms) - before == 2);
  check_exclusive(ms, {});
  // SIGKILL: the manager's monitor frees its partitions at once; within a session they run
  // on the others again.
  auto killed_at = cafka::testing::unix_ms();
  ms[0]->kill9();
  REQUIRE(eventually([&] { return spread(ms, {3, 3, 3, 3}, 12); }, 6s, poll_every));
  check_exclusive(ms, {{0, killed_at}});
  auto desc = c.cli({"groups", "describe", "--group", "g"});
  CHECK(desc.out.find("4 member(s)") != std::string::npos);
}

TEST_CASE("group members process every record at least once across rebalances and the death "
          "of the group manager's broker, and committed offsets never go backwards",
          "[integration][group]") {
  cluster_process c{combined(3), group_defaults + "min-insync-replicas=2\n"};
  c.start_all();
  REQUIRE(eventually([&] { return c.brokers_alive(3); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "orders", "--partitions", "6",
                 "--replication-factor", "3"})
            .exit_code
          == 0);
  // Where will the group's manager run? Describing a group creates __consumer_offsets.
  c.cli({"groups", "describe", "--group", "warm-up"});
  int32_t manager = -1;
  REQUIRE(eventually([&] {
    auto l = c.leaders(cafka::group::offsets_topic);
    auto p = cafka::group::partition_for_group("ag", 3);
    manager = l.count(p) != 0 ? l[p] : -1;
    return manager > 0;
  }, 30s, poll_every));
  int32_t survivor = manager % 3 + 1;  // clients bootstrap through a node that stays
  members ms;
  for (int i = 0; i < 3; ++i) {
    ms.push_back(std::make_unique<member_process>(
      c.address(survivor), "orders", "ag", c.dir() + "/member-" + std::to_string(i) + ".events"));
    ms.back()->start();
  }
  REQUIRE(eventually([&] { return spread(ms, {2, 2, 2}, 6); }, 30s, poll_every));

  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  cafka::producer_config pc;
  pc.bootstrap = c.address(survivor);
  pc.enable_idempotence = true;
  cafka::producer prod{sys, pc};
  int sent = 0;
  std::map<int32_t, int64_t> last_committed;
  auto check_committed = [&] {
    auto now = committed(c, "ag", survivor);
    for (auto& [p, off] : now) {
      auto i = last_committed.find(p);
      if (i != last_committed.end()) {
        INFO("partition " << p);
        CHECK(off >= i->second);  // I4: never backwards
      }
      last_committed[p] = off;
    }
  };
  auto produce = [&](int n) {
    for (int i = 0; i < n; ++i, ++sent) {
      cafka::producer_record r;
      r.topic = "orders";
      r.key = "k" + std::to_string(sent % 97);
      r.value = "v" + std::to_string(sent);
      REQUIRE(!prod.send(r));
    }
    REQUIRE(!prod.flush(60s));
    check_committed();
  };
  produce(1000);
  // A member joins (a rebalance) while records flow.
  ms.push_back(std::make_unique<member_process>(c.address(survivor), "orders", "ag",
                                                c.dir() + "/member-3.events"));
  ms.back()->start();
  produce(1000);
  REQUIRE(eventually([&] { return spread(ms, {1, 1, 2, 2}, 6); }, 30s, poll_every));
  check_committed();
  // The group manager's broker dies: another replica of its __consumer_offsets partition
  // takes over with the committed offsets and the group's members.
  c.kill9(manager);
  produce(1000);
  REQUIRE(eventually([&] {
    auto d = c.cli({"groups", "describe", "--group", "ag"}, {}, survivor).out;
    return d.find("coordinator " + std::to_string(manager)) == std::string::npos
           && d.find("coordinator ") != std::string::npos && d.find("4 member(s)") != std::string::npos;
  }, 30s, poll_every));
  // And a member dies.
  auto killed_at = cafka::testing::unix_ms();
  ms[1]->kill9();
  produce(1000);
  check_committed();
  std::set<std::string> want;
  for (int i = 0; i < sent; ++i)
    want.insert("v" + std::to_string(i));
  REQUIRE(eventually([&] {
    std::set<std::string> seen;
    for (auto& e : read_all(ms))
      for (auto& r : e.records)
        seen.insert(r.value);
    return std::includes(seen.begin(), seen.end(), want.begin(), want.end());
  }, 60s, poll_every));
  // Everything processed is committed in the end (auto commit), and it survived.
  std::string last;
  REQUIRE(eventually([&] {
    check_committed();
    auto now = committed(c, "ag", survivor, &last);
    int64_t total = 0;
    for (auto& kv : now)
      total += kv.second;
    return now.size() == 6 && total == sent;
  }, 60s, poll_every));
  INFO(last);
  check_committed();
  check_exclusive(ms, {{1, killed_at}});
}

TEST_CASE("two groups on one topic each get every record, and a consumer without a group "
          "gets a unique group of its own",
          "[integration][group]") {
  cluster_process c{combined(1), group_defaults};
  c.start(1);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "shared", "--partitions", "4"}).exit_code == 0);
  std::string input;
  for (int i = 0; i < 400; ++i)
    input += "k" + std::to_string(i) + ":v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "shared", "--key-separator", ":"}, input).exit_code == 0);

  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  auto make = [&](const std::string& group) {
    cafka::consumer_config cc;
    cc.bootstrap = c.address(1);
    cc.group_id = group;
    cc.auto_offset_reset = cafka::offset_reset::earliest;
    auto cons = std::make_unique<cafka::consumer>(sys, cc);
    cons->subscribe({"shared"});
    return cons;
  };
  std::vector<std::unique_ptr<cafka::consumer>> cs;
  cs.push_back(make("ga"));
  cs.push_back(make("ga"));
  cs.push_back(make("gb"));
  cs.push_back(make(""));  // no group: a unique one
  std::vector<std::set<std::string>> got(3);  // group a, group b, no group
  size_t slot[] = {0, 0, 1, 2};
  REQUIRE(eventually([&] {
    for (size_t i = 0; i < cs.size(); ++i)
      for (auto& b : cs[i]->poll(20ms))
        for (auto& r : b.records)
          got[slot[i]].insert(r.value);
    return got[0].size() == 400 && got[1].size() == 400 && got[2].size() == 400;
  }, 60s));
  // The two members of ga split the topic (once a rebalance in progress has settled).
  CHECK(eventually([&] {
    for (auto& cons : cs)
      cons->poll(5ms);
    return cs[0]->assignment().size() == 2 && cs[1]->assignment().size() == 2
           && cs[3]->assignment().size() == 4;
  }, 30s));
  auto list = c.cli({"groups", "list"});
  CHECK(list.out.find("ga\n") != std::string::npos);
  CHECK(list.out.find("gb\n") != std::string::npos);
  CHECK(list.out.find("cafka-consumer-") != std::string::npos);
}

TEST_CASE("a static member that restarts within its session gets its partitions back with no "
          "rebalance",
          "[integration][group]") {
  cluster_process c{combined(1), group_defaults};
  c.start(1);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "s", "--partitions", "4"}).exit_code == 0);
  members ms;
  ms.push_back(std::make_unique<member_process>(c.address(1), "s", "sg",
                                                c.dir() + "/static.events", "instance-a"));
  ms.push_back(std::make_unique<member_process>(c.address(1), "s", "sg",
                                                c.dir() + "/dynamic.events"));
  ms[0]->start();
  ms[1]->start();
  REQUIRE(eventually([&] { return spread(ms, {2, 2}, 4); }, 30s, poll_every));
  // Settled: every member confirmed what it holds.
  std::string desc;
  REQUIRE(eventually([&] {
    desc = c.cli({"groups", "describe", "--group", "sg"}).out;
    return desc.find("state Stable") != std::string::npos;
  }, 30s, poll_every));
  auto epoch_line = desc.substr(0, desc.find('\n'));
  auto held_before = cafka::testing::read_events(ms[0]->events_file()).held;
  auto other_before = cafka::testing::read_events(ms[1]->events_file());
  auto killed_at = cafka::testing::unix_ms();
  ms[0]->kill9();
  ms[0]->start();
  // The new process is assigned the same partitions (its events file still lists what the
  // killed one held: only assignments after the kill count).
  REQUIRE(eventually([&] {
    return assigned_since(ms[0]->events_file(), killed_at) == held_before;
  }, 6s, poll_every));
  // I5: the other member saw nothing happen, and the group epoch did not move.
  auto other_after = cafka::testing::read_events(ms[1]->events_file());
  CHECK(other_after.holds == other_before.holds);
  CHECK(other_after.revoked == other_before.revoked);
  auto now = c.cli({"groups", "describe", "--group", "sg"}).out;
  CHECK(now.substr(0, now.find('\n')).find(epoch_line.substr(epoch_line.find("group epoch")))
        != std::string::npos);
  // A second live member with the same group.instance.id is fenced.
  member_process twin{c.address(1), "s", "sg", c.dir() + "/twin.events", "instance-a"};
  twin.start();
  REQUIRE(eventually([&] {
    std::ifstream in{twin.events_file() + ".out"};
    std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    return text.find("fenced_instance_id") != std::string::npos;
  }, 30s, poll_every));
}

TEST_CASE("group bad input gets clear errors: a commit for a partition not owned, an unknown "
          "group, an invalid assignor, a group id too long",
          "[integration][group]") {
  cluster_process c{combined(1), group_defaults};
  c.start(1);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "b", "--partitions", "2"}).exit_code == 0);
  auto unknown = c.cli({"groups", "describe", "--group", "no-such-group"});
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.err.find("group_id_not_found: group 'no-such-group' does not exist")
        != std::string::npos);
  auto bad = c.cli({"consume", "--topic", "b", "--group", "x", "--assignor", "fastest"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("unsupported_assignor") != std::string::npos);
  CHECK(bad.err.find("fastest") != std::string::npos);
  // A group id no Kafka string can hold (its key in __consumer_offsets could not either).
  auto huge = c.cli({"groups", "describe", "--group", std::string(32768, 'g')});
  CHECK(huge.exit_code != 0);
  CHECK(huge.err.find("invalid_group_id: the group id is longer than 32767 bytes")
        != std::string::npos);

  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  cafka::consumer_config cc;
  cc.bootstrap = c.address(1);
  cc.group_id = "bg";
  cafka::consumer a{sys, cc};
  cafka::consumer b{sys, cc};
  a.subscribe({"b"});
  b.subscribe({"b"});
  REQUIRE(eventually([&] {
    a.poll(20ms);
    b.poll(20ms);
    return a.assignment().size() == 1 && b.assignment().size() == 1;
  }, 30s));
  auto theirs = *b.assignment().begin();
  auto err = a.commit_sync({{theirs, cafka::log_offset{5}}});
  CHECK(cafka::errc_of(err) == cafka::errc::partition_not_owned);
  // Its own partition commits fine and reads back.
  auto mine = *a.assignment().begin();
  REQUIRE(!a.commit_sync({{mine, cafka::log_offset{1}}}));
  auto back = a.committed({mine});
  REQUIRE(back);
  REQUIRE(back->size() == 1);
  CHECK(back->front().offset == cafka::log_offset{1});
  // A consumer outside the group may not commit while the group has members.
  cafka::consumer outsider{sys, cc};
  outsider.assign({mine});
  CHECK(cafka::errc_of(outsider.commit_sync({{mine, cafka::log_offset{7}}}))
        == cafka::errc::unknown_member_id);
}

TEST_CASE("a member that stops polling leaves after max.poll.interval.ms, its partitions move, "
          "and it rejoins when it polls again",
          "[integration][group]") {
  cluster_process c{combined(1), group_defaults};
  c.start(1);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "mp", "--partitions", "2"}).exit_code == 0);
  std::string input;
  for (int i = 0; i < 200; ++i)
    input += "k" + std::to_string(i) + ":v" + std::to_string(i) + "\n";
  REQUIRE(c.cli({"produce", "--topic", "mp", "--key-separator", ":"}, input).exit_code == 0);
  caf::actor_system_config cfg;
  caf::actor_system sys{client_config(cfg)};
  cafka::consumer_config cc;
  cc.bootstrap = c.address(1);
  cc.group_id = "mpg";
  cc.auto_offset_reset = cafka::offset_reset::earliest;
  cc.max_poll_interval_ms = 1000;
  cafka::consumer busy{sys, cc};
  cafka::consumer stuck{sys, cc};
  busy.subscribe({"mp"});
  stuck.subscribe({"mp"});
  REQUIRE(eventually([&] {
    busy.poll(20ms);
    stuck.poll(20ms);
    return busy.assignment().size() == 1 && stuck.assignment().size() == 1;
  }, 30s));
  // New records reach both; `stuck` is not polled any more, so its batch waits unprocessed.
  REQUIRE(c.cli({"produce", "--topic", "mp", "--key-separator", ":"}, input).exit_code == 0);
  // After max.poll.interval.ms with a batch it did not take, `stuck` leaves the group.
  REQUIRE(eventually([&] {
    busy.poll(20ms);
    return busy.assignment().size() == 2;
  }, 20s));
  // Polling again: it rejoins and the partitions are shared again.
  REQUIRE(eventually([&] {
    busy.poll(20ms);
    stuck.poll(20ms);
    return busy.assignment().size() == 1 && stuck.assignment().size() == 1;
  }, 30s));
}

TEST_CASE("a hung member loses its partitions when its session times out and joins again "
          "when it wakes up",
          "[integration][group]") {
  cluster_process c{combined(1), "group-consumer-session-timeout-ms=2000\n"
                                 "group-consumer-heartbeat-interval-ms=200\n"
                                 "offsets-topic-num-partitions=1\n"};
  c.start(1);
  REQUIRE(eventually([&] { return c.brokers_alive(1); }, 30s, poll_every));
  REQUIRE(c.cli({"topics", "create", "--topic", "h", "--partitions", "4"}).exit_code == 0);
  members ms;
  for (int i = 0; i < 2; ++i) {
    ms.push_back(std::make_unique<member_process>(
      c.address(1), "h", "hg", c.dir() + "/member-" + std::to_string(i) + ".events"));
    ms.back()->start();
  }
  REQUIRE(eventually([&] { return spread(ms, {2, 2}, 4); }, 30s, poll_every));
  // SIGSTOP: no down message, only the session (2 s) can tell.
  ms[0]->stop();
  REQUIRE(eventually([&] {
    return cafka::testing::read_events(ms[1]->events_file()).held.size() == 4;
  }, 10s, poll_every));
  // Awake again: the group no longer knows it, so it drops everything (lost) and rejoins.
  ms[0]->resume();
  REQUIRE(eventually([&] {
    auto e = cafka::testing::read_events(ms[0]->events_file());
    bool lost = false;
    for (auto& [tp, hs] : e.holds)
      for (auto& h : hs)
        lost = lost || h.lost;
    return lost && spread(ms, {2, 2}, 4);
  }, 30s, poll_every));
}
