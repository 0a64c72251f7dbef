// A deterministic simulation of one consumer group for the group core tests: a fake clock
// (milliseconds), a fake network between members and the coordinator (loss, delay,
// reordering between members), a fake __consumer_offsets partition that acknowledges, loses or
// delays writes, KIP-848 members that join, heartbeat, commit, leave, crash and come back,
// and coordinator failover (a new offsets_load reads the partition, a new group_core serves
// what it found). Checks run on every reply and every load; a violation throws
// sim_violation naming the seed. Test code only; single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "runtime/group/group_core.hpp"
#include "runtime/group/offsets_load.hpp"

namespace cafka::group::test {

struct sim_violation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct sim_faults {
  double drop = 0;            // a member <-> coordinator message is lost
  int32_t max_delay_ms = 0;   // delays in [0, max]: members' messages overtake each other
  double write_lost = 0;      // the partition never appends a write; it times out
  double write_unacked = 0;   // appended, but the acknowledgement never comes; it times out
  int32_t max_ack_ms = 5;     // a write is on the ISR after [0, max] ms
  double member_crash = 0;    // per member and ms
  double member_leave = 0;    // per member and ms
  double member_restart = 0;  // per dead member and ms
  double coordinator_crash = 0;  // per ms: the partition's leader dies, a new one loads
  double coordinator_move = 0;   // per ms: the leadership moves; the core stops first
  double topic_grows = 0;        // per ms: a topic gets one more partition
};

struct sim_stats {
  int64_t replies = 0;
  int64_t heartbeats_ok = 0;
  int64_t commits_acked = 0;
  int64_t fetches_ok = 0;
  int64_t writes = 0;
  int64_t writes_failed = 0;
  int64_t loads = 0;           // cores built from a load
  int64_t loaded_offsets = 0;  // acknowledged commits a load had to show
  int64_t member_crashes = 0;
  int64_t self_expiries = 0;   // members that dropped their partitions on their own timer
  int64_t moved = 0;           // partitions that changed owner
  int64_t classic_syncs = 0;   // SyncGroups answered with an assignment
};

class group_sim {
public:
  static constexpr int32_t session_ms = 200;
  static constexpr int32_t heartbeat_ms = 30;
  static constexpr int32_t request_timeout_ms = 120;
  static constexpr int32_t write_timeout_ms = 60;

  // members: how many member slots (each restarts as a new incarnation); statics: how many
  // of them have a group.instance.id; classics: how many of the last ones are classic
  // members (static, so that a restart takes the place of the one before).
  group_sim(uint64_t seed, int members, int statics, int classics,
            std::map<std::string, int32_t> topics);
  ~group_sim();

  sim_faults faults;

  // Runs ms milliseconds of random activity under `faults`.
  void run(int32_t ms);
  // No more faults: every member comes back, messages and writes arrive; runs `ms` and
  // checks that the group settled (every partition owned by exactly one live member, the
  // coordinator serving) and that a last fetch shows every acknowledged commit.
  void settle(int32_t ms);

  const sim_stats& stats() const { return stats_; }
  uint64_t seed() const { return seed_; }

private:
  struct member;
  struct coordinator;
  struct pending;

  // -- the world (group_core_sim.cpp) --------------------------------------------------------
  void at(int64_t t, std::function<void()> f);
  void step();  // one millisecond
  clock::time_point now() const;
  bool chance(double p);
  int32_t uniform(int32_t lo, int32_t hi);  // [lo, hi]
  [[noreturn]] void fail(const std::string& what) const;
  // With CAFKA_GROUP_DEBUG set, a line on stderr (to follow a failing seed).
  void trace(const std::string& what) const;
  // The network: f runs on arrival (or never), in order per link.
  void send(int link, std::function<void()> f);
  static int to_coordinator(int slot) { return 2 * slot; }
  static int to_member(int slot) { return 2 * slot + 1; }

  // -- the partition and the coordinator (group_core_sim_coordinator.cpp) -------------------
  void crash_coordinator();
  void move_coordinator();
  void start_load();
  void load_read(uint64_t gen);
  void serve(std::map<std::string, loaded_group> groups);
  void core_ended(bool failed);
  void leader_change();     // the tail past the high watermark is cut to a random prefix
  void replicate_tail();    // later, the tail still there reaches the ISR
  fetch_response read_partition(log_offset from);
  bool committed_record(const keyed_record& r) const;
  void on_write(const group_write& w);
  // A member's request reaches the coordinator.
  void arrive(pending p, std::function<void(group_core&, reply_id)> input);
  void drain(std::optional<reply_id> fresh);
  void check_reply(const pending& p, const core_reply& r);
  // Within one epoch a member's assignment only grows; its epoch never goes back.
  void check_epoch(const std::string& member_id, member_epoch epoch,
                   const std::vector<topic_partition>& assignment);
  void deliver(const pending& p, const core_reply& r);

  // -- members (group_core_sim_members.cpp) ---------------------------------------------------
  void member_step(member& m);
  void send_heartbeat(member& m);
  void send_data(member& m);
  void lose_everything(member& m);
  void crash(member& m);
  void leave(member& m);
  void on_heartbeat_reply(member& m, uint64_t req, const reply_value& v);
  void on_fetch_reply(member& m, uint64_t req, const reply_value& v);
  void take(member& m, const std::vector<topic_partition>& assignment);
  void observe();  // an admin client reads every committed offset
  // -- classic members (group_core_sim_classic.cpp) ---------------------------------------------
  void classic_step(member& m);
  void send_classic(member& m, classic_op op);
  void on_classic_reply(member& m, uint64_t req, classic_op op, const reply_value& v);
  std::string new_member_id(member& m);
  std::set<topic_partition> all_partitions() const;

  uint64_t seed_;
  bool debug_ = false;
  std::mt19937_64 rng_;
  int64_t now_ms_ = 0;
  int64_t wall_ms_ = 1700000000000;  // commit timestamps: one per commit, so values differ
  uint64_t next_event_ = 0;
  std::multimap<std::pair<int64_t, uint64_t>, std::function<void()>> events_;
  std::map<int, int64_t> links_;  // link -> when its last message arrives
  std::map<std::string, int32_t> topics_;
  std::string assignor_;  // the group's (its members ask for it)
  std::vector<std::unique_ptr<member>> members_;
  std::unique_ptr<coordinator> coord_;
  sim_stats stats_;
  int64_t last_observed_ = -1;  // when the observer's last fetch was answered

  // The partition: batches of writes; hw_ is at a batch boundary.
  struct stored_batch {
    log_offset base;
    std::vector<keyed_record> records;
    std::string bytes;
    log_offset end() const { return base + static_cast<int64_t>(records.size()); }
  };
  std::vector<stored_batch> log_;
  log_offset hw_{0};
  uint64_t leader_generation_ = 0;  // bumped by every leader change

  // -- what the checks remember -------------------------------------------------------------
  // The highest offset per partition whose commit was acknowledged (I4).
  std::map<topic_partition, log_offset> acked_;
  // The highest offset per partition any answered fetch showed: never goes back.
  std::map<topic_partition, log_offset> shown_;
  // Per member: the epoch of its last successful heartbeat reply and the assignments given
  // in that epoch (within an epoch an assignment only grows: a revocation takes a new one).
  std::map<std::string, std::pair<member_epoch, std::set<topic_partition>>> epochs_;
};

} // namespace cafka::group::test
