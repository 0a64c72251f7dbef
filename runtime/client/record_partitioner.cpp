#include "runtime/client/record_partitioner.hpp"

#include <string>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/murmur2.hpp"

namespace cafka {

caf::expected<partition_id> partition_of(const producer_record& r, int32_t num_partitions,
                                         record_accumulator& acc) {
  if (r.partition) {
    if (*r.partition < partition_id{0} || *r.partition >= partition_id{num_partitions})
      return make_error(errc::unknown_topic_or_partition,
                        "partition " + to_string(*r.partition) + " of topic '" + r.topic
                          + "' does not exist (it has " + std::to_string(num_partitions) + ")");
    return *r.partition;
  }
  if (r.key)
    return partition_id{partition_for_key(*r.key, num_partitions)};
  return acc.sticky_partition(r.topic, num_partitions);
}

record_accumulator::partition_availability available_partitions(const cluster_metadata& md) {
  record_accumulator::partition_availability out;
  for (auto& t : md.topics) {
    auto& ps = out[t.name];
    for (auto& p : t.partitions) {
      auto b = p.leader == no_node ? nullptr : md.find_broker(p.leader);
      if (b != nullptr && b->alive)
        ps.push_back(p.id);
    }
  }
  return out;
}

} // namespace cafka
