// Test harness: one consumer-group member as its own process (the group_consumer example
// with one member actor), started, killed and restarted by a test, and the events file it
// writes parsed back: which partitions it held when, and which records it processed.
// Used from the test's main thread only; the destructor ends the process.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sys/types.h>

#include "runtime/base/ids.hpp"

namespace cafka::testing {

class member_process {
public:
  // events: the file the member appends its events to (kept across restarts).
  member_process(std::string bootstrap, std::string topic, std::string group,
                 std::string events, std::string instance_id = {});
  ~member_process();

  member_process(const member_process&) = delete;
  member_process& operator=(const member_process&) = delete;

  void start();
  void kill9();
  void stop();    // SIGSTOP: hung, not dead
  void resume();  // SIGCONT
  // SIGTERM is not handled by the example: the process dies like kill9 but by signal 15.
  bool running() const { return pid_ > 0; }
  const std::string& events_file() const { return events_; }

private:
  std::string bootstrap_, topic_, group_, events_, instance_;
  pid_t pid_ = -1;
};

// One stretch of ownership as the member's actor saw it: [from, to) in Unix ms.
struct hold {
  int64_t from = 0;
  int64_t to = std::numeric_limits<int64_t>::max();  // max: still held (or the member died)
  bool lost = false;

  bool operator==(const hold& o) const { return from == o.from && to == o.to && lost == o.lost; }
};

struct record_event {
  int64_t ms = 0;
  topic_partition tp;
  int64_t offset = 0;
  std::string value;
};

struct member_events {
  std::map<topic_partition, std::vector<hold>> holds;
  std::set<topic_partition> held;  // now
  size_t revoked = 0;              // revocations (not losses)
  std::vector<record_event> records;
};

member_events read_events(const std::string& file);

// Each time two members held one partition at once, from their own events, as
// "t-3: [from, to) overlaps [from, to)". killed_at: member index → Unix ms of its SIGKILL
// (it held nothing after that).
std::vector<std::string> overlapping_holds(const std::vector<member_events>& evs,
                                           const std::map<size_t, int64_t>& killed_at);

int64_t unix_ms();

} // namespace cafka::testing
