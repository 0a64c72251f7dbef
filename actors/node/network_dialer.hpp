// The actor that opens connections to other cafka nodes for actors (node discovery, peer
// brokers, client links): the middleman (BASP over TCP, or over mutual TLS when the system
// loaded CAF's OpenSSL module) in a real process, or the simulated
// network of a deterministic cluster simulation (actors/sim), registered in the actor
// system's registry. Either answers (connect_atom, host, port) with
// (caf::node_id, caf::strong_actor_ptr, std::set<std::string>). Actor context.
#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

namespace cafka {

// The registry name a simulated network registers itself under.
constexpr caf::atom_value sim_network_name = caf::atom("simnet");

// The connector of sys: the registered simulated network, else the OpenSSL module's
// middleman actor if loaded, else the middleman's.
caf::actor network_dialer(caf::actor_system& sys);

// How often a client dials one address before it reports the failure.
constexpr int dial_attempts = 4;

// True if a dial failed only because the handshake lost a race with BASP's heartbeat tick.
// CAF 0.17.6 starts an outgoing connection's last-seen time at the clock's epoch, so with
// middleman.connection-timeout set, a tick that comes before the peer's handshake closes
// the connection with sec::connection_timeout. Dialling again at once is the fix: the next
// tick is a whole heartbeat interval away.
bool lost_handshake_race(const caf::error& err);

} // namespace cafka
