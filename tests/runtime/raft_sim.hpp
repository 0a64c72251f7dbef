// A deterministic simulation of a Raft quorum for the raft::fsm tests: N members with an
// in-memory persistence that survives restarts, a fake network (drop, delay/reorder,
// duplicate, one-way and two-way partitions), a fake clock (ticks) and a safety checker that
// runs after every step. Test code only; single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/raft/fsm.hpp"
#include "runtime/raft/persistence.hpp"

namespace cafka::raft::test {

// The storage seam in memory, with the checks of disk_persistence (contiguity, one vote per
// term, snapshots moving forward).
class mem_persistence : public persistence {
public:
  caf::error load(persisted_state& out) override;
  caf::error store_term_and_vote(raft_term term, node_id voted_for) override;
  caf::error append(const std::vector<log_entry>& entries) override;
  caf::error truncate(raft_index from) override;
  caf::error store_snapshot(const snapshot& snp) override;

  const persisted_state& state() const { return state_; }
  raft_index snapshot_index() const;
  raft_index last_index() const;
  raft_term last_term() const;
  std::optional<raft_term> term_at(raft_index index) const;

private:
  persisted_state state_;
};

// The state machine of a member: the commands it applied, with their indexes.
using applied_log = std::vector<std::pair<raft_index, std::string>>;
std::string encode_applied(const applied_log& xs);
applied_log decode_applied(const std::string& bytes);

class sim_network {
public:
  explicit sim_network(uint64_t seed) : rng_(seed) {}

  double drop_rate = 0;       // per message
  double duplicate_rate = 0;  // per message
  int32_t min_delay = 0;      // ticks; different delays reorder messages
  int32_t max_delay = 0;

  void send(envelope env, int64_t now);
  // Takes the messages due at `now` (in delivery order). Blocked links drop them.
  std::vector<envelope> take_due(int64_t now);
  bool idle() const { return queue_.empty(); }

  // Cuts from -> to for every from in a, to in b (and b -> a when both_ways).
  void partition(const std::set<node_id>& a, const std::set<node_id>& b, bool both_ways);
  void isolate(node_id id, const std::vector<node_id>& members);
  void heal() { blocked_.clear(); }
  bool blocked(node_id from, node_id to) const { return blocked_.count({from, to}) > 0; }

  std::mt19937_64& rng() { return rng_; }

private:
  std::mt19937_64 rng_;
  std::multimap<std::pair<int64_t, uint64_t>, envelope> queue_;
  uint64_t seq_ = 0;
  std::set<std::pair<node_id, node_id>> blocked_;
};

struct sim_member {
  node_id id;
  std::shared_ptr<mem_persistence> disk = std::make_shared<mem_persistence>();
  std::unique_ptr<fsm> raft;
  bool up = true;
  bool crash_pending = false;  // see raft_sim::crash_on_next_message
  applied_log applied;         // the state machine
  raft_index applied_index{0}; // last entry (command or noop) applied
  raft_index snapshot_index{0};
  raft_index last_commit{0};   // for the monotonic-commit check (per incarnation)
  // Delivered messages by kind (index of raft::message's alternatives).
  std::map<size_t, int> received;
};

class raft_sim {
public:
  raft_sim(size_t members, uint64_t seed, fsm_config cfg = {});

  fsm_config& config() { return cfg_; }
  sim_network& net() { return net_; }
  int64_t now() const { return now_; }
  std::vector<node_id> ids() const;
  sim_member& member(node_id id) { return members_.at(id); }
  fsm& raft(node_id id) { return *members_.at(id).raft; }

  // Compact every member's log each time it applied this many entries (0: never).
  size_t compact_every = 0;

  // One tick of the clock for every member that is up, then message delivery until the
  // network has nothing due any more.
  void tick();
  void run(int ticks);
  // Ticks until pred() holds; false if it did not within max_ticks.
  bool run_until(const std::function<bool()>& pred, int max_ticks);

  // Up members that believe they lead.
  std::vector<node_id> leaders() const;
  // The leader with the highest term among up members, if any.
  std::optional<node_id> leader() const;
  // Exactly one up member leads and a majority of up members follow it in its term.
  std::optional<node_id> stable_leader() const;

  caf::expected<raft_index> propose(node_id id, std::string command);
  // Proposes on the current leader, ticking until one exists (max_ticks). The command's
  // index and the leader's term, or nullopt.
  std::optional<std::pair<raft_index, raft_term>> propose_somewhere(std::string command,
                                                                    int max_ticks);
  // True once every up member applied entry `index` (and it is the same everywhere).
  bool applied_everywhere(raft_index index) const;
  bool applied_on(node_id id, raft_index index) const;

  void crash(node_id id);    // stops ticking and receiving; keeps its persistence
  void restart(node_id id);  // a new fsm from what its persistence holds
  // The member crashes while handling its next message: after step, before its output was
  // persisted or sent (so the output is lost).
  void crash_on_next_message(node_id id) { members_.at(id).crash_pending = true; }

  // The full checks that are too slow for every step: pairwise log matching over the
  // overlapping parts of all logs, and every fsm log equal to its persisted log.
  void check_logs() const;
  // Every member (up or not) applied the same sequence, and logs are equal.
  void check_converged() const;

  raft_term max_term_seen() const { return max_term_seen_; }
  size_t committed_count() const { return committed_.size(); }
  int leader_changes() const { return leader_changes_; }
  int64_t delivered() const { return delivered_; }

private:
  struct committed_entry {
    log_entry entry;
    raft_term seen_at;  // the highest term any member had when it was first applied
  };
  struct entry_fingerprint {
    entry_kind kind;
    std::string data;
    raft_term prev_term;
  };

  void deliver_all();
  void drive(sim_member& m);  // the driver: persist, send, apply (+ safety checks)
  void persist(sim_member& m, output& out);
  void apply(sim_member& m, output& out);
  void check_leader(sim_member& m);

  fsm_config cfg_;
  sim_network net_;
  std::map<node_id, sim_member> members_;
  std::vector<node_id> ids_;
  int64_t now_ = 0;
  raft_term max_term_seen_{0};
  int leader_changes_ = 0;
  int64_t delivered_ = 0;
  // Safety bookkeeping.
  std::map<raft_term, node_id> leader_of_term_;                    // election safety
  std::map<std::pair<raft_index, raft_term>, entry_fingerprint> entries_;  // log matching
  std::map<raft_index, committed_entry> committed_;                // state-machine safety
};

} // namespace cafka::raft::test
