#include "runtime/kafka/topic_admin_rules.hpp"

#include <algorithm>
#include <map>

#include "runtime/base/errc.hpp"
#include "runtime/cluster/topic_config.hpp"

namespace cafka::kafka {

namespace {


admin_error refuse(error_code code, std::string message) {
  return {code, std::move(message)};
}

admin_error check_null_configs(const create_topics_request::creatable_topic& t) {
  std::string nulls;
  for (auto& c : t.configs)
    if (!c.value)
      nulls += (nulls.empty() ? "" : ",") + c.name;
  if (nulls.empty())
    return {};
  return refuse(error_code::invalid_request,
                "Null value not supported for topic configs: " + nulls);
}

// The topic's configs as overrides; invalid ones (unknown names, bad values, a name given
// twice) refused with INVALID_CONFIG and Kafka's message. Requires: no null values.
admin_error check_config_values(const create_topics_request::creatable_topic& t) {
  auto entries = config_entries(t);
  if (auto err = validate_topic_configs(entries))
    return refuse(error_code::invalid_config, context_of(err));
  return {};
}

} // namespace

std::set<std::string> duplicate_names(const std::vector<std::string>& names) {
  std::map<std::string, int> seen;
  std::set<std::string> out;
  for (auto& n : names)
    if (++seen[n] == 2)
      out.insert(n);
  return out;
}

admin_error check_new_topic(const create_topics_request::creatable_topic& t,
                            const broker_defaults&) {
  if (auto err = check_null_configs(t); !err.ok())
    return err;
  if (!t.assignments.empty()) {
    if (t.num_partitions != -1 || t.replication_factor != -1)
      return refuse(error_code::invalid_request,
                    "Both numPartitions or replicationFactor and replicasAssignments were "
                    "set. Both cannot be used at the same time.");
    return refuse(error_code::invalid_replica_assignment,
                  "cafka places replicas itself: manual replica assignments are not "
                  "supported; give numPartitions and replicationFactor instead");
  }
  // -1 asks for the cluster default; the controller checks the rest of the range.
  if (t.num_partitions == 0 || t.num_partitions < -1)
    return refuse(error_code::invalid_partitions, "Number of partitions must be larger than 0.");
  if (t.replication_factor == 0 || t.replication_factor < -1)
    return refuse(error_code::invalid_replication_factor,
                  "Replication factor must be larger than 0.");
  return check_config_values(t);
}

std::vector<topic_config_entry>
config_entries(const create_topics_request::creatable_topic& t) {
  std::vector<topic_config_entry> out;
  for (auto& c : t.configs)
    out.push_back({c.name, c.value.value_or("")});
  return out;
}

create_topic_request resolve_new_topic(const create_topics_request::creatable_topic& t,
                                       const broker_defaults& d) {
  create_topic_request out;
  out.name = t.name;
  out.partitions = t.num_partitions == -1 ? d.num_partitions : t.num_partitions;
  out.replication_factor =
    t.replication_factor == -1 ? d.default_replication_factor : t.replication_factor;
  out.configs = config_entries(t);
  static_cast<void>(validate_topic_configs(out.configs));  // sorts; check_new_topic checked
  return out;
}

admin_error admin_error_of(const caf::error& err) {
  auto code = to_kafka_error(err);
  // Every "this broker or quorum cannot serve it now" error maps to not_leader_or_follower
  // for partitions; for topic admin it means: find the controller again.
  if (code == error_code::not_leader_or_follower || code == error_code::not_controller)
    return {error_code::not_controller, context_of(err)};
  if (code == error_code::request_timed_out && errc_of(err) == errc::none)
    return {code, "timed out waiting for the controller"};
  return {code, context_of(err)};
}

} // namespace cafka::kafka
