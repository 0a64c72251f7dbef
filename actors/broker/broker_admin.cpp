// The broker's admin requests, handed to the controller quorum (see broker_state.hpp): topic
// create (answered once this broker's metadata shows the topic) and delete, ISR changes of
// its replicas, producer ids, credentials and ACLs. Broker actor context.
#include "actors/broker/broker_state.hpp"
#include "actors/node/authorization.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"

namespace cafka {

namespace {

constexpr auto admin_timeout = std::chrono::seconds{30};

// Delegates the request to a controller quorum member (a follower forwards it to the
// leader); the requester's timeout covers the whole way. not_controller if none is known.
template <class Result, class... Ts>
caf::result<Result> forward_to_controller(broker_self self, Ts&&... xs) {
  auto target = admin_target(self);
  if (!target)
    return make_error(errc::not_controller, "no controller quorum member reachable");
  return self->delegate(*target, std::forward<Ts>(xs)...);
}

// Asks a controller quorum member (a follower forwards it to the leader) and answers with
// its reply, or request_timed_out after admin_timeout: the broker's own requesters (Kafka
// sessions) get an answer in bounded time. not_controller if no member is known.
// Requires of the sender what the controller requires (vouched for): the controller sees this
// broker as the sender, so the check is the broker's to make. Kafka sessions are local.
template <class Result, class... Ts>
caf::result<Result> ask_controller(broker_self self, const char* what, Ts&&... xs) {
  auto who = identify(self->current_sender());
  if (!is_vouched_for(who))
    return refuse(self->state.refusals, self->state.owner(), what, who,
                  "only a sender with an identity may ask");
  auto target = admin_target(self);
  if (!target)
    return make_error(errc::not_controller, "no controller quorum member reachable");
  auto rp = self->make_response_promise<Result>();
  self->request(*target, admin_timeout, std::forward<Ts>(xs)...)
    .then([=](Result& r) mutable { rp.deliver(std::move(r)); },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

} // namespace

void deliver_visible_topics(broker_self self, const std::string& name, bool force) {
  auto& st = self->state;
  for (auto i = st.awaiting_topics.begin(); i != st.awaiting_topics.end();) {
    auto t = st.md.find_topic(i->first);
    if (t != nullptr) {
      i->second.deliver(*t);
    } else if (force && i->first == name) {
      i->second.deliver(make_error(errc::request_timed_out,
                                   "topic '" + name + "' was created but is not visible yet"));
    } else {
      ++i;
      continue;
    }
    i = st.awaiting_topics.erase(i);
  }
}

caf::result<topic_metadata> on_create_topic(broker_self self, create_topic_request& req) {
  auto target = admin_target(self);
  if (!target)
    return make_error(errc::not_controller, "no controller quorum member reachable");
  // Answer once this broker's metadata shows the topic, so the client's next request
  // through this broker finds it.
  auto rp = self->make_response_promise<topic_metadata>();
  auto name = req.name;
  self->request(*target, admin_timeout, create_topic_atom::value, std::move(req))
    .then(
      [=](topic_metadata& t) mutable {
        auto& st = self->state;
        if (st.md.find_topic(name) != nullptr) {
          rp.deliver(std::move(t));
          return;
        }
        st.awaiting_topics.emplace(name, rp);
        self->delayed_send(self, admin_timeout, expire_atom::value, name);
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<caf::ok_atom> on_delete_topic(broker_self self, delete_topic_request& req) {
  if (req.name == group::offsets_topic)
    return make_error(errc::invalid_request,
                      "topic '" + req.name + "' is internal and cannot be deleted");
  return forward_to_controller<caf::ok_atom>(self, delete_topic_atom::value, std::move(req));
}

caf::result<caf::ok_atom> on_alter_topic_configs(broker_self self,
                                                 alter_topic_configs_request& req) {
  return ask_controller<caf::ok_atom>(self, "alter_topic_configs", alter_configs_atom::value,
                                      std::move(req));
}

caf::result<topic_metadata> on_create_partitions(broker_self self,
                                                 create_partitions_request& req) {
  return ask_controller<topic_metadata>(self, "create_partitions",
                                        create_partitions_atom::value, std::move(req));
}

caf::result<std::vector<reassignment_result>>
on_alter_reassignments(broker_self self, alter_reassignments_request& req) {
  return ask_controller<std::vector<reassignment_result>>(self, "alter_reassignments",
                                                          reassign_atom::value,
                                                          std::move(req));
}

caf::result<caf::ok_atom> on_decommission(broker_self self, decommission_request& req) {
  return ask_controller<caf::ok_atom>(self, "decommission", decommission_atom::value,
                                      std::move(req));
}

caf::result<partition_metadata> on_alter_isr(broker_self self, alter_isr_request& req) {
  auto& st = self->state;
  if (st.md.controller != no_node && st.io.faults->exchange_lost(st.id, st.md.controller))
    return make_error(errc::request_timed_out, "the controller is unreachable (fault injection)");
  return forward_to_controller<partition_metadata>(self, alter_isr_atom::value, std::move(req));
}

caf::result<producer_id> on_init_pid(broker_self self) {
  return forward_to_controller<producer_id>(self, init_pid_atom::value);
}

caf::result<caf::ok_atom> on_upsert_credential(broker_self self, scram_credential& c) {
  return ask_controller<caf::ok_atom>(self, "upsert_credential", upsert_credential_atom::value,
                                      std::move(c));
}

caf::result<caf::ok_atom> on_delete_credential(broker_self self, credential_name& n) {
  return ask_controller<caf::ok_atom>(self, "delete_credential", delete_credential_atom::value,
                                      std::move(n));
}

caf::result<std::vector<scram_user>> on_list_users(broker_self self) {
  return ask_controller<std::vector<scram_user>>(self, "list_users", list_users_atom::value);
}

caf::result<std::vector<caf::error>> on_create_acls(broker_self self,
                                                    std::vector<acl_binding>& bs) {
  return ask_controller<std::vector<caf::error>>(self, "create_acls", create_acls_atom::value,
                                                 std::move(bs));
}

caf::result<std::vector<std::vector<acl_binding>>>
on_delete_acls(broker_self self, std::vector<acl_filter>& fs) {
  return ask_controller<std::vector<std::vector<acl_binding>>>(self, "delete_acls",
                                                               delete_acls_atom::value,
                                                               std::move(fs));
}

caf::result<std::vector<acl_binding>> on_describe_acls(broker_self self, acl_filter& f) {
  return ask_controller<std::vector<acl_binding>>(self, "describe_acls",
                                                  describe_acls_atom::value, std::move(f));
}

} // namespace cafka
