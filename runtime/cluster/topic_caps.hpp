// The [limits] caps on the cluster's topics and partitions (max-topics, max-partitions): the
// check the active controller makes before it proposes a topic, and a broker before it asks
// for an auto-created one. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "runtime/cluster/metadata.hpp"
#include "runtime/protocol/messages.hpp"

namespace cafka {

struct topic_caps {
  int32_t max_topics = 2000;       // [limits] max-topics
  int32_t max_partitions = 10000;  // [limits] max-partitions
};

// Topics and partitions, counted together (the cluster's, or proposals not yet applied).
struct topic_count {
  int64_t topics = 0;
  int64_t partitions = 0;
};

// Every topic and partition of md, internal topics included.
topic_count count_topics(const cluster_metadata& md);

// Kafka's internal topic cafka has (__consumer_offsets): it counts towards the caps but is
// never refused by them, so that consumer groups work on a cluster at its caps.
bool is_internal_topic(const std::string& name);

// errc::limit_exceeded if creating req beside `have` would make more topics than
// caps.max_topics or more partitions than caps.max_partitions (the topic cap is checked
// first); none for an internal topic or a topic within both. The context names the topic,
// the key and its value: "creating topic 'd' would pass [limits] max-topics = 3 (the
// cluster has 3 topics)".
// Requires: req.partitions already defaulted (an invalid count is check_create's to refuse:
// a count below 1 passes here).
caf::error check_topic_caps(const topic_count& have, const create_topic_request& req,
                            const topic_caps& caps);

// errc::limit_exceeded if adding `adds` partitions to topic `topic` beside `have` would make
// more partitions than caps.max_partitions: "adding 3 partition(s) to topic 'd' would pass
// [limits] max-partitions = 10 (the cluster has 9 partitions)"; none for an internal topic.
caf::error check_partition_caps(const topic_count& have, const std::string& topic,
                                int64_t adds, const topic_caps& caps);

} // namespace cafka
