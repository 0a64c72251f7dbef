// The partition replica actor's state: the log, the replica_fsm that decides everything about
// replication (runtime/replication/replica_fsm.hpp), and what the driver keeps for the
// requests the fsm holds (response promises, batch bytes) and for its timers. The handlers are
// in partition_replica.cpp, the driver loop in replica_driver.cpp. Private to actors/broker;
// used only from the replica actor's own context.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "actors/broker/partition_replica.hpp"
#include "actors/node/refusal_log.hpp"
#include "runtime/replication/replica_fsm.hpp"
#include "runtime/storage/log_cleaner.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka {

// A consumer's long poll (reads are the driver's: the fsm only says when the high watermark
// moved).
struct pending_fetch {
  fetch_request req;
  caf::typed_response_promise<fetch_response> rp;
};

// A produce the fsm holds, by its id; the bytes until the fsm asks to append them.
struct pending_produce {
  caf::typed_response_promise<produce_response> rp;
  std::string batch;
  int64_t append_time_ms = -1;  // LogAppendTime: the time to stamp (describe_batch's)
};

struct replica_state {
  replica_config cfg;
  std::unique_ptr<partition_log> log;
  std::unique_ptr<replica_fsm> fsm;  // set once the log is open
  int64_t last_producer_snapshot_ms = 0;
  // The log end the last producer snapshot covers (none yet: no_offset); the periodic
  // snapshot is skipped while the log end stays there.
  log_offset snapshot_log_end = no_offset;
  int64_t last_hw_checkpoint_ms = 0;
  // The leader-epoch checkpoint may be unsynced: written without fsync (by this replica, or
  // by a killed process of this boot before it), or a save failed. Invariant: false
  // whenever the log's fsynced point moves (close_log; a log with a flush policy has every
  // save durable), so a machine crash can only lose entries of batches after that point,
  // which open reads again (replica_epochs.cpp, recover_epochs). A save that fails before
  // a write stops the replica, so no batch is ever written without its entry in the file.
  bool epochs_unsynced = false;
  // What replication-offset-checkpoint holds (nullopt: no file, or an unreadable one).
  std::optional<log_offset> saved_hw;
  int64_t last_retention_check_ms = 0;
  uint64_t next_id = 0;
  // Consumer long polls, by id. Invariant: at most cfg.limits.max_parked_fetches_per_partition;
  // a fetch beyond it is answered at once with park_refused set (messages.hpp).
  std::map<uint64_t, pending_fetch> waiting;
  uint64_t park_refusals = 0;                    // fetches answered park_refused
  std::map<uint64_t, pending_produce> produces;  // by fsm id
  std::map<uint64_t, caf::typed_response_promise<replica_fetch_response>> follower_fetches;
  std::set<int64_t> wakeups;  // fsm deadlines (ms, mono_ms) with a wake_atom on its way
  // When the current periodic tick is due (mono_ms); a tick_atom for another time is one a
  // sooner tick replaced (replica_tick.cpp).
  int64_t tick_at = 0;
  // Follower: the leader's broker (a broker_actor), handed out by the broker (peer_atom).
  caf::strong_actor_ptr leader_broker;
  node_id leader_broker_id = no_node;
  // A follower being added by a move waits for the node's replication throttle: a
  // resume_fetch_atom is on its way.
  bool fetch_resume_queued = false;
  refusal_log refusals;  // messages refused by sender (actors/node/authorization.hpp)
  // Compaction (replica_cleaning.cpp): the log cleaner of a compacted topic's log, the node's
  // cleaner slot it holds during a pass, whether a clean_atom is on its way, and when it
  // last checked whether the log is dirty enough.
  std::unique_ptr<log_cleaner> cleaner;
  std::unique_ptr<cleaner_slots::lease> cleaner_slot;
  bool clean_queued = false;
  int64_t last_cleaner_check_ms = 0;
  // The node's cafka_partition_* gauges of this partition (replica_metrics.hpp), looked up
  // once when the log opens; a restarted replica gets the same series again.
  metrics::partition_series series;

  static inline const char* name = "partition_replica";

  std::string checkpoint_path() const { return cfg.dir + "/" + epoch_checkpoint_file; }
  std::string owner() const { return "partition " + to_string(cfg.tp); }
  // Persists the fsm's epoch history (atomic replace); failures are logged and returned.
  // durable: with fsyncs (env::replace_file); else unsynced. Only a durable save that
  // succeeds clears epochs_unsynced.
  caf::error save_epochs(bool durable);
  // Writes producer-state.snapshot (failures are logged: replay from the log covers them).
  void save_producers();
  // Writes the fsm's high watermark to replication-offset-checkpoint unless the file holds it
  // already (atomic replace; failures are logged and retried at the next interval).
  void save_high_watermark();
};

// The replica's published interface plus its own timers (self-messages only).
using replica_timers_actor = replica_actor::extend<
  caf::reacts_to<expire_atom, uint64_t>,  // a consumer long poll (its id) timed out
  caf::reacts_to<clean_atom>,             // the log cleaner's next step
  caf::reacts_to<wake_atom, uint64_t>,             // the replica_fsm's deadline (ms) is due
  caf::reacts_to<resume_fetch_atom>,               // a throttled follower fetches again
  caf::reacts_to<caf::tick_atom, uint64_t>>;       // the periodic tick due at (mono_ms)

using replica_self = replica_timers_actor::stateful_pointer<replica_state>;

// -- the leader-epoch checkpoint at open (replica_epochs.cpp) ----------------------------------
// The epoch history for the just opened (not yet settled) log: the file's without entries at
// or past the log end, plus the epochs it lacks of the batches from the log's
// unsynced_from() on (of every batch if the file is missing or damaged), read from their
// headers: entries saved unsynced that a machine crash lost. `file_found`: a file was
// there, readable or not; `changed`: the history differs from what the file holds.
// Errors: the file or a batch header cannot be read.
caf::expected<leader_epoch_cache> recover_epochs(replica_state& st, bool& file_found,
                                                 bool& changed);

// -- the driver (replica_driver.cpp) ----------------------------------------------------------
// The fsm's clock: the actor clock (steady; simulated in actors/sim) in milliseconds.
int64_t mono_ms(replica_self self);
replica_fsm_config fsm_config(const replica_config& cfg);
// Drains the fsm's output and does it, in replica_fsm.hpp's order; then arranges a wake-up
// for the fsm's next deadline.
void drive(replica_self self);
// A follower being added by a move and not yet in sync, while the node throttles such
// catch-up traffic. Requires: st.fsm.
bool throttled(const replica_state& st);
// A throttled follower's wait is over (or no longer applies): the fsm fetches again.
void resume_fetch(replica_self self);
// The broker's newer view of the partition (leader, epochs, replicas, ISR).
void on_partition_update(replica_self self, const partition_metadata& pm);
// Stops the replica after a storage error that leaves its log's durability unknown (a failed
// fsync): answers every request it holds with err and quits with it; the broker reopens the
// replica with backoff (see docs/architecture.md, "Disk faults").
void fail_replica(replica_self self, const caf::error& err);

// -- the periodic tick (replica_tick.cpp) -----------------------------------------------------
// Arms the next tick: soon while a checkpoint, a snapshot, a flush or an ISR shrink check is
// pending, else only as often as retention, flush.ms and compaction need. A tick armed before
// is ignored when it comes.
void schedule_tick(replica_self self);
// After the driver ran: a replica with work pending again ticks at the busy pace.
void tick_sooner_if_busy(replica_self self);
// The tick armed for `at`: flush.ms, retention, the idempotence table's expiry and snapshot,
// the high-watermark checkpoint, compaction, the fsm's periodic work; then the next one.
void on_tick(replica_self self, uint64_t at);

// -- compaction (replica_cleaning.cpp) ---------------------------------------------------------
// On the replica's tick: with cleanup.policy compact, every log-cleaner-backoff-ms, starts a
// cleaning pass when the log is dirty enough (min.cleanable.dirty.ratio) and a node slot is
// free. Steps then follow as clean_atom self-messages, each about 1 MiB of reads and writes,
// below the high watermark, paced by log-cleaner-io-max-bytes-per-second.
void maybe_clean(replica_self self, int64_t now_ms);
// One step of the pass (clean_atom).
void clean_step(replica_self self);
// Drops the pass under way and the slot (the topic's configs changed, or the replica stops).
void stop_cleaning(replica_state& st);

// -- handlers (partition_replica.cpp) ---------------------------------------------------------
// Answers every consumer long poll that now has min_bytes below the high watermark.
void wake_waiting(replica_self self);

} // namespace cafka
