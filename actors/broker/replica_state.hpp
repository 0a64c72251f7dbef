// The partition replica actor's state and the functions its handlers share: the leader side
// (produce with acks, follower fetches, high watermark, ISR changes) in replica_leader.cpp and
// the follower side (pull loop, truncation, copy) in replica_follower.cpp. Private to
// actors/broker; used only from the replica actor's own context.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include <caf/typed_event_based_actor.hpp>

#include "actors/broker/partition_replica.hpp"
#include "runtime/replication/isr_tracker.hpp"
#include "runtime/replication/leader_epoch_cache.hpp"
#include "runtime/replication/producer_state.hpp"
#include "runtime/storage/partition_log.hpp"

namespace cafka {

// Kinds of parked requests, for expire_atom.
constexpr int32_t expire_consumer_fetch = 0;
constexpr int32_t expire_ack_kind = 1;
constexpr int32_t expire_follower_fetch_kind = 2;

struct pending_fetch {
  fetch_request req;
  caf::typed_response_promise<fetch_response> rp;
};

struct pending_replica_fetch {
  replica_fetch_request req;
  caf::typed_response_promise<replica_fetch_response> rp;
};

// An acks=all produce waiting for the high watermark to pass `end`.
struct pending_ack {
  log_offset end;  // first offset after the batch
  produce_response resp;
  caf::typed_response_promise<produce_response> rp;
};

struct replica_state {
  replica_config cfg;
  std::unique_ptr<partition_log> log;
  leader_epoch_cache epochs;  // persisted as <dir>/leader-epoch-checkpoint
  producer_state producers;   // idempotence table, persisted as producer-state.snapshot
  int64_t last_producer_snapshot_ms = 0;
  partition_metadata pm;      // the newest view of this partition (leader, epochs, ISR)
  // Saw a request of a newer leader epoch than pm's: this replica no longer leads, whatever
  // the (older) metadata says, and takes no writes until newer metadata arrives.
  bool deposed = false;
  // Every record below it is on every ISR member. Leader: from the tracker; follower: the
  // leader's, capped by the local log end.
  log_offset hw{0};
  std::map<uint64_t, pending_fetch> waiting;  // consumer long polls, by id
  uint64_t next_wait_id = 0;
  int64_t last_retention_check_ms = 0;

  // -- leader ---------------------------------------------------------------------------------
  std::optional<isr_tracker> tracker;
  std::map<uint64_t, pending_ack> acks;                  // by id
  std::map<uint64_t, pending_replica_fetch> followers;  // parked follower fetches, by id
  bool isr_change_in_flight = false;

  // -- follower -------------------------------------------------------------------------------
  caf::strong_actor_ptr leader_broker;  // a broker_actor: where the leader replica lives
  node_id leader_broker_id{-1};
  uint64_t fetch_generation = 0;  // answers of older generations are dropped
  bool fetching = false;

  static inline const char* name = "partition_replica";

  bool leading() const { return pm.leader == cfg.self && !deposed; }
  bool following() const { return pm.leader != cfg.self && pm.leader != no_leader; }
  std::string checkpoint_path() const { return cfg.dir + "/" + epoch_checkpoint_file; }
  // Persists the epoch history (atomic replace); failures are logged, not fatal.
  void save_epochs();
  // Records that `epoch` starts at `start` if it is newer than the latest one, and saves.
  void note_epoch(leader_epoch epoch, log_offset start);
  // Writes producer-state.snapshot (failures are logged: replay from the log covers them).
  void save_producers();
};

using replica_self = replica_actor::stateful_pointer<replica_state>;

// -- shared (partition_replica.cpp) -----------------------------------------------------------
// Answers every consumer long poll that now has min_bytes below the high watermark.
void wake_waiting(replica_self self);
// "broker N does not lead t-0 (leader epoch E)".
caf::error not_leader(const replica_state& st);
// Adopts a newer view of the partition (leader, epochs, ISR) and switches role if needed.
void adopt_partition(replica_self self, const partition_metadata& pm);

// -- leader (replica_leader.cpp) --------------------------------------------------------------
caf::result<produce_response> leader_produce(replica_self self, produce_request& req);
caf::result<replica_fetch_response> leader_replica_fetch(replica_self self,
                                                         replica_fetch_request& req);
// The leader's periodic work: ISR shrink for lagging followers, parked-request expiry.
void leader_tick(replica_self self);
// Takes up leadership of pm.epoch (a new tracker; the high watermark starts where it is).
void become_leader(replica_self self);
// Gives up leadership: pending acks and parked follower fetches fail with `err`.
void stop_leading(replica_self self, const caf::error& err);

// Stops the replica after a storage error that leaves its log's durability unknown (a failed
// fsync): answers every parked request with err and quits with it; the broker reopens the
// replica with backoff (see docs/architecture.md, "Disk faults").
void fail_replica(replica_self self, const caf::error& err);
// An acks=all produce or a parked follower fetch timed out (by id).
void expire_ack(replica_self self, uint64_t id);
void expire_follower_fetch(replica_self self, uint64_t id);

// -- follower (replica_follower.cpp) ----------------------------------------------------------
// Sends the next fetch to the leader if this replica follows, knows the leader's broker and
// has no fetch in flight.
void follower_fetch(replica_self self);
// Becomes a follower of pm.leader (drops a stale leader handle).
void become_follower(replica_self self);

} // namespace cafka
