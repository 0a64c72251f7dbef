#include "runtime/tls/peer_registry.hpp"

#include <algorithm>
#include <iterator>

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

caf::error peer_registry::bind(const caf::node_id& caf_node, const peer_identity& who,
                               uint64_t holder, evict_fn evict) {
  std::vector<holder_entry> evicted;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto now = clock::now();
    prune_pins(now);
    auto i = bound_.find(caf_node);
    if (i == bound_.end()) {
      auto pin = pinned_.find(caf_node);
      if (!who.is_node && pin != pinned_.end())
        return make_error(errc::cluster_authorization_failed,
                          to_string(who) + " claimed CAF node id " + caf::to_string(caf_node)
                            + ", which belonged to " + to_string(pin->second.first)
                            + " moments ago");
      if (pin != pinned_.end())
        pinned_.erase(pin);
      bound_.emplace(caf_node, binding{who, {holder_entry{holder, std::move(evict)}}});
      return caf::none;
    }
    auto& b = i->second;
    if (b.who == who) {
      b.holders.push_back(holder_entry{holder, std::move(evict)});
      return caf::none;
    }
    if (b.who.is_node || !who.is_node)
      return make_error(errc::cluster_authorization_failed,
                        to_string(who) + " claimed CAF node id " + caf::to_string(caf_node)
                          + ", which belongs to " + to_string(b.who));
    // A client holds what a node's certificate claims: the node takes it over.
    evicted = std::move(b.holders);
    b = binding{who, {holder_entry{holder, std::move(evict)}}};
  }
  for (auto& h : evicted)
    if (h.evict)
      h.evict();
  return caf::none;
}

void peer_registry::release(const caf::node_id& caf_node, uint64_t holder) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bound_.find(caf_node);
  if (i == bound_.end())
    return;
  auto& hs = i->second.holders;
  auto h = std::find_if(hs.begin(), hs.end(), [&](const holder_entry& x) { return x.id == holder; });
  if (h == hs.end())
    return; // evicted, or never held it
  hs.erase(h);
  if (!hs.empty())
    return;
  if (i->second.who.is_node)
    pinned_[caf_node] = {i->second.who, clock::now() + pin_duration};
  bound_.erase(i);
}

void peer_registry::prune_pins(clock::time_point now) {
  for (auto i = pinned_.begin(); i != pinned_.end();)
    i = i->second.second <= now ? pinned_.erase(i) : std::next(i);
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
  pinned_.clear();
  enforcing_ = false;
}

} // namespace cafka::tls
