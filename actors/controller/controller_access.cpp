// The controller's access requests (SCRAM credentials, ACLs; see controller_state.hpp): the
// active controller checks each against its state with the quorum's own rules
// (runtime/cluster/access_rules.hpp) and proposes only what can apply. Actor context of one
// controller_member_actor, as its leader.
#include <algorithm>
#include <tuple>

#include "actors/controller/controller_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/access_rules.hpp"

namespace cafka {

namespace {

// The most filters one delete_acls request takes (each is matched against every binding).
constexpr size_t max_acl_filters = 1000;

// A read of the access metadata: from this leader's state while it holds the quorum lease,
// so that the answer is not stale; else not_controller.
caf::error check_read(controller_self self) {
  if (self->state.raft->has_quorum_lease())
    return {};
  return not_controller(self);
}

} // namespace

caf::result<caf::ok_atom> on_upsert_credential(controller_self self, scram_credential& c) {
  if (auto err = check_credential(self->state.md.access(), c))
    return err;
  return propose_then_answer<caf::ok_atom>(self, upsert_credential_cmd{c},
                                           [](const apply_result&) { return caf::ok_atom::value; });
}

caf::result<caf::ok_atom> on_delete_credential(controller_self self, credential_name& n) {
  if (auto err = check_delete_credential(self->state.md.access(), n.user, n.mechanism))
    return err;
  return propose_then_answer<caf::ok_atom>(self, delete_credential_cmd{n.user, n.mechanism},
                                           [](const apply_result&) { return caf::ok_atom::value; });
}

caf::result<std::vector<scram_user>> on_list_users(controller_self self) {
  if (auto err = check_read(self))
    return err;
  std::vector<scram_user> out;
  for (auto& c : self->state.md.access().credentials)
    out.push_back(scram_user{c.user, c.mechanism, c.iterations});
  std::sort(out.begin(), out.end(), [](const scram_user& x, const scram_user& y) {
    return std::tie(x.user, x.mechanism) < std::tie(y.user, y.mechanism);
  });
  return out;
}

caf::result<std::vector<caf::error>> on_create_acls(controller_self self,
                                                    std::vector<acl_binding>& bs) {
  // Each binding is answered on its own, as Kafka's CreateAcls does: the refused ones at
  // once, the others with the result of one proposal.
  std::vector<caf::error> out(bs.size());
  std::vector<size_t> proposed;
  create_acls_cmd cmd;
  for (size_t i = 0; i < bs.size(); ++i) {
    if (auto why = check_new_binding(bs[i]); !why.empty()) {
      out[i] = make_error(errc::invalid_request, "ACL binding (" + describe(bs[i]) + "): " + why);
    } else {
      proposed.push_back(i);
      cmd.bindings.push_back(bs[i]);
    }
  }
  if (proposed.empty())
    return out;
  auto to_all = [proposed](std::vector<caf::error> out, const caf::error& err) {
    for (auto i : proposed)
      out[i] = err;
    return out;
  };
  if (auto err = check_create_acls(self->state.md.access(), cmd.bindings))
    return to_all(std::move(out), err);
  auto rp = self->make_response_promise<std::vector<caf::error>>();
  propose(self, cmd, [rp, out, to_all](const apply_result& res) mutable {
    rp.deliver(to_all(std::move(out), res.error));
  });
  return rp;
}

caf::result<std::vector<std::vector<acl_binding>>>
on_delete_acls(controller_self self, std::vector<acl_filter>& fs) {
  if (fs.empty())
    return std::vector<std::vector<acl_binding>>{};
  if (fs.size() > max_acl_filters)
    return make_error(errc::invalid_request,
                      "a delete takes at most " + std::to_string(max_acl_filters)
                        + " ACL filters, got " + std::to_string(fs.size()));
  return propose_then_answer<std::vector<std::vector<acl_binding>>>(
    self, delete_acls_cmd{fs}, [](const apply_result& res) { return res.deleted_acls; });
}

caf::result<std::vector<acl_binding>> on_describe_acls(controller_self self, acl_filter& f) {
  if (auto err = check_read(self))
    return err;
  return describe_acls(self->state.md.access(), f);
}

} // namespace cafka
