// The controller's partition moves and decommissions (see controller_state.hpp). The active
// controller checks each against its state with the metadata state machine's rules and
// proposes what can apply. Actor context of one controller_member_actor, as its leader.
#include <map>

#include "actors/controller/controller_state.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/reassignment.hpp"

namespace cafka {

namespace {

// A sanity bound on one request's partitions (Kafka has none; a proposal must stay small).
constexpr size_t max_moves_per_request = 10000;

} // namespace

caf::result<std::vector<reassignment_result>>
on_alter_reassignments(controller_self self, alter_reassignments_request& req) {
  auto& md = self->state.md.current();
  if (req.partitions.size() > max_moves_per_request)
    return make_error(errc::invalid_request,
                      "a request may move at most " + std::to_string(max_moves_per_request)
                        + " partitions, got " + std::to_string(req.partitions.size()));
  std::vector<reassignment_result> out;
  alter_reassignments_request valid{{}, req.throttle};
  std::vector<size_t> where;  // out's index of each partition in `valid`
  std::map<topic_partition, int> listed;
  for (auto& r : req.partitions)
    ++listed[r.tp];
  for (auto& r : req.partitions) {
    auto err = listed[r.tp] > 1 ? make_error(errc::invalid_request,
                                  "partition " + to_string(r.tp) + " is listed twice")
                     : check_reassignment(md, r);
    if (!err) {
      where.push_back(out.size());
      valid.partitions.push_back(r);
    }
    out.push_back({r.tp, std::move(err)});
  }
  if (valid.partitions.empty() && req.throttle < 0)
    return out;
  auto rp = self->make_response_promise<std::vector<reassignment_result>>();
  propose(self, alter_reassignments_cmd{std::move(valid)},
          [rp, out, where](const apply_result& res) mutable {
            if (res.error) {
              rp.deliver(res.error);
              return;
            }
            for (size_t i = 0; i < where.size() && i < res.reassignments.size(); ++i)
              out[where[i]].error = res.reassignments[i].error;
            rp.deliver(std::move(out));
          });
  return rp;
}

caf::result<caf::ok_atom> on_decommission(controller_self self, decommission_request& req) {
  auto md = self->state.md.current();  // a copy to check the change on
  if (!req.cancel) {
    if (auto err = decommission_broker(md, req.id))
      return err;
  } else if (!recommission_broker(md, req.id)) {
    return make_error(errc::invalid_request,
                      "broker " + to_string(req.id) + " is not being decommissioned");
  }
  return propose_then_answer<caf::ok_atom>(self, decommission_broker_cmd{req},
                                           [](const apply_result&) {
                                             return caf::ok_atom::value;
                                           });
}

} // namespace cafka
