// Strong types for every id, offset, epoch and term in cafka.
// Plain value types shared by runtime/ and actors/; no actor context, safe on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <string>

namespace cafka {

// A tagged integer: ids of different kinds never mix by accident.
template <class Tag, class Rep>
struct strong_int {
  using rep = Rep;
  Rep value{};

  constexpr strong_int() = default;
  constexpr explicit strong_int(Rep v) : value(v) {}

  constexpr bool operator==(strong_int o) const { return value == o.value; }
  constexpr bool operator!=(strong_int o) const { return value != o.value; }
  constexpr bool operator<(strong_int o) const { return value < o.value; }
  constexpr bool operator<=(strong_int o) const { return value <= o.value; }
  constexpr bool operator>(strong_int o) const { return value > o.value; }
  constexpr bool operator>=(strong_int o) const { return value >= o.value; }
  constexpr strong_int operator+(Rep d) const { return strong_int{static_cast<Rep>(value + d)}; }
  constexpr strong_int operator-(Rep d) const { return strong_int{static_cast<Rep>(value - d)}; }
  constexpr Rep operator-(strong_int o) const { return value - o.value; }
  strong_int& operator+=(Rep d) {
    value += d;
    return *this;
  }
  strong_int& operator++() {
    ++value;
    return *this;
  }
};

template <class Inspector, class Tag, class Rep>
typename Inspector::result_type inspect(Inspector& f, strong_int<Tag, Rep>& x) {
  return f(x.value);
}

template <class Tag, class Rep>
std::string to_string(strong_int<Tag, Rep> x) {
  return std::to_string(x.value);
}

// Prints the number; for logs and CLI output, so printing needs no unwrap.
template <class Char, class Traits, class Tag, class Rep>
std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& os,
                                             strong_int<Tag, Rep> x) {
  return os << x.value;
}

struct node_id_tag {};
struct partition_id_tag {};
struct log_offset_tag {};
struct leader_epoch_tag {};
struct raft_term_tag {};
struct raft_index_tag {};
struct producer_id_tag {};
struct producer_epoch_tag {};
struct member_epoch_tag {};
struct partition_epoch_tag {};

using node_id = strong_int<node_id_tag, int32_t>;
using partition_id = strong_int<partition_id_tag, int32_t>;
using log_offset = strong_int<log_offset_tag, int64_t>;
using leader_epoch = strong_int<leader_epoch_tag, int32_t>;
// No partition: the report of a record whose topic is unknown or whose send failed before a
// partition was chosen; on the wire, a record the partitioner places.
inline constexpr partition_id no_partition{-1};
// No offset: a failed send's report, a partition without a committed offset, a consumer
// position not known yet (Kafka's -1).
inline constexpr log_offset no_offset{-1};
// No leader epoch known (Kafka's NO_PARTITION_LEADER_EPOCH).
inline constexpr leader_epoch no_leader_epoch{-1};
using raft_term = strong_int<raft_term_tag, int64_t>;
using raft_index = strong_int<raft_index_tag, int64_t>;  // Raft log index; 0 = before the log
// An idempotent producer's id and epoch, as Kafka's InitProducerId hands them out.
using producer_id = strong_int<producer_id_tag, int64_t>;
using producer_epoch = strong_int<producer_epoch_tag, int16_t>;
// A batch of a producer that is not idempotent carries these (Kafka's RecordBatch
// NO_PRODUCER_ID / NO_PRODUCER_EPOCH).
inline constexpr producer_id no_producer_id{-1};
inline constexpr producer_epoch no_producer_epoch{-1};
// The last epoch of a producer id (Kafka's Short.MAX_VALUE): it cannot be bumped past it.
inline constexpr producer_epoch max_producer_epoch{std::numeric_limits<int16_t>::max()};
// A consumer group's epoch and each member's (KIP-848): a member's epoch catches up with
// the group's, so both are one type.
using member_epoch = strong_int<member_epoch_tag, int32_t>;
// A partition's epoch: bumped on every leader or ISR change; fences ISR proposals (KIP-497).
using partition_epoch = strong_int<partition_epoch_tag, int32_t>;

// The one "no node" value: no leader, no controller elected, no vote cast, a bootstrap
// broker whose id is not known yet.
inline constexpr node_id no_node{-1};

// A topic-partition: the unit of ordering, storage and leadership.
struct topic_partition {
  std::string topic;
  partition_id partition;

  bool operator==(const topic_partition& o) const {
    return partition == o.partition && topic == o.topic;
  }
  bool operator!=(const topic_partition& o) const { return !(*this == o); }
  bool operator<(const topic_partition& o) const {
    return topic < o.topic || (topic == o.topic && partition < o.partition);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_partition& x) {
  return f(x.topic, x.partition);
}

// "orders-7"; just "orders" when the partition is not known (negative, e.g. in the
// delivery report of a record for a topic that does not exist).
inline std::string to_string(const topic_partition& tp) {
  if (tp.partition < partition_id{0})
    return tp.topic;
  return tp.topic + "-" + to_string(tp.partition);
}

} // namespace cafka

namespace std {
template <class Tag, class Rep>
struct hash<cafka::strong_int<Tag, Rep>> {
  size_t operator()(cafka::strong_int<Tag, Rep> x) const noexcept {
    return std::hash<Rep>{}(x.value);
  }
};
template <>
struct hash<cafka::topic_partition> {
  size_t operator()(const cafka::topic_partition& x) const noexcept {
    return std::hash<std::string>{}(x.topic) * 31 + std::hash<cafka::partition_id>{}(x.partition);
  }
};
} // namespace std
