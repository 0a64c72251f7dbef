// The simulation's clock, network and main loop (group_core_sim.hpp).
#include "tests/runtime/group_core_sim_world.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace cafka::group::test {

group_sim::group_sim(uint64_t seed, int members, int statics, int classics,
                     std::map<std::string, int32_t> topics)
  : seed_(seed), rng_(seed * 6364136223846793005ULL + 1442695040888963407ULL),
    topics_(std::move(topics)), coord_(std::make_unique<coordinator>()) {
  debug_ = std::getenv("CAFKA_GROUP_DEBUG") != nullptr;
  assignor_ = assignor_names()[seed % assignor_names().size()];
  std::vector<std::string> names;
  for (auto& kv : topics_)
    names.push_back(kv.first);
  for (int i = 0; i < members; ++i) {
    auto m = std::make_unique<member>();
    m->slot = i;
    if (i < statics)
      m->instance = "instance-" + std::to_string(i);
    // Most read every topic; some one topic only, so subscriptions differ.
    if (names.size() > 1 && i % 3 == 2)
      m->topics = {names[static_cast<size_t>(i) % names.size()]};
    else
      m->topics = names;
    m->alive = true;
    m->session = session_ms;
    if (i >= members - classics) {
      m->classic = true;
      m->eager = (seed + static_cast<uint64_t>(i)) % 2 == 0;
      m->instance = "classic-" + std::to_string(i);
      m->session = classic_min_session_timeout_ms;
    }
    m->id = new_member_id(*m);
    m->next_hb = uniform(0, heartbeat_ms);
    members_.push_back(std::move(m));
  }
  start_load();
}

group_sim::~group_sim() = default;

std::string group_sim::new_member_id(member& m) {
  ++m.incarnation;
  if (m.classic)
    return {};  // the group gives it one
  return "m" + std::to_string(m.slot) + "." + std::to_string(m.incarnation);
}

clock::time_point group_sim::now() const {
  return clock::time_point{} + std::chrono::hours{1} + std::chrono::milliseconds{now_ms_};
}

bool group_sim::chance(double p) {
  return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

int32_t group_sim::uniform(int32_t lo, int32_t hi) {
  return std::uniform_int_distribution<int32_t>(lo, hi)(rng_);
}

void group_sim::fail(const std::string& what) const {
  throw sim_violation("seed " + std::to_string(seed_) + " at " + std::to_string(now_ms_)
                      + " ms: " + what);
}

void group_sim::trace(const std::string& what) const {
  if (debug_)
    std::fprintf(stderr, "%6lld %s\n", static_cast<long long>(now_ms_), what.c_str());
}

void group_sim::at(int64_t t, std::function<void()> f) {
  events_.emplace(std::make_pair(std::max(t, now_ms_), next_event_++), std::move(f));
}

void group_sim::send(int link, std::function<void()> f) {
  if (chance(faults.drop))
    return;
  // FIFO on a link (as CAF between two actors): a message never overtakes an earlier one.
  auto& last = links_[link];
  last = std::max(last, now_ms_ + uniform(0, faults.max_delay_ms));
  at(last, std::move(f));
}

std::set<topic_partition> group_sim::all_partitions() const {
  std::set<topic_partition> out;
  for (auto& [t, n] : topics_)
    for (int32_t p = 0; p < n; ++p)
      out.insert({t, partition_id{p}});
  return out;
}

void group_sim::step() {
  // Everything due now, in order (events may add more for now).
  while (!events_.empty() && events_.begin()->first.first <= now_ms_) {
    auto f = std::move(events_.begin()->second);
    events_.erase(events_.begin());
    f();
  }
  for (auto& m : members_)
    member_step(*m);
  auto& c = *coord_;
  if (c.ph == coordinator::phase::serving && !c.moving) {
    if (now_ms_ % c.core->tick_interval().count() == 0) {
      c.core->tick(now());
      drain(std::nullopt);
    }
  }
  if (now_ms_ % 50 == 25)
    observe();
  if (chance(faults.coordinator_crash))
    crash_coordinator();
  else if (chance(faults.coordinator_move))
    move_coordinator();
  if (chance(faults.topic_grows)) {
    auto i = std::next(topics_.begin(), uniform(0, static_cast<int32_t>(topics_.size()) - 1));
    if (i->second < 8) {
      ++i->second;
      if (c.ph == coordinator::phase::serving && !c.moving) {
        c.core->metadata(topic_sizes{topics_.begin(), topics_.end()});
        drain(std::nullopt);
      }
    }
  }
  ++now_ms_;
}

void group_sim::run(int32_t ms) {
  for (int32_t i = 0; i < ms; ++i)
    step();
}

void group_sim::settle(int32_t ms) {
  faults = sim_faults{};
  for (auto& m : members_)
    if (!m->alive) {
      m->alive = true;
      m->id = new_member_id(*m);
      lose_everything(*m);
    }
  // A coordinator that is down or moving comes back by itself; give it and the members a
  // few sessions.
  run(ms);
  auto& c = *coord_;
  if (c.ph != coordinator::phase::serving)
    fail("the coordinator does not serve after healing");
  std::map<topic_partition, std::string> owner;
  std::set<std::string> subscribed;
  for (auto& m : members_) {
    if (!m->alive)
      continue;
    subscribed.insert(m->topics.begin(), m->topics.end());
    for (auto& tp : m->owned)
      if (!owner.emplace(tp, m->id).second)
        fail(to_string(tp) + " is owned by " + owner[tp] + " and " + m->id);
  }
  for (auto& tp : all_partitions())
    if (subscribed.count(tp.topic) != 0 && owner.count(tp) == 0)
      fail("after healing nobody owns " + to_string(tp));
  // The observer is answered again; each answer showed every commit acknowledged before it
  // was asked (check_reply).
  if (last_observed_ < now_ms_ - 200)
    fail("the observer's offset fetches are no longer answered after healing");
}

} // namespace cafka::group::test
