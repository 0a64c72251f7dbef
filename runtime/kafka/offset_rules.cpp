#include "runtime/kafka/offset_rules.hpp"

#include <map>
#include <string>

#include "runtime/protocol/record_batch.hpp"

namespace cafka::kafka {

namespace {

// A record's framing at its largest (no headers): length, attributes, timestamp delta,
// offset delta, key length, value length and header count (varints and varlongs).
constexpr size_t max_record_overhead = 5 + 1 + 10 + 5 + 5 + 5 + 5;
// OffsetCommitKey v1: version, group, topic, partition; OffsetCommitValue v3: version,
// offset, leader epoch, metadata, commit timestamp (int16 string lengths).
constexpr size_t key_fixed = 2 + 2 + 2 + 4;
constexpr size_t value_fixed = 2 + 8 + 4 + 2 + 8;

} // namespace

size_t commit_write_size(const ::cafka::offset_commit_request& commit) {
  size_t out = batch_header_size;
  for (auto& po : commit.offsets)
    out += max_record_overhead + key_fixed + commit.group.size() + po.tp.topic.size()
           + value_fixed + po.metadata.size();
  return out;
}

commit_split split_commit(const offset_commit_request& req, size_t max_write_bytes) {
  commit_split out;
  // A generation of -1 with an empty member id is a commit from outside the group.
  out.commit.group = req.group_id;
  out.commit.member_id = req.member_id;
  out.commit.member_epoch = member_epoch{req.generation_id};
  for (auto& t : req.topics) {
    auto& ot = out.response.topics.emplace_back();
    ot.name = t.name;
    for (auto& p : t.partitions) {
      auto& op = ot.partitions.emplace_back();
      op.partition_index = p.partition_index;
      auto metadata = p.committed_metadata.value_or(std::string{});
      if (metadata.size() > max_offset_metadata_size) {
        op.error_code = code(error_code::offset_metadata_too_large);
        continue;
      }
      out.commit.offsets.push_back({{t.name, partition_id{p.partition_index}},
                                    log_offset{p.committed_offset},
                                    leader_epoch{p.committed_leader_epoch},
                                    std::move(metadata)});
    }
  }
  if (commit_write_size(out.commit) > max_write_bytes) {
    fail_commit(out.response, error_code::invalid_commit_offset_size);
    out.commit.offsets.clear();
  }
  return out;
}

void fail_commit(offset_commit_response& x, error_code e) {
  for (auto& t : x.topics)
    for (auto& p : t.partitions)
      if (p.error_code == 0)
        p.error_code = code(e);
}

offset_fetch_response fetch_answer(const std::vector<partition_offset>& offsets) {
  offset_fetch_response out;
  std::map<std::string, size_t> index;
  for (auto& po : offsets) {
    auto i = index.emplace(po.tp.topic, out.topics.size()).first;
    if (i->second == out.topics.size())
      out.topics.push_back({po.tp.topic, {}});
    offset_fetch_response::offset_fetch_response_partition p;
    p.partition_index = po.tp.partition.value;
    p.committed_offset = po.offset.value;
    p.committed_leader_epoch = po.leader_epoch.value;
    p.metadata = po.metadata;
    out.topics[i->second].partitions.push_back(std::move(p));
  }
  return out;
}

} // namespace cafka::kafka
