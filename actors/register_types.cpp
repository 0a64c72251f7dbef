#include "actors/register_types.hpp"

#include <set>
#include <vector>

#include "actors/broker/broker_interface.hpp"
#include "actors/broker/replica_interface.hpp"
#include "actors/chaos/chaos_interface.hpp"
#include "actors/controller/controller_interface.hpp"
#include "actors/group/group_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "cafka/client_messages.hpp"

#include "actors/client/actor_thread.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

void register_types(caf::actor_system_config& cfg) {
  // The client facades refuse to block on the system's own threads (actor_thread.hpp).
  cfg.add_thread_hook<actor_thread_marker>();
  cfg.add_message_type<node_id>("cafka::node_id");
  cfg.add_message_type<partition_id>("cafka::partition_id");
  cfg.add_message_type<log_offset>("cafka::log_offset");
  cfg.add_message_type<leader_epoch>("cafka::leader_epoch");
  cfg.add_message_type<producer_id>("cafka::producer_id");
  cfg.add_message_type<topic_partition>("cafka::topic_partition");
  cfg.add_message_type<std::vector<topic_partition>>("std::vector<cafka::topic_partition>");
  cfg.add_message_type<produce_request>("cafka::produce_request");
  cfg.add_message_type<produce_response>("cafka::produce_response");
  cfg.add_message_type<fetch_request>("cafka::fetch_request");
  cfg.add_message_type<fetch_response>("cafka::fetch_response");
  cfg.add_message_type<list_offsets_request>("cafka::list_offsets_request");
  cfg.add_message_type<list_offsets_response>("cafka::list_offsets_response");
  cfg.add_message_type<create_topic_request>("cafka::create_topic_request");
  cfg.add_message_type<alter_topic_configs_request>("cafka::alter_topic_configs_request");
  cfg.add_message_type<create_partitions_request>("cafka::create_partitions_request");
  cfg.add_message_type<alter_reassignments_request>("cafka::alter_reassignments_request");
  cfg.add_message_type<std::vector<reassignment_result>>(
    "std::vector<cafka::reassignment_result>");
  cfg.add_message_type<decommission_request>("cafka::decommission_request");
  cfg.add_message_type<topic_config>("cafka::topic_config");
  cfg.add_message_type<delete_topic_request>("cafka::delete_topic_request");
  cfg.add_message_type<metadata_request>("cafka::metadata_request");
  cfg.add_message_type<replica_fetch_request>("cafka::replica_fetch_request");
  cfg.add_message_type<replica_fetch_response>("cafka::replica_fetch_response");
  cfg.add_message_type<alter_isr_request>("cafka::alter_isr_request");
  cfg.add_message_type<broker_metadata>("cafka::broker_metadata");
  cfg.add_message_type<partition_metadata>("cafka::partition_metadata");
  cfg.add_message_type<topic_metadata>("cafka::topic_metadata");
  cfg.add_message_type<cluster_metadata>("cafka::cluster_metadata");
  cfg.add_message_type<record_header>("cafka::record_header");
  cfg.add_message_type<record>("cafka::record");
  cfg.add_message_type<consumer_records>("cafka::consumer_records");
  cfg.add_message_type<producer_record>("cafka::producer_record");
  cfg.add_message_type<delivery_report>("cafka::delivery_report");
  cfg.add_message_type<std::vector<producer_record>>("std::vector<cafka::producer_record>");
  cfg.add_message_type<std::vector<delivery_report>>("std::vector<cafka::delivery_report>");
  cfg.add_message_type<group_heartbeat_request>("cafka::group_heartbeat_request");
  cfg.add_message_type<group_heartbeat_response>("cafka::group_heartbeat_response");
  cfg.add_message_type<partition_offset>("cafka::partition_offset");
  cfg.add_message_type<std::vector<partition_offset>>("std::vector<cafka::partition_offset>");
  cfg.add_message_type<offset_commit_request>("cafka::offset_commit_request");
  cfg.add_message_type<offset_fetch_request>("cafka::offset_fetch_request");
  cfg.add_message_type<member_description>("cafka::member_description");
  cfg.add_message_type<group_description>("cafka::group_description");
  cfg.add_message_type<group_admin_request>("cafka::group_admin_request");
  cfg.add_message_type<partition_result>("cafka::partition_result");
  cfg.add_message_type<group_admin_response>("cafka::group_admin_response");
  cfg.add_message_type<classic_protocol>("cafka::classic_protocol");
  cfg.add_message_type<classic_group_request>("cafka::classic_group_request");
  cfg.add_message_type<classic_group_response>("cafka::classic_group_response");
  cfg.add_message_type<partitions_assigned>("cafka::partitions_assigned");
  cfg.add_message_type<partitions_revoked>("cafka::partitions_revoked");
  cfg.add_message_type<consumer_failed>("cafka::consumer_failed");
  cfg.add_message_type<consumer_error>("cafka::consumer_error");
  cfg.add_message_type<fault_rule>("cafka::fault_rule");
  cfg.add_message_type<fault_status>("cafka::fault_status");
  cfg.add_message_type<std::vector<fault_status>>("std::vector<cafka::fault_status>");
  cfg.add_message_type<std::set<node_id>>("std::set<cafka::node_id>");
  cfg.add_message_type<broker_actor>("cafka::broker_actor");
  cfg.add_message_type<controller_actor>("cafka::controller_actor");
  cfg.add_message_type<controller_member_actor>("cafka::controller_member_actor");
  cfg.add_message_type<node_actor>("cafka::node_actor");
  cfg.add_message_type<raft_index>("cafka::raft_index");
  cfg.add_message_type<raft_term>("cafka::raft_term");
  cfg.add_message_type<raft::log_entry>("cafka::raft::log_entry");
  cfg.add_message_type<raft::snapshot_descriptor>("cafka::raft::snapshot_descriptor");
  cfg.add_message_type<raft::snapshot>("cafka::raft::snapshot");
  cfg.add_message_type<raft::vote_request>("cafka::raft::vote_request");
  cfg.add_message_type<raft::vote_reply>("cafka::raft::vote_reply");
  cfg.add_message_type<raft::append_request>("cafka::raft::append_request");
  cfg.add_message_type<raft::append_reply>("cafka::raft::append_reply");
  cfg.add_message_type<raft::install_snapshot>("cafka::raft::install_snapshot");
  cfg.add_message_type<raft::snapshot_reply>("cafka::raft::snapshot_reply");
  cfg.add_message_type<member_status>("cafka::member_status");
  cfg.add_message_type<quorum_status>("cafka::quorum_status");
  cfg.add_message_type<replica_actor>("cafka::replica_actor");
  cfg.add_message_type<producer_actor>("cafka::producer_actor");
  cfg.add_message_type<consumer_actor>("cafka::consumer_actor");
  cfg.add_message_type<scram_credential>("cafka::scram_credential");
  cfg.add_message_type<credential_name>("cafka::credential_name");
  cfg.add_message_type<scram_user>("cafka::scram_user");
  cfg.add_message_type<std::vector<scram_user>>("std::vector<cafka::scram_user>");
  cfg.add_message_type<acl_binding>("cafka::acl_binding");
  cfg.add_message_type<std::vector<acl_binding>>("std::vector<cafka::acl_binding>");
  cfg.add_message_type<std::vector<std::vector<acl_binding>>>(
    "std::vector<std::vector<cafka::acl_binding>>");
  cfg.add_message_type<acl_filter>("cafka::acl_filter");
  cfg.add_message_type<std::vector<acl_filter>>("std::vector<cafka::acl_filter>");
  cfg.add_message_type<std::vector<caf::error>>("std::vector<caf::error>");
  cfg.add_message_type<access_metadata>("cafka::access_metadata");
  cfg.add_error_category(errc_category,
                         [](uint8_t code, caf::atom_value category, const caf::message& ctx) {
                           return describe(caf::error{code, category, ctx});
                         });
}

} // namespace cafka
