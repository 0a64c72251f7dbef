// A consumer group's state machine (KIP-848 server side): joins and leaves rebalance
// incrementally with no partition ever read by two members, deaths free partitions, static
// members come back without a rebalance, and commits are checked.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_state.hpp"

using namespace cafka;
using namespace cafka::group;
using namespace std::chrono_literals;

namespace {

// A consumer as the group sees it: it reads exactly what the last answer assigned.
struct consumer {
  std::string id;
  member_epoch epoch = join_epoch;
  std::string instance;
  std::vector<topic_partition> reads;
  size_t revoked = 0;  // partitions it had to give up so far
};

group_config config() {
  group_config c;
  c.session_timeout = 10s;
  return c;
}

caf::expected<heartbeat_response> beat(group_state& g, consumer& c, clock::time_point now,
                                       std::vector<std::string> topics = {"t"}) {
  heartbeat_request req{c.id, c.epoch, c.instance, std::move(topics), c.reads};
  auto resp = g.heartbeat(req, now);
  if (resp) {
    c.id = resp->member_id;
    c.epoch = resp->member_epoch;
    for (auto& tp : c.reads)
      if (std::find(resp->assignment.begin(), resp->assignment.end(), tp)
          == resp->assignment.end())
        ++c.revoked;
    c.reads = resp->assignment;
  }
  return resp;
}

// No partition is read by two consumers (from the consumers' own records).
void check_exclusive(const std::vector<consumer>& cs) {
  std::set<topic_partition> seen;
  for (auto& c : cs)
    for (auto& tp : c.reads)
      REQUIRE(seen.insert(tp).second);
}

// Heartbeats in random order until every partition of the topic is read and nothing changes.
void settle(group_state& g, std::vector<consumer>& cs, clock::time_point now, std::mt19937& rng,
            size_t partitions) {
  for (int round = 0; round < 200; ++round) {
    auto& c = cs[rng() % cs.size()];
    REQUIRE(beat(g, c, now));
    check_exclusive(cs);
    size_t read = 0;
    bool at_target = true;
    for (auto& v : g.members()) {
      read += v.target.size();
      auto i = std::find_if(cs.begin(), cs.end(), [&](const consumer& x) { return x.id == v.member_id; });
      at_target = at_target && i != cs.end() && i->reads == v.target;
    }
    if (at_target && read == partitions)
      return;
  }
  FAIL("the group did not settle");
}

// Every consumer joins, then the group settles.
void join_all(group_state& g, std::vector<consumer>& cs, clock::time_point now,
              std::mt19937& rng, size_t partitions) {
  for (auto& c : cs)
    REQUIRE(beat(g, c, now));
  settle(g, cs, now, rng, partitions);
}

} // namespace

TEST_CASE("members of a group share a topic, and a join moves only what it must",
          "[group]") {
  std::mt19937 rng{11};
  group_state g{"g", config()};
  g.set_topics({{"t", 12}});
  auto now = clock::time_point{} + 100s;
  std::vector<consumer> cs(4);
  join_all(g, cs, now, rng, 12);
  for (auto& c : cs) {
    CHECK(c.reads.size() == 3);
    c.revoked = 0;  // the first ones to join had more for a while
  }
  // A fifth member: two partitions move to it, nothing else.
  cs.emplace_back();
  REQUIRE(beat(g, cs.back(), now));
  settle(g, cs, now, rng, 12);
  size_t revoked = 0;
  for (auto& c : cs)
    revoked += c.revoked;
  CHECK(revoked == 2);
  CHECK(cs.back().reads.size() == 2);
  // A member dies: its partitions are free at once and go to the others.
  auto dead = cs[1];
  g.member_died(dead.id, now);
  cs.erase(cs.begin() + 1);
  settle(g, cs, now, rng, 12);
  for (auto& c : cs)
    CHECK(c.reads.size() == 3);
  // Its later heartbeats are refused: it must join again.
  auto zombie = beat(g, dead, now);
  REQUIRE_FALSE(zombie);
  CHECK(errc_of(zombie.error()) == errc::unknown_member_id);
}

TEST_CASE("a member whose session lapses is removed and its partitions move", "[group]") {
  std::mt19937 rng{5};
  group_state g{"g", config()};
  g.set_topics({{"t", 6}});
  auto t0 = clock::time_point{} + 100s;
  std::vector<consumer> cs(3);
  join_all(g, cs, t0, rng, 6);
  // Two keep beating; the third hangs.
  auto t1 = t0 + 6s;
  REQUIRE(beat(g, cs[0], t1));
  REQUIRE(beat(g, cs[1], t1));
  CHECK(g.expire(t1).empty());
  auto gone = g.expire(t0 + 10s + 1ms);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == cs[2].id);
  cs.pop_back();
  settle(g, cs, t0 + 11s, rng, 6);
  CHECK(cs[0].reads.size() == 3);
  CHECK(cs[1].reads.size() == 3);
}

TEST_CASE("a static member that comes back within its session gets its partitions back "
          "without a rebalance",
          "[group]") {
  std::mt19937 rng{3};
  group_state g{"g", config()};
  g.set_topics({{"t", 8}});
  auto now = clock::time_point{} + 100s;
  std::vector<consumer> cs(2);
  cs[0].instance = "reader-a";
  cs[1].instance = "reader-b";
  join_all(g, cs, now, rng, 8);
  auto epoch = g.group_epoch();
  auto held = cs[0].reads;
  auto id = cs[0].id;
  // It restarts: leaves for now, then a new process joins with the same instance id.
  heartbeat_request bye{cs[0].id, static_leave_epoch, "reader-a", {"t"}, cs[0].reads};
  REQUIRE(g.heartbeat(bye, now));
  // Meanwhile a second process with the same instance id and the old one's return race:
  // the first to join gets the place.
  consumer back;
  back.instance = "reader-a";
  REQUIRE(beat(g, back, now + 2s));
  CHECK(back.id == id);
  CHECK(back.reads == held);
  CHECK(g.group_epoch() == epoch);
  CHECK(cs[1].revoked == 0);
  REQUIRE(beat(g, cs[1], now + 2s));
  CHECK(cs[1].revoked == 0);
  consumer twin;
  twin.instance = "reader-a";
  auto fenced = beat(g, twin, now + 3s);
  REQUIRE_FALSE(fenced);
  CHECK(errc_of(fenced.error()) == errc::fenced_instance_id);
  CHECK(g.group_epoch() == epoch);
}

TEST_CASE("commits are accepted only from the member that owns the partition", "[group]") {
  std::mt19937 rng{9};
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  std::vector<consumer> cs(2);
  join_all(g, cs, now, rng, 4);
  auto mine = cs[0].reads.at(0);
  CHECK_FALSE(g.check_commit(cs[0].id, cs[0].epoch, mine));
  auto not_mine = g.check_commit(cs[1].id, cs[1].epoch, mine);
  CHECK(errc_of(not_mine) == errc::partition_not_owned);
  CHECK(describe(not_mine).find(to_string(mine)) != std::string::npos);
  CHECK(errc_of(g.check_commit("nobody", member_epoch{1}, mine)) == errc::unknown_member_id);
  CHECK(errc_of(g.check_commit(cs[0].id, cs[0].epoch + 100, mine)) == errc::fenced_member_epoch);
}

TEST_CASE("random joins, leaves and deaths never give a partition two readers", "[group]") {
  std::mt19937 rng{2024};
  group_state g{"g", config()};
  g.set_topics({{"t", 10}});
  auto now = clock::time_point{} + 100s;
  std::vector<consumer> cs(3);
  for (auto& c : cs)
    REQUIRE(beat(g, c, now));
  for (int step = 0; step < 2000; ++step) {
    auto r = rng() % 100;
    if (r < 3) {
      cs.emplace_back();
      REQUIRE(beat(g, cs.back(), now));
    } else if (r < 5 && cs.size() > 1) {
      auto i = rng() % cs.size();
      heartbeat_request bye{cs[i].id, leave_epoch, "", {"t"}, {}};
      REQUIRE(g.heartbeat(bye, now));
      cs.erase(cs.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (r < 7 && cs.size() > 1) {
      auto i = rng() % cs.size();
      g.member_died(cs[i].id, now);
      cs.erase(cs.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      auto& c = cs[rng() % cs.size()];
      if (rng() % 10 == 0) {
        // A lost answer: the consumer does not learn its new assignment; it retries.
        heartbeat_request req{c.id, c.epoch, c.instance, {"t"}, c.reads};
        REQUIRE(g.heartbeat(req, now));
      } else {
        REQUIRE(beat(g, c, now));
      }
    }
    check_exclusive(cs);
  }
  settle(g, cs, now, rng, 10);
}

TEST_CASE("a group rebuilt from its snapshot continues where it was, epochs and all",
          "[group]") {
  std::mt19937 rng{23};
  group_state g{"g", config()};
  g.set_topics({{"t", 8}});
  auto now = clock::time_point{} + 100s;
  std::vector<consumer> cs(3);
  cs[2].instance = "static-2";
  join_all(g, cs, now, rng, 8);
  // A fourth member joins; the others have not yet heard about it when the coordinator
  // moves: the snapshot goes through the record codec as a new coordinator would read it.
  cs.emplace_back();
  REQUIRE(beat(g, cs.back(), now));
  auto rec = decode_group(encode(g.snapshot()));
  REQUIRE(rec);
  group_state h{"g", config(), *rec, {{"t", 8}}, now + 1s};
  h.set_topics({{"t", 8}});  // as metadata arrives: no change, no new epoch
  CHECK(h.group_epoch() == g.group_epoch());
  CHECK(std::string{h.assignor_name()} == g.assignor_name());
  CHECK_FALSE(h.stale_members().empty());  // the old members must give up a partition
  // Every member goes on with the epoch it knows; nobody is fenced and nobody shares.
  settle(h, cs, now + 1s, rng, 8);
  for (auto& c : cs) {
    CHECK(c.reads.size() == 2);
    REQUIRE(beat(h, c, now + 1s));  // confirms what it reads
  }
  CHECK(std::string{h.state_name()} == "Stable");
  CHECK(h.stale_members().empty());
  // The static member's instance id is still taken.
  consumer twin;
  twin.instance = "static-2";
  auto r = beat(h, twin, now + 2s);
  REQUIRE_FALSE(r);
  CHECK(errc_of(r.error()) == errc::fenced_instance_id);
  // Restored members get a fresh session from the takeover.
  CHECK(h.expire(now + 10s).empty());
}

TEST_CASE("__consumer_offsets records decode to what was written and replay newest first",
          "[group]") {
  topic_partition tp{"orders", partition_id{7}};
  auto k = decode_key(offset_key("g1", tp));
  REQUIRE(k);
  CHECK(k->kind == key_kind::offset);
  CHECK(k->group == "g1");
  CHECK(k->tp == tp);
  auto gk = decode_key(group_key("g2"));
  REQUIRE(gk);
  CHECK(gk->kind == key_kind::group);
  CHECK(gk->group == "g2");

  group_loader loader;
  REQUIRE_FALSE(loader.apply(offset_key("g1", tp),
                             encode(offset_record{log_offset{10}, 1, member_epoch{3}})));
  REQUIRE_FALSE(loader.apply(offset_key("g1", tp),
                             encode(offset_record{log_offset{42}, 2, member_epoch{4}})));
  group_record rec;
  rec.assignor = "range";
  rec.group_epoch = member_epoch{9};
  rec.members.push_back(
    {"g1-1-0", "", member_epoch{9}, member_epoch{8}, false, false, {"orders"}, {tp}, {tp}});
  REQUIRE_FALSE(loader.apply(group_key("g1"), encode(rec)));
  REQUIRE_FALSE(loader.apply(offset_key("g3", tp),
                             encode(offset_record{log_offset{5}, 1, no_member_epoch})));
  REQUIRE_FALSE(loader.apply(offset_key("g3", tp), std::nullopt));  // tombstone
  auto& groups = loader.groups();
  REQUIRE(groups.count("g1") == 1);
  CHECK(groups["g1"].offsets.at(tp).offset == log_offset{42});
  REQUIRE(groups["g1"].state);
  CHECK(groups["g1"].state->group_epoch == member_epoch{9});
  REQUIRE(groups["g1"].state->members.size() == 1);
  CHECK(groups["g1"].state->members[0].told == std::vector<topic_partition>{tp});
  CHECK(groups["g3"].offsets.empty());

  // Corrupt keys and values are refused with a clear error, never misread.
  auto bad_key = offset_key("g1", tp);
  bad_key.pop_back();
  CHECK(errc_of(loader.apply(bad_key, encode(offset_record{}))) == errc::corrupt_message);
  auto bad_value = encode(rec);
  bad_value.resize(bad_value.size() / 2);
  CHECK(errc_of(loader.apply(group_key("g1"), bad_value)) == errc::corrupt_message);
  CHECK(errc_of(loader.apply(std::string(3, '\x7f'), std::nullopt)) == errc::corrupt_message);
  // Every group maps to one partition in range.
  for (auto name : {"a", "g1", "a-much-longer-group-name"}) {
    auto p = partition_for_group(name, 12);
    CHECK(p >= 0);
    CHECK(p < 12);
  }
}

TEST_CASE("a join retried with the member's own id is the same member, and a static member "
          "that comes back under a new id fences its previous incarnation",
          "[group]") {
  std::mt19937 rng{31};
  group_state g{"g", config()};
  g.set_topics({{"t", 4}});
  auto now = clock::time_point{} + 100s;
  std::vector<consumer> cs(2);
  cs[0].id = "client-chosen-a";
  cs[1].id = "client-chosen-b";
  cs[1].instance = "box-b";
  join_all(g, cs, now, rng, 4);
  CHECK(g.members().size() == 2);
  CHECK(cs[0].id == "client-chosen-a");
  // The answer to a's join got lost: it joins again with the same id and nothing owned.
  consumer retry;
  retry.id = "client-chosen-a";
  auto r = beat(g, retry, now);
  REQUIRE(r);
  CHECK(r->member_id == "client-chosen-a");
  CHECK(r->assignment == cs[0].reads);  // what it had: nobody else got it meanwhile
  CHECK(g.members().size() == 2);       // no ghost member
  // b's process dies and a new one starts with a new member id and the same instance id.
  auto epoch = g.group_epoch();
  g.member_died(cs[1].id, now);
  consumer reborn;
  reborn.id = "client-chosen-b2";
  reborn.instance = "box-b";
  auto b2 = beat(g, reborn, now + 1s);
  REQUIRE(b2);
  CHECK(b2->member_id == "client-chosen-b2");
  CHECK(b2->assignment == cs[1].reads);
  CHECK(g.group_epoch() == epoch);  // no rebalance
  // The old incarnation (say it was only cut off) is no longer a member.
  auto old = beat(g, cs[1], now + 1s);
  REQUIRE_FALSE(old);
  CHECK(errc_of(old.error()) == errc::unknown_member_id);
  // A heartbeat with an epoch but no member id is refused instead of joining.
  consumer nobody;
  nobody.epoch = member_epoch{3};
  auto n = beat(g, nobody, now);
  REQUIRE_FALSE(n);
  CHECK(errc_of(n.error()) == errc::unknown_member_id);
}

TEST_CASE("a group rebuilt with a target that takes a partition from a member in its epoch "
          "moves to a new epoch",
          "[group]") {
  // Member a was told both partitions in epoch 5; b joined in the same epoch with nothing.
  // Rebuilt, the balanced target takes one from a: that revocation needs a new epoch, so
  // that within one member epoch an assignment only grows.
  topic_partition t0{"t", partition_id{0}}, t1{"t", partition_id{1}};
  group_record rec;
  rec.assignor = "cooperative-sticky";
  rec.group_epoch = member_epoch{5};
  rec.members.push_back({"a", "", member_epoch{5}, member_epoch{4}, true, false, {"t"}, {t0, t1},
                         {t0, t1}});
  rec.members.push_back({"b", "", member_epoch{5}, member_epoch{4}, true, false, {"t"}, {}, {}});
  auto now = clock::time_point{} + 100s;
  group_state g{"g", config(), rec, {{"t", 2}}, now};
  CHECK(g.group_epoch() == member_epoch{6});
  auto a = g.heartbeat({"a", member_epoch{5}, "", {"t"}, {t0, t1}}, now);
  REQUIRE(a);
  CHECK(a->member_epoch == member_epoch{6});
  CHECK(a->assignment.size() == 1);
  // A target that only gives members more keeps the epoch.
  rec.members[1].topics = {"u"};
  group_state h{"g", config(), rec, {{"t", 2}}, now};
  CHECK(h.group_epoch() == member_epoch{5});
}
