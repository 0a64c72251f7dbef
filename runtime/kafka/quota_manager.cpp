#include "runtime/kafka/quota_manager.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace cafka::kafka {

namespace {

const std::optional<int64_t>& rate_of(const quota_override& o, quota_kind kind) {
  return kind == quota_kind::produce ? o.producer_byte_rate : o.consumer_byte_rate;
}

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

std::optional<quota_entity> match_quota(const quota_config& cfg, quota_kind kind,
                                        std::string_view user, std::string_view client_id) {
  using level = quota_entity::level;
  const quota_override* by_user = nullptr;
  const quota_override* by_client = nullptr;
  for (auto& o : cfg.overrides) {
    if (!rate_of(o, kind))
      continue;
    bool user_matches = o.user && *o.user == user;
    bool client_matches = o.client_id && *o.client_id == client_id;
    if (user_matches && client_matches)
      return quota_entity{level::user_client, *o.user, *o.client_id, *rate_of(o, kind)};
    if (user_matches && !o.client_id)
      by_user = &o;
    else if (client_matches && !o.user)
      by_client = &o;
  }
  if (by_user != nullptr)
    return quota_entity{level::user, *by_user->user, {}, *rate_of(*by_user, kind)};
  if (by_client != nullptr)
    return quota_entity{level::client, {}, *by_client->client_id, *rate_of(*by_client, kind)};
  auto& fallback = kind == quota_kind::produce ? cfg.producer_byte_rate : cfg.consumer_byte_rate;
  if (fallback)
    return quota_entity{level::default_client, {}, std::string{client_id}, *fallback};
  return std::nullopt;
}

std::string_view quota_user(std::string_view principal) {
  constexpr std::string_view type = "User:";
  if (principal.substr(0, type.size()) == type)
    principal.remove_prefix(type.size());
  return principal;
}

quota_manager::quota_manager(quota_config cfg, clock now, rate_window window)
  : cfg_(std::move(cfg)), now_(now ? std::move(now) : clock{steady_ms}), window_(window) {
}

int32_t quota_manager::record(quota_kind kind, std::string_view user,
                              std::string_view client_id, int64_t bytes) {
  auto entity = match_quota(cfg_, kind, user, client_id);
  if (!entity)
    return 0;
  std::lock_guard<std::mutex> guard{mtx_};
  // Read under the lock: a tracker sees the times of its records in order.
  auto now = now_();
  sweep(now);
  key k{kind, entity->match, std::move(entity->user), std::move(entity->client_id)};
  auto i = trackers_.try_emplace(std::move(k), window_).first;
  auto& tracker = i->second;
  tracker.record(bytes, now);
  auto quota = static_cast<double>(entity->byte_rate);
  auto rate = tracker.rate(now);
  if (rate <= quota)
    return 0;
  auto ms = std::llround((rate - quota) / quota * static_cast<double>(tracker.window_ms(now)));
  return static_cast<int32_t>(std::min<int64_t>(ms, max_throttle_ms()));
}

size_t quota_manager::tracked() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return trackers_.size();
}

void quota_manager::sweep(int64_t now_ms) {
  if (now_ms - last_sweep_ms_ < window_.span_ms())
    return;
  last_sweep_ms_ = now_ms;
  for (auto i = trackers_.begin(); i != trackers_.end();)
    i = i->second.idle(now_ms) ? trackers_.erase(i) : std::next(i);
}

} // namespace cafka::kafka
