#include "runtime/cluster/topic_caps.hpp"

#include <algorithm>

#include "runtime/base/errc.hpp"

namespace cafka {

topic_count count_topics(const cluster_metadata& md) {
  topic_count out;
  out.topics = static_cast<int64_t>(md.topics.size());
  for (auto& t : md.topics)
    out.partitions += static_cast<int64_t>(t.partitions.size());
  return out;
}

bool is_internal_topic(const std::string& name) {
  return name == "__consumer_offsets";
}

caf::error check_topic_caps(const topic_count& have, const create_topic_request& req,
                            const topic_caps& caps) {
  if (is_internal_topic(req.name))
    return {};
  if (have.topics + 1 > caps.max_topics)
    return make_error(errc::limit_exceeded,
                      "creating topic '" + req.name + "' would pass [limits] max-topics = "
                        + std::to_string(caps.max_topics) + " (the cluster has "
                        + std::to_string(have.topics) + " topics)");
  auto adds = std::max<int64_t>(req.partitions, 0);
  if (have.partitions + adds > caps.max_partitions)
    return make_error(errc::limit_exceeded,
                      "creating topic '" + req.name + "' with " + std::to_string(adds)
                        + " partition(s) would pass [limits] max-partitions = "
                        + std::to_string(caps.max_partitions) + " (the cluster has "
                        + std::to_string(have.partitions) + " partitions)");
  return {};
}

caf::error check_partition_caps(const topic_count& have, const std::string& topic,
                                int64_t adds, const topic_caps& caps) {
  if (is_internal_topic(topic) || have.partitions + adds <= caps.max_partitions)
    return {};
  return make_error(errc::limit_exceeded,
                    "adding " + std::to_string(adds) + " partition(s) to topic '" + topic
                      + "' would pass [limits] max-partitions = "
                      + std::to_string(caps.max_partitions) + " (the cluster has "
                      + std::to_string(have.partitions) + " partitions)");
}

} // namespace cafka
