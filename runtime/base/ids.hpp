// Strong types for every id, offset, epoch and term in cafka.
// Plain value types shared by runtime/ and actors/; no actor context, safe on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace cafka {

// A tagged integer: ids of different kinds never mix by accident.
template <class Tag, class Rep>
struct strong_int {
  using rep = Rep;
  Rep value{};

  constexpr strong_int() = default;
  constexpr explicit strong_int(Rep v) : value(v) {}

  constexpr Rep operator()() const { return value; }
  constexpr bool operator==(strong_int o) const { return value == o.value; }
  constexpr bool operator!=(strong_int o) const { return value != o.value; }
  constexpr bool operator<(strong_int o) const { return value < o.value; }
  constexpr bool operator<=(strong_int o) const { return value <= o.value; }
  constexpr bool operator>(strong_int o) const { return value > o.value; }
  constexpr bool operator>=(strong_int o) const { return value >= o.value; }
  constexpr strong_int operator+(Rep d) const { return strong_int{value + d}; }
  constexpr strong_int operator-(Rep d) const { return strong_int{value - d}; }
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

struct node_id_tag {};
struct partition_id_tag {};
struct log_offset_tag {};
struct leader_epoch_tag {};
struct raft_term_tag {};
struct raft_index_tag {};

using node_id = strong_int<node_id_tag, int32_t>;
using partition_id = strong_int<partition_id_tag, int32_t>;
using log_offset = strong_int<log_offset_tag, int64_t>;
using leader_epoch = strong_int<leader_epoch_tag, int32_t>;
using raft_term = strong_int<raft_term_tag, int64_t>;
using raft_index = strong_int<raft_index_tag, int64_t>;  // Raft log index; 0 = before the log

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
  if (tp.partition.value < 0)
    return tp.topic;
  return tp.topic + "-" + std::to_string(tp.partition.value);
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
    return std::hash<std::string>{}(x.topic) * 31
           + static_cast<size_t>(x.partition.value);
  }
};
} // namespace std
