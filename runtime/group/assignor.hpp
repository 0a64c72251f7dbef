// Partition assignors of a consumer group: from the members (their subscriptions and what
// each owns now) and the partition counts of the subscribed topics, the target assignment.
// Plain C++ the group manager runs server side (as in Kafka's KIP-848); no state, any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/base/ids.hpp"

namespace cafka::group {

struct member_spec {
  std::string member_id;               // unique in the group; ties are broken by it
  std::vector<std::string> topics;     // the member's subscription
  std::vector<topic_partition> owned;  // what it owns now (the sticky assignors keep it)
};

// Member id → its partitions, each list sorted. Every member given to assign() has an entry.
using assignment = std::map<std::string, std::vector<topic_partition>>;

// Topic → partition count, for the topics that exist.
using topic_sizes = std::map<std::string, int32_t>;

class assignor {
public:
  virtual ~assignor() = default;

  virtual const char* name() const = 0;

  // Requires: member ids are unique. Every partition of an existing topic that some member
  // subscribes to goes to exactly one member that subscribes to it; subscribed topics that
  // do not exist are skipped.
  virtual assignment assign(const std::vector<member_spec>& members,
                            const topic_sizes& topics) const = 0;
};

// Kafka's names: "range", "roundrobin", "sticky", "cooperative-sticky" (the default).
// errc::unsupported_assignor for any other name.
caf::expected<std::unique_ptr<assignor>> make_assignor(const std::string& name);

inline constexpr const char* default_assignor = "cooperative-sticky";

// The names make_assignor knows, for help texts and error messages.
const std::vector<std::string>& assignor_names();

} // namespace cafka::group
