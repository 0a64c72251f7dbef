// The JSON reassignment plan of Kafka's kafka-reassign-partitions.sh (--reassignment-json-file),
// read for `cafka partitions reassign` and written to print the current assignment for a
// rollback, as the Kafka tool does. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"

namespace cafka {

// One entry of a plan: the replicas a partition should have, the preferred leader first.
struct planned_reassignment {
  topic_partition tp;
  std::vector<node_id> replicas;

  bool operator==(const planned_reassignment& o) const {
    return tp == o.tp && replicas == o.replicas;
  }
  bool operator!=(const planned_reassignment& o) const { return !(*this == o); }
};

// Reads a plan in the Kafka tool's format, its entries in the order of the file:
//   {"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[2,3,4],
//                               "log_dirs":["any","any","any"]}, ...]}
// "version" must be 1; a plan without one is read as version 1, as the Kafka tool does.
// "log_dirs" is optional; if present it has one entry per replica, each "any" (a cafka broker
// has one log dir). Other fields are ignored, as the Kafka tool ignores them.
// Errors: errc::invalid_request, one message naming the entry, e.g.
//   "reassignment plan: partitions[1] (foo-0): replica 3 is listed twice",
//   "reassignment plan: invalid JSON at line 2: garbage after data".
// Refused: invalid JSON or text after it; nesting deeper than 32; a root that is not an
// object; a version other than 1; a missing, empty or non-list "partitions"; an entry that is
// not an object or has a field twice; a missing or empty "topic"; a missing, non-integer,
// negative or out-of-int32 "partition" or replica id; a missing or empty "replicas"; a
// replica listed twice in one entry; a topic-partition in two entries; "log_dirs" with a
// count other than the replicas' or an entry other than "any".
// PropertyTree keeps every JSON scalar as text, so "3" is read as 3 and "null" as null.
// Never throws: every exception of the parser becomes an error.
caf::expected<std::vector<planned_reassignment>> parse_reassignment_plan(std::string_view json);

// Writes plan in the same format on one line, entries in the given order, "log_dirs" all
// "any"; parse_reassignment_plan reads the text back equal to plan.
// Requires: topic names are valid UTF-8 (JSON strings cannot hold other bytes); for the read
// back to succeed, plan is what parse_reassignment_plan accepts (non-empty, no duplicates).
std::string render_reassignment_plan(const std::vector<planned_reassignment>& plan);

} // namespace cafka
