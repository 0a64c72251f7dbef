#include "runtime/tls/peer_registry.hpp"

#include <caf/deep_to_string.hpp>

#include "runtime/base/errc.hpp"

namespace cafka::tls {

peer_registry& peer_registry::process() {
  static peer_registry instance;
  return instance;
}

void peer_registry::enforce() {
  std::lock_guard<std::mutex> guard{mtx_};
  enforcing_ = true;
}

bool peer_registry::enforcing() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return enforcing_;
}

caf::error peer_registry::bind(const caf::node_id& caf_node, const peer_identity& who) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto [i, fresh] = bound_.try_emplace(caf_node, binding{who, 0});
  if (fresh || i->second.who == who) {
    ++i->second.holders;
    return caf::none;
  }
  return make_error(errc::cluster_authorization_failed,
                    to_string(who) + " claimed CAF node id " + caf::to_string(caf_node)
                      + ", which belongs to " + to_string(i->second.who));
}

void peer_registry::release(const caf::node_id& caf_node) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bound_.find(caf_node);
  if (i != bound_.end() && --i->second.holders == 0)
    bound_.erase(i);
}

std::optional<peer_identity> peer_registry::lookup(const caf::node_id& caf_node) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bound_.find(caf_node);
  if (i == bound_.end())
    return std::nullopt;
  return i->second.who;
}

void peer_registry::clear() {
  std::lock_guard<std::mutex> guard{mtx_};
  bound_.clear();
  enforcing_ = false;
}

} // namespace cafka::tls
