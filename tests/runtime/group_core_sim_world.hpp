// The simulation's members, coordinator and pending requests (group_core_sim.hpp), shared by
// its three source files. Test code only; single-threaded.
#pragma once

#include "tests/runtime/group_core_sim.hpp"

namespace cafka::group::test {

// A member as a client runs it: one group request (a heartbeat; for a classic member its
// JoinGroup, SyncGroup or Heartbeat) and one data request (a commit or a fetch) out at a
// time; it owns exactly what its last accepted assignment gave, and drops everything when
// no group request it sent in the last session was answered.
struct group_sim::member {
  int slot = 0;
  std::string instance;  // group.instance.id; empty: dynamic
  int incarnation = 0;
  std::string id;        // a classic member's is given by the group (empty before)
  // A classic member: joins, syncs, then heartbeats until told to join again; an eager one
  // gives up everything before it joins, a cooperative one reports what it keeps.
  bool classic = false;
  bool eager = false;
  enum class stage : uint8_t { join, sync, stable } classic_stage = stage::join;
  int32_t session = 0;   // its session timeout (ms)
  bool alive = false;
  member_epoch epoch = join_epoch;
  std::vector<std::string> topics;
  std::set<topic_partition> owned;
  std::map<topic_partition, log_offset> position;  // owned partitions whose offset is known
  uint64_t next_req = 0;
  uint64_t hb_req = 0;  // the heartbeat out (0: none)
  int64_t hb_sent = 0;
  uint64_t data_req = 0;  // the commit or fetch out (0: none)
  int64_t data_sent = 0;
  std::optional<int64_t> last_ok;  // when the last answered heartbeat was sent
  int64_t next_hb = 0;
};

enum class sim_kind : uint8_t { heartbeat, commit, fetch, classic };

// A request the coordinator has, with what the checks need to judge its reply.
struct group_sim::pending {
  int member = -1;  // slot; -1: the observer
  uint64_t req = 0;
  sim_kind kind = sim_kind::heartbeat;
  classic_op op = classic_op::join;  // classic: which request
  std::vector<keyed_record> commit_records;  // commit: what its success must have written
  std::vector<std::pair<topic_partition, log_offset>> commit_offsets;
  std::vector<topic_partition> fetch_tps;           // fetch: what it asks (empty: all)
  std::map<topic_partition, log_offset> acked_floor;  // fetch: commits acknowledged before it
  uint64_t required = 0;  // writes acknowledged before a success may go out
};

struct group_sim::coordinator {
  uint64_t gen = 0;  // a new load starts a new generation; older events find no one
  enum class phase : uint8_t { down, loading, serving } ph = phase::down;
  std::optional<offsets_load> load;
  std::unique_ptr<group_core> core;
  uint64_t next_reply = 0;
  std::map<reply_id, pending> pendings;
  uint64_t emitted = 0;  // writes the core handed out
  uint64_t acked = 0;    // ... and that were acknowledged
  std::string last_group_value;  // in the last write that had one (or loaded)
  bool queued_commits = false;   // accepted commits not in a write yet
  std::map<std::string, int> watched;  // member id -> slot
  bool moving = false;  // asked to stop: a new load follows its end
};

} // namespace cafka::group::test
