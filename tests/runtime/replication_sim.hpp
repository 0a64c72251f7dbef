// A deterministic simulation of one partition replicated on 3 replica_fsms (each driven by a
// replica_host, with an in-memory log that survives crashes), a model controller (the real
// metadata_state: heartbeats and leases, fencing and leader election from the ISR, ISR
// changes fenced by epochs, preferred-leader moves), idempotent and plain producers, a fake
// network (loss, duplication, delay and reordering, one-way and two-way partitions) and a fake
// clock (1 ms steps). Faults: crashes and restarts, leader crashes, pauses (a hung process),
// failed log writes. The replicas checkpoint their high watermark never (seeds 3k), after
// every step (3k + 1) or every 50 ms (3k + 2), and restart from it. A checker runs after every step (the invariants are listed in
// replication_sim_check.cpp). Test code only; single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/cluster/metadata_state.hpp"
#include "tests/runtime/replica_host.hpp"

namespace cafka::replica_test {

struct repl_sim_options {
  uint64_t seed = 1;
  int64_t fault_ms = 2500;  // faults and writes
  int64_t heal_ms = 4000;   // then healed: every write acknowledged and the replicas converge
  bool verbose = false;     // print the replicas' log lines and the faults
};

struct repl_sim_stats {
  size_t produced = 0;        // batches created by the producers
  size_t acked = 0;           // acks=all acknowledgements
  size_t leader_changes = 0;  // leader epochs the controller started
  size_t crashes = 0;
  size_t truncations = 0;
  size_t isr_changes = 0;     // committed by the controller
  size_t deposed = 0;         // leaders that learnt from a fetch that they no longer lead
  int64_t delivered = 0;      // messages
};

// Messages between the nodes (0: controller, 1-3: replicas, 10: the client).
struct m_fetch { uint64_t fetch_id; replica_fetch_request req; };
struct m_fetch_answer { uint64_t fetch_id; caf::error err; replica_fetch_response resp; };
struct m_produce { uint64_t req; std::string batch; int16_t acks; int32_t timeout_ms; };
struct m_produce_answer { uint64_t req; caf::expected<produce_response> result; };
struct m_alter_isr { uint64_t proposal; alter_isr_request req; };
struct m_alter_isr_answer { uint64_t proposal; caf::expected<partition_metadata> result; };
struct m_view { partition_metadata pm; };
struct m_heartbeat { uint64_t incarnation; };
using sim_message = std::variant<m_fetch, m_fetch_answer, m_produce, m_produce_answer,
                                 m_alter_isr, m_alter_isr_answer, m_view, m_heartbeat>;

class replication_sim {
public:
  explicit replication_sim(repl_sim_options o);

  // Runs faults, then healing. Returns the first invariant violation, or a stall after
  // healing, as text; empty if all is well.
  std::string run();
  const repl_sim_stats& stats() const { return stats_; }

private:
  // Addresses on the simulated network: the controller, the client and each broker, whose
  // address is its node id's number.
  static constexpr int32_t controller = 0;
  static constexpr int32_t client = 10;
  static int32_t address_of(node_id broker) { return broker.value; }

  struct envelope {
    int32_t from;
    int32_t to;
    sim_message msg;
  };
  struct node {
    int32_t id = 0;
    std::shared_ptr<replica_disk> disk = std::make_shared<replica_disk>();
    std::unique_ptr<replica_host> host;  // null while down
    uint64_t incarnation = 0;
    int64_t paused_until = 0;
    int64_t next_tick = 0;
    int64_t next_heartbeat = 0;
    uint64_t next_id = 1;
    std::map<uint64_t, std::pair<int32_t, uint64_t>> fetch_routes;  // reply id -> follower's
    std::map<uint64_t, uint64_t> produce_routes;                    // produce id -> client's
    // Checker state: of this incarnation, and of the disk (batches matched against the lineage).
    log_offset last_hw{0};
    bool was_leading = false;
    size_t verified = 0;
  };
  // A batch a producer created: `tag` names it (every record's key) whatever sequence it is
  // sent under.
  struct in_flight {
    std::string tag;
    int records = 1;
    int32_t seq = 0;
    std::string batch;
    uint64_t req = 0;        // the attempt outstanding (0: none)
    int64_t resend_at = 0;   // send (again) at this time
    bool acked = false;
  };
  struct producer {
    producer_id id = no_producer_id;  // no_producer_id: plain (not idempotent), acks=1
    producer_epoch epoch{0};
    int32_t next_seq = 0;
    int created = 0;
    // From the oldest unacknowledged batch on, at most 5 (the leader's idempotence window:
    // a retry of the oldest must still be recognized when the newest has been written).
    std::vector<in_flight> batches;
  };

  // -- the world (replication_sim.cpp) -------------------------------------------------------
  void step();
  void inject_fault();
  void heal();
  void send(int32_t from, int32_t to, sim_message msg);
  void deliver_due();
  void deliver(envelope& env);
  void on_replica_message(node& n, int32_t from, sim_message& msg);
  void drive(node& n);
  void crash(int32_t id);
  void restart(int32_t id);
  bool up(const node& n) const { return n.host != nullptr; }
  bool paused(const node& n) const { return n.paused_until > now_; }
  replica_fsm_config config_for(int32_t id) const;

  // -- controller and clients (replication_sim_actors.cpp) -----------------------------------
  void controller_tick();
  void controller_receive(int32_t from, sim_message& msg);
  apply_result controller_apply(const metadata_command& cmd);
  const partition_metadata& current() const;
  void push_view();
  void client_step();
  void client_receive(sim_message& msg);
  void send_batch(producer& p, in_flight& b);
  void new_producer_epoch(producer& p);
  bool converged() const;

  // -- checks (replication_sim_check.cpp) ----------------------------------------------------
  void check(node& n);
  void check_lineage(node& n);
  void check_acked(const std::string& tag, const produce_response& resp);
  static std::string tag_of(const stored_batch& b);
  void sweep();
  void check_final();
  void violation(const std::string& what);

  repl_sim_options o_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;
  std::string failure_;
  repl_sim_stats stats_;

  // Network.
  double drop_rate_ = 0;
  double dup_rate_ = 0;
  int32_t max_delay_ = 2;
  std::multimap<std::pair<int64_t, uint64_t>, envelope> queue_;
  uint64_t seq_ = 0;
  std::set<std::pair<int32_t, int32_t>> blocked_;
  std::vector<std::pair<int64_t, int32_t>> reachable_at_;  // leader_reachable(now) due

  std::map<int32_t, node> nodes_;

  // Controller.
  metadata_state md_;
  std::map<int32_t, int64_t> last_heard_;
  int64_t next_controller_tick_ = 0;

  // Client.
  std::vector<producer> producers_;
  uint64_t next_req_ = 1;
  std::map<uint64_t, std::pair<size_t, std::string>> requests_;  // req -> (producer, tag)
  node_id client_leader_ = no_node;  // where the client sends, refreshed from the controller
  int64_t client_refresh_at_ = 0;

  // Checker.
  std::vector<stored_batch> committed_;            // every record below any high watermark
  std::map<leader_epoch, int32_t> epoch_leader_;   // the controller's choice per epoch
  std::map<leader_epoch, int32_t> led_;            // who led each epoch (fsm.leading())
  std::map<std::string, log_offset> acked_;  // acks=all acknowledged batches, by tag
};

} // namespace cafka::replica_test
