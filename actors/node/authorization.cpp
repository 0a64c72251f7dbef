#include "actors/node/authorization.hpp"

#include <spdlog/spdlog.h>

#include "runtime/base/errc.hpp"

namespace cafka {

bool is_authenticated(const sender_identity& x) {
  return x.kind != sender_kind::anonymous && x.kind != sender_kind::unknown;
}

bool is_vouched_for(const sender_identity& x) {
  return x.kind != sender_kind::anonymous;
}

bool owns_handle(const caf::strong_actor_ptr& sender, const caf::strong_actor_ptr& hdl) {
  if (sender == nullptr || hdl == nullptr)
    return false;
  return identify(sender).kind == sender_kind::local || hdl->node() == sender->node();
}

caf::error authorization_error(const std::string& what, const sender_identity& who,
                               const std::string& why) {
  return make_error(errc::cluster_authorization_failed,
                    what + " from " + to_string(who) + ": " + why);
}

caf::error refuse(refusal_log& log, const std::string& owner, const std::string& what,
                  const sender_identity& who, const std::string& why) {
  auto err = authorization_error(what, who, why);
  // The kind is the message and the sender's kind: a small fixed set, so the log stays small.
  auto kind = what + "/" + std::to_string(static_cast<int>(who.kind));
  if (auto line = log.count(kind, owner + ": refused " + context_of(err),
                            refusal_log::clock::now()))
    spdlog::warn("{}", *line);
  return err;
}

} // namespace cafka
