#include "runtime/client/client_config.hpp"

#include "runtime/base/errc.hpp"
#include "runtime/group/assignor.hpp"

namespace cafka {

caf::error validate(const producer_config& cfg) {
  if (cfg.acks != 0 && cfg.acks != 1 && cfg.acks != -1)
    return make_error(errc::invalid_config,
                      "acks must be 0, 1 or -1 (all), got " + std::to_string(cfg.acks));
  if (cfg.max_in_flight < 1)
    return make_error(errc::invalid_config, "max.in.flight.requests.per.connection must be "
                                            "at least 1, got "
                                              + std::to_string(cfg.max_in_flight));
  if (cfg.max_block_ms < 0)
    return make_error(errc::invalid_config, "max.block.ms must not be negative, got "
                                              + std::to_string(cfg.max_block_ms));
  if (cfg.delivery_timeout_ms <= 0)
    return make_error(errc::invalid_config, "delivery.timeout.ms must be positive, got "
                                              + std::to_string(cfg.delivery_timeout_ms));
  if (cfg.enable_idempotence) {
    if (cfg.acks != -1)
      return make_error(errc::invalid_config,
                        "enable.idempotence requires acks=all (-1), got acks="
                          + std::to_string(cfg.acks));
    if (cfg.max_in_flight > 5)
      return make_error(errc::invalid_config,
                        "enable.idempotence requires max.in.flight.requests.per.connection "
                        "<= 5, got "
                          + std::to_string(cfg.max_in_flight));
  }
  return caf::none;
}

caf::error validate(const consumer_config& cfg) {
  if (cfg.auto_commit_interval_ms <= 0)
    return make_error(errc::invalid_config, "auto.commit.interval.ms must be positive, got "
                                              + std::to_string(cfg.auto_commit_interval_ms));
  if (cfg.max_poll_interval_ms <= 0)
    return make_error(errc::invalid_config, "max.poll.interval.ms must be positive, got "
                                              + std::to_string(cfg.max_poll_interval_ms));
  if (!cfg.group_remote_assignor.empty())
    if (auto a = group::make_assignor(cfg.group_remote_assignor); !a)
      return std::move(a.error());
  return caf::none;
}

} // namespace cafka
