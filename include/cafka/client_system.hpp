// Setting up a CAF actor system for cafka clients (producers, consumers, actor consumers).
// The one way examples, tests, the CLI and user code prepare their system's config; call it
// before the actor_system is constructed, from any thread.
#pragma once

#include <caf/actor_system_config.hpp>

namespace cafka {

// Prepares cfg for talking to a cafka cluster: registers cafka's message types and error
// category, loads CAF's middleman, and sets a 200 ms middleman heartbeat unless cfg already
// has one (nodes close a connection that stays silent for their connection timeout, e.g.
// during a long fetch poll, and a client notices a dead node by the missing heartbeats).
void configure_client(caf::actor_system_config& cfg);

// An actor_system_config prepared by configure_client():
//   cafka::client_system_config cfg;
//   caf::actor_system sys{cfg};
class client_system_config : public caf::actor_system_config {
public:
  client_system_config();
};

} // namespace cafka
