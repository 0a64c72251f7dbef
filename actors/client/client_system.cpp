#include "cafka/client_system.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/config_value.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/thread_hook.hpp>

#include "actors/register_types.hpp"
#include "actors/system/batching_clock_coordinator.hpp"
#include "runtime/tls/openssl_shim.hpp"
#include "runtime/tls/peer_registry.hpp"
#include "runtime/tls/pinned_credentials.hpp"
#include "runtime/tls/tls_credentials.hpp"

namespace cafka {

namespace {

// Tells the BASP filter this actor system's CAF node id. The id exists once the system's
// modules are initialized, before its first thread starts; every thread notes it (a cheap
// set insert), so no TLS read, which runs on the multiplexer thread, comes before it.
class local_node_hook : public caf::thread_hook {
public:
  void init(caf::actor_system& sys) override { sys_ = &sys; }
  void thread_started() override { note_local_caf_node(sys_->node()); }
  void thread_terminates() override {}

private:
  caf::actor_system* sys_ = nullptr;
};

} // namespace

void configure_client(caf::actor_system_config& cfg) {
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  if (caf::get_if(&cfg.content, "middleman.heartbeat-interval") == nullptr)
    cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{200}});
  // BASP messages are deserialized on the multiplexer thread itself, not handed to a worker
  // job first: one scheduling step less per message (a config file may set it again).
  if (caf::get_if(&cfg.content, "middleman.workers") == nullptr)
    cfg.set("middleman.workers", size_t{0});
  install_batching_clock(cfg);
}

caf::error configure_tls(caf::actor_system_config& cfg, const tls_files& files) {
  auto who = tls::check_credentials(files.ca_file, files.certificate, files.key,
                                    files.key_passphrase);
  if (!who)
    return std::move(who.error());
  // CAF reads the files again for every connection and ends the process if that fails: it
  // gets copies that a replaced or removed file cannot change, the key already decrypted.
  auto pinned = tls::pin_credentials(files.ca_file, files.certificate, files.key,
                                     files.key_passphrase);
  if (!pinned)
    return std::move(pinned.error());
  cfg.openssl_cafile = pinned->ca_file;
  cfg.openssl_certificate = pinned->certificate;
  cfg.openssl_key = pinned->key;
  cfg.openssl_passphrase.clear();
  install_openssl_shim();
  cfg.add_thread_hook<local_node_hook>();
  tls::peer_registry::process().enforce();
  cfg.load<caf::openssl::manager>();
  return {};
}

client_system_config::client_system_config() {
  configure_client(*this);
}

} // namespace cafka
