// Setting up a CAF actor system for cafka clients (producers, consumers, actor consumers).
// The one way examples, tests, the CLI and user code prepare their system's config; call it
// before the actor_system is constructed, from any thread.
#pragma once

#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

namespace cafka {

// Prepares cfg for talking to a cafka cluster: registers cafka's message types and error
// category, loads CAF's middleman, and sets a 200 ms middleman heartbeat unless cfg already
// has one (nodes close a connection that stays silent for their connection timeout, e.g.
// during a long fetch poll, and a client notices a dead node by the missing heartbeats).
void configure_client(caf::actor_system_config& cfg);

// One side's mutual-TLS files, as `cafka tls init` writes them (PEM).
struct tls_files {
  std::string ca_file;         // the cluster CA; peers must present a certificate it signed
  std::string certificate;     // this process's certificate
  std::string key;             // its private key
  std::string key_passphrase;  // "" if the key is not encrypted
};

// Prepares cfg (after configure_client) for a cluster that runs TLS: every connection the
// actor system opens or accepts then runs mutual TLS with `files` (CAF's OpenSSL module),
// and there is no fallback to plaintext or to anonymous ciphers; what peers send passes
// cafka's BASP filter (docs/security.md). Checks the files first: errc::invalid_config
// naming the file and what is wrong with it.
caf::error configure_tls(caf::actor_system_config& cfg, const tls_files& files);

// An actor_system_config prepared by configure_client():
//   cafka::client_system_config cfg;
//   caf::actor_system sys{cfg};
class client_system_config : public caf::actor_system_config {
public:
  client_system_config();
};

} // namespace cafka
