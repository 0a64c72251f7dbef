#include "runtime/kafka/offset_rules.hpp"

#include <map>
#include <string>

namespace cafka::kafka {

commit_split split_commit(const offset_commit_request& req) {
  commit_split out;
  // A generation of -1 with an empty member id is a commit from outside the group.
  out.commit.group = req.group_id;
  out.commit.member_id = req.member_id;
  out.commit.member_epoch = req.generation_id;
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
                                    p.committed_offset,
                                    p.committed_leader_epoch,
                                    std::move(metadata)});
    }
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
    p.committed_offset = po.offset;
    p.committed_leader_epoch = po.leader_epoch;
    p.metadata = po.metadata;
    out.topics[i->second].partitions.push_back(std::move(p));
  }
  return out;
}

} // namespace cafka::kafka
