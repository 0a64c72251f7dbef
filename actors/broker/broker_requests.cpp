// The broker's request metrics of cafka's own protocol (see broker_requests.hpp).
#include "actors/broker/broker_requests.hpp"

#include <caf/sec.hpp>

#include "runtime/base/errc.hpp"

namespace cafka {

const char* to_string(native_api x) {
  switch (x) {
    case native_api::produce: return "produce";
    case native_api::fetch: return "fetch";
    case native_api::list_offsets: return "list_offsets";
    case native_api::replica_fetch: return "replica_fetch";
    case native_api::metadata: return "metadata";
    case native_api::create_topic: return "create_topic";
    case native_api::delete_topic: return "delete_topic";
    case native_api::alter_configs: return "alter_configs";
    case native_api::create_partitions: return "create_partitions";
    case native_api::reassign: return "reassign";
    case native_api::decommission: return "decommission";
    case native_api::init_pid: return "init_pid";
    case native_api::upsert_credential: return "upsert_credential";
    case native_api::delete_credential: return "delete_credential";
    case native_api::list_users: return "list_users";
    case native_api::create_acls: return "create_acls";
    case native_api::delete_acls: return "delete_acls";
    case native_api::describe_acls: return "describe_acls";
    case native_api::find_coordinator: return "find_coordinator";
    case native_api::group_heartbeat: return "group_heartbeat";
    case native_api::commit: return "commit";
    case native_api::offset_fetch: return "offset_fetch";
    case native_api::describe_group: return "describe_group";
    case native_api::list_groups: return "list_groups";
    case native_api::classic: return "classic";
    case native_api::group_admin: return "group_admin";
  }
  return "unknown";
}

std::string error_label(const caf::error& err) {
  if (err.category() == errc_category)
    return to_string(static_cast<errc>(err.code()));
  if (err.category() == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(err.code()));
  return "unknown";
}

native_request_metrics::native_request_metrics(std::shared_ptr<metrics::node_metrics> m)
  : metrics_(std::move(m)) {
  // nop
}

metrics::request_series& native_request_metrics::series(native_api api) {
  auto& s = series_[static_cast<size_t>(api)];
  if (!s)
    s = metrics_->request(metrics::request_protocol::native, to_string(api));
  return *s;
}

void native_request_metrics::answered(native_api api, clock::time_point start,
                                      const caf::error& err) {
  if (!metrics_)
    return;
  auto& s = series(api);
  s.requests.inc();
  s.latency.observe(std::chrono::duration<double>(clock::now() - start).count());
  if (err)
    metrics_->count_error(metrics::request_protocol::native, to_string(api), error_label(err));
}

void native_request_metrics::delegated(native_api api) {
  if (metrics_)
    series(api).requests.inc();
}

} // namespace cafka
