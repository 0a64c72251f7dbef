// Who may send what: the checks actors run on the sender of a node-privileged message (the
// table is in docs/security.md, "Who may send what") and the refusal a request is answered
// with or a one-way message is dropped with. Pure functions and templates over an actor's
// self pointer; used from that actor's own context.
#pragma once

#include <string>

#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>

#include "actors/node/refusal_log.hpp"
#include "actors/node/sender_identity.hpp"

namespace cafka {

// Neither anonymous nor unknown: a local actor, a verified node or client, or a peer of a
// plaintext process.
bool is_authenticated(const sender_identity& x);

// Anything but anonymous: also a sender that a verified node forwarded (unknown). What a
// client asks the controller (topics, metadata, producer ids, status) reaches the active
// controller through whichever member or broker the client asked, which forwards it with the
// client as sender, so the controller cannot require that the client reached it directly.
bool is_vouched_for(const sender_identity& x);

// True if `hdl` lives on the sender's node, or the sender is a local actor (this process
// hands over other nodes' handles). False for a null sender or handle.
bool owns_handle(const caf::strong_actor_ptr& sender, const caf::strong_actor_ptr& hdl);

template <class Handle>
bool owns_handle(const caf::strong_actor_ptr& sender, const Handle& hdl) {
  return owns_handle(sender, caf::actor_cast<caf::strong_actor_ptr>(hdl));
}

// errc::cluster_authorization_failed: "<what> from <who>: <why>".
caf::error authorization_error(const std::string& what, const sender_identity& who,
                               const std::string& why);

// Counts the refusal in `log`, logs it (rate-limited, as a warning prefixed with `owner`)
// and returns the error a request is answered with (a one-way message drops it).
caf::error refuse(refusal_log& log, const std::string& owner, const std::string& what,
                  const sender_identity& who, const std::string& why);

// None if the message being handled comes from an actor of this process; otherwise its
// refusal with `why` (counted and logged).
template <class Self>
caf::error require_local(Self self, refusal_log& log, const std::string& owner,
                         const std::string& what, const std::string& why) {
  auto who = identify(self->current_sender());
  if (who.kind == sender_kind::local)
    return {};
  return refuse(log, owner, what, who, why);
}

// True if the message being handled comes from self's own timer (delayed_send(self, ...),
// whose sender is self). Anything else is a forgery: refused (counted and logged) and false.
template <class Self>
bool own_timer(Self self, refusal_log& log, const std::string& owner, const std::string& what) {
  if (self->current_sender() == self->ctrl())
    return true;
  refuse(log, owner, what, identify(self->current_sender()),
         "only the actor's own timer sends it");
  return false;
}

} // namespace cafka
