#include "runtime/cluster/metadata.hpp"

namespace cafka {

const topic_metadata* cluster_metadata::find_topic(const std::string& name) const {
  for (auto& t : topics)
    if (t.name == name)
      return &t;
  return nullptr;
}

const broker_metadata* cluster_metadata::find_broker(node_id id) const {
  for (auto& b : brokers)
    if (b.id == id)
      return &b;
  return nullptr;
}

const partition_metadata* cluster_metadata::find_partition(const topic_partition& tp) const {
  auto t = find_topic(tp.topic);
  if (t == nullptr || tp.partition < partition_id{0})
    return nullptr;
  auto i = static_cast<size_t>(tp.partition.value);  // a vector index: partitions in id order
  return i < t->partitions.size() ? &t->partitions[i] : nullptr;
}

} // namespace cafka
