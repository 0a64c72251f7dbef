#include "tests/actors/fake_broker.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/base/errc.hpp"

namespace cafka::test {

broker_actor fake_broker(caf::actor_system& sys, bool accept_produce) {
  return sys.spawn([accept_produce](broker_actor::pointer) -> broker_actor::behavior_type {
    return {
      [accept_produce](produce_atom, produce_request& req) -> caf::result<produce_response> {
        if (!accept_produce)
          return make_error(errc::invalid_request);
        return produce_response{req.tp, log_offset{0}, log_offset{0}};
      },
      [](fetch_atom, fetch_request&) -> caf::result<fetch_response> {
        return make_error(errc::invalid_request);
      },
      [](list_offsets_atom, list_offsets_request&) -> caf::result<list_offsets_response> {
        return make_error(errc::invalid_request);
      },
      [](metadata_atom, metadata_request&) -> caf::result<cluster_metadata> {
        return make_error(errc::invalid_request);
      },
      [](create_topic_atom, create_topic_request&) -> caf::result<topic_metadata> {
        return make_error(errc::invalid_request);
      },
      [](delete_topic_atom, delete_topic_request&) -> caf::result<caf::ok_atom> {
        return make_error(errc::invalid_request);
      },
      [](alter_configs_atom, alter_topic_configs_request&) -> caf::result<caf::ok_atom> {
        return make_error(errc::invalid_request);
      },
      [](create_partitions_atom, create_partitions_request&) -> caf::result<topic_metadata> {
        return make_error(errc::invalid_request);
      },
      [](reassign_atom, alter_reassignments_request&)
        -> caf::result<std::vector<reassignment_result>> {
        return make_error(errc::invalid_request);
      },
      [](decommission_atom, decommission_request&) -> caf::result<caf::ok_atom> {
        return make_error(errc::invalid_request);
      },
      [](replica_fetch_atom, replica_fetch_request&) -> caf::result<replica_fetch_response> {
        return make_error(errc::invalid_request);
      },
      [](alter_isr_atom, alter_isr_request&) -> caf::result<partition_metadata> {
        return make_error(errc::invalid_request);
      },
      [](init_pid_atom) -> caf::result<producer_id> { return make_error(errc::invalid_request); },
      [](find_coordinator_atom, std::string&) -> caf::result<node_id> {
        return make_error(errc::invalid_request);
      },
      [](group_heartbeat_atom, group_heartbeat_request&)
        -> caf::result<group_heartbeat_response> { return make_error(errc::invalid_request); },
      [](commit_atom, offset_commit_request&) -> caf::result<caf::ok_atom> {
        return make_error(errc::invalid_request);
      },
      [](offset_fetch_atom, offset_fetch_request&)
        -> caf::result<std::vector<partition_offset>> { return make_error(errc::invalid_request); },
      [](describe_group_atom, std::string&) -> caf::result<group_description> {
        return make_error(errc::invalid_request);
      },
      [](list_groups_atom) -> caf::result<std::vector<std::string>> {
        return make_error(errc::invalid_request);
      },
      [](classic_atom, classic_group_request&) -> caf::result<classic_group_response> {
        return make_error(errc::invalid_request);
      },
      [](group_admin_atom, group_admin_request&) -> caf::result<group_admin_response> {
        return make_error(errc::invalid_request);
      },
      [](upsert_credential_atom, scram_credential&) -> caf::result<caf::ok_atom> {
        return make_error(errc::invalid_request);
      },
      [](delete_credential_atom, credential_name&) -> caf::result<caf::ok_atom> {
        return make_error(errc::invalid_request);
      },
      [](list_users_atom) -> caf::result<std::vector<scram_user>> {
        return make_error(errc::invalid_request);
      },
      [](create_acls_atom, std::vector<acl_binding>&) -> caf::result<std::vector<caf::error>> {
        return make_error(errc::invalid_request);
      },
      [](delete_acls_atom, std::vector<acl_filter>&)
        -> caf::result<std::vector<std::vector<acl_binding>>> {
        return make_error(errc::invalid_request);
      },
      [](describe_acls_atom, acl_filter&) -> caf::result<std::vector<acl_binding>> {
        return make_error(errc::invalid_request);
      },
      [](access_update_atom, access_metadata&) {},
      [](md_update_atom, cluster_metadata&) {},
      [](peer_atom, node_id, caf::strong_actor_ptr&) {},
      [](node_link_atom, node_id, caf::strong_actor_ptr&) {},
      [](stop_atom) { return caf::ok_atom::value; },
    };
  });
}

} // namespace cafka::test
