// The load of an offsets partition and the routing rule (offsets_load.hpp).
#include "runtime/group/offsets_load.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/batches_end.hpp"
#include "runtime/protocol/record_batch.hpp"

namespace cafka::group {

offsets_load::offsets_load(leader_epoch epoch, size_t managers_stopping)
  : epoch_(epoch), stopping_(managers_stopping) {
}

load_step offsets_load::next_step() const {
  if (loaded_)
    return load_step::serve;
  return stopping_ > 0 ? load_step::wait_managers : load_step::read;
}

void offsets_load::manager_stopped() {
  if (stopping_ > 0)
    --stopping_;
}

load_step offsets_load::on_read(const fetch_response& resp) {
  if (loaded_)
    return load_step::serve;
  if (next_ < resp.log_start_offset)
    next_ = resp.log_start_offset;
  std::vector<record> recs;
  if (auto err = decode_records(resp.records, recs, next_)) {
    warnings_.push_back("at offset " + to_string(next_) + ": " + describe(err)
                        + "; retrying");
    return load_step::retry_later;
  }
  if (recs.empty()) {
    // Compacted batches with nothing at or after next_ (thinned or empty ones): go on after
    // them. Loaded only once nothing is left below the high watermark.
    if (auto end = batches_end(resp.records);
        end && *end > next_ && *end <= resp.high_watermark) {
      next_ = *end;
      return load_step::read;
    }
    if (resp.high_watermark >= next_) {
      loaded_ = true;
      return load_step::serve;
    }
    return load_step::retry_later;
  }
  for (auto& r : recs) {
    std::optional<std::string_view> value;
    if (r.has_value)
      value = r.value;
    if (!r.has_key)
      warnings_.push_back("skipping a record without key at offset "
                          + to_string(r.offset));
    else if (auto err = loader_.apply(r.key, value))
      warnings_.push_back("skipping offset " + to_string(r.offset) + ": "
                          + describe(err));
    next_ = r.offset + 1;
  }
  return load_step::read;
}

std::vector<std::string> offsets_load::take_warnings() {
  auto out = std::move(warnings_);
  warnings_.clear();
  return out;
}

std::map<std::string, loaded_group> offsets_load::take_groups() {
  auto out = std::move(loader_.groups());
  loader_ = group_loader{};
  return out;
}

caf::expected<partition_id> serving_partition(const std::string& group,
                                              int32_t offsets_partitions,
                                              const std::map<partition_id, offsets_load>& led,
                                              node_id self) {
  if (auto err = validate_group_id(group))
    return err;
  if (offsets_partitions <= 0)
    return make_error(errc::coordinator_not_available, "no __consumer_offsets topic yet");
  auto p = partition_id{partition_for_group(group, offsets_partitions)};
  auto i = led.find(p);
  if (i == led.end())
    return make_error(errc::not_coordinator, "broker " + to_string(self)
                                               + " does not coordinate group '" + group + "'");
  if (!i->second.loaded())
    return make_error(errc::coordinator_load_in_progress,
                      "loading " + to_string(topic_partition{offsets_topic, p}));
  return p;
}

caf::error check_new_group(const std::string& group, size_t coordinated, int32_t max_groups,
                           node_id self) {
  if (coordinated < static_cast<size_t>(std::max(max_groups, 0)))
    return {};
  return make_error(errc::limit_exceeded,
                    "group '" + group + "' would pass [limits] max-groups = "
                      + std::to_string(max_groups) + " (node " + to_string(self)
                      + " coordinates " + std::to_string(coordinated) + " groups)");
}

} // namespace cafka::group
