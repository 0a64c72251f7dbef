// How a Kafka session maps OffsetCommit and OffsetFetch onto the group manager's messages
// (runtime/protocol/group_messages.hpp) and the answers back: offsets with their committed
// leader epoch and metadata, and Kafka's metadata size limit. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/kafka/kafka_error.hpp"
#include "runtime/kafka/offset_codec.hpp"
#include "runtime/protocol/group_messages.hpp"

namespace cafka::kafka {

// An OffsetCommit split in two: what the group's manager is asked to store, and the response
// with every partition in request order, answered 0 for now. As in Kafka, a partition whose
// metadata is longer than max_offset_metadata_size is answered OFFSET_METADATA_TOO_LARGE
// and not stored; the others are. A null metadata is stored as "". If the records of the
// partitions to store could exceed max_write_bytes (the offsets topic's message.max.bytes)
// in one batch, none is stored and each is answered INVALID_COMMIT_OFFSET_SIZE, as Kafka
// answers a commit it cannot append.
struct commit_split {
  ::cafka::offset_commit_request commit;
  offset_commit_response response;
};

commit_split split_commit(const offset_commit_request& req, size_t max_write_bytes);

// An upper bound of the bytes of the record batch that stores `commit` in __consumer_offsets:
// an OffsetCommitKey v1 and an OffsetCommitValue v3 per offset (docs/group-records-format.md).
size_t commit_write_size(const ::cafka::offset_commit_request& commit);

// The store failed as a whole: every partition answered 0 so far gets `e`.
void fail_commit(offset_commit_response& x, error_code e);

// An OffsetFetch answer of the committed offsets, by topic in first-seen order, with each
// partition's committed leader epoch (sent from v5) and metadata.
offset_fetch_response fetch_answer(const std::vector<partition_offset>& offsets);

} // namespace cafka::kafka
