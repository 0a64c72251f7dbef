// The controller's topic changes after creation (see controller_state.hpp): config overrides
// and added partitions. The active controller checks each against its state with the
// metadata state machine's own rules and proposes only what can apply. Actor context of one
// controller_member_actor, as its leader.
#include "actors/controller/controller_state.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

caf::result<caf::ok_atom> on_alter_topic_configs(controller_self self,
                                                 alter_topic_configs_request& req) {
  auto configs = metadata_state::check_alter_configs(self->state.md.current(), req);
  if (!configs)
    return std::move(configs.error());
  if (req.validate_only)
    return caf::ok_atom::value;
  return propose_then_answer<caf::ok_atom>(self, alter_topic_configs_cmd{req},
                                           [](const apply_result&) { return caf::ok_atom::value; });
}

caf::result<topic_metadata> on_create_partitions(controller_self self,
                                                 create_partitions_request& req) {
  auto& st = self->state;
  auto& md = st.md.current();
  // Groups map to offsets partitions by the partition count: it never changes.
  if (is_internal_topic(req.topic))
    return make_error(errc::invalid_request,
                      "topic '" + req.topic + "' is internal: its partition count is "
                                              "offsets-topic-num-partitions and cannot grow");
  if (auto err = metadata_state::check_create_partitions(md, req))
    return err;
  auto t = md.find_topic(req.topic);
  int64_t adds = req.count - static_cast<int64_t>(t->partitions.size());
  // Proposals not yet applied count, as for create_topic (on_create_topic).
  auto have = count_topics(md);
  have.partitions += st.proposed_topics.partitions;
  if (auto err = check_partition_caps(have, req.topic, adds,
                                      {st.cfg.max_topics, st.cfg.max_partitions}))
    return err;
  if (req.validate_only)
    return *t;
  st.proposed_topics.partitions += adds;
  auto rp = self->make_response_promise<topic_metadata>();
  propose(self, create_partitions_cmd{req}, [self, rp, adds](const apply_result& res) mutable {
    self->state.proposed_topics.partitions -= adds;
    if (res.error)
      rp.deliver(res.error);
    else
      rp.deliver(res.topic);
  });
  return rp;
}

} // namespace cafka
