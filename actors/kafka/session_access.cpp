// The session's authorization: every check of a Kafka request against the broker's current
// ACLs (access_cache), as this session's principal from this session's host. Without
// `authorizer = "acl"` every request is allowed, as Kafka without an authorizer.

#include <algorithm>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/security/authorize_by_type.hpp"
#include "runtime/security/authorizer.hpp"

namespace cafka {

namespace {

// The client's address without the slash Kafka shows it with ("/127.0.0.1"); IPv4 clients of
// a dual-stack listener come as plain IPv4 (kafka_connection.cpp).
std::string_view host_of(const kafka_session_state& st) {
  std::string_view h = st.client_host;
  if (!h.empty() && h.front() == '/')
    h.remove_prefix(1);
  return h;
}

} // namespace

bool allowed(kafka_session_self self, acl_operation op, acl_resource_type type,
             std::string_view name) {
  auto& st = self->state;
  if (!st.ctx.cfg->security.acl_authorizer)
    return true;
  auto& su = st.authz.super_users;
  if (!st.ctx.access->loaded()) // fail closed until the quorum's ACLs arrived
    return std::find(su.begin(), su.end(), st.principal) != su.end();
  auto access = st.ctx.access->current();
  return authorize(access->acls, st.authz, st.principal, host_of(st), op, type, name);
}

bool may_create_topic(kafka_session_self self, std::string_view topic) {
  return allowed(self, acl_operation::create, acl_resource_type::cluster, cluster_resource_name)
         || allowed(self, acl_operation::create, acl_resource_type::topic, topic);
}

bool may_write_idempotently(kafka_session_self self) {
  auto& st = self->state;
  if (allowed(self, acl_operation::idempotent_write, acl_resource_type::cluster,
              cluster_resource_name))
    return true;
  if (!st.ctx.access->loaded())
    return false;  // allowed() already said yes to a super user
  auto access = st.ctx.access->current();
  return authorize_by_resource_type(access->acls, st.authz, st.principal, host_of(st),
                                    acl_operation::write, acl_resource_type::topic);
}

} // namespace cafka
