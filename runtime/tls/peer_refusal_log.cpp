#include "runtime/tls/peer_refusal_log.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace cafka::tls {

peer_refusal_log::peer_refusal_log(std::string prefix) : prefix_(std::move(prefix)) {
}

void peer_refusal_log::write(const std::string& peer, const std::string& reason,
                             const std::string& line) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto now = std::chrono::steady_clock::now();
  if (kinds_.size() >= max_kinds)
    kinds_.clear();
  auto key = peer.substr(0, peer.rfind(':')) + "|" + reason;
  auto [i, fresh] = kinds_.try_emplace(key, kind{now, 0});
  if (!fresh && now - i->second.logged_at < window) {
    ++i->second.suppressed;
    return;
  }
  if (i->second.suppressed > 0)
    spdlog::warn("{}{} (and {} more like it not logged)", prefix_, line, i->second.suppressed);
  else
    spdlog::warn("{}{}", prefix_, line);
  i->second = kind{now, 0};
}

} // namespace cafka::tls
