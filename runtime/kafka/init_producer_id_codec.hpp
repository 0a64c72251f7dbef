// InitProducerId (key 22) request and response bodies, v0-v1 (same layout, non-flexible):
// a producer id and epoch for an idempotent (or transactional) producer. Pure codec; any
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/base/ids.hpp"
#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

struct init_producer_id_request {
  std::optional<std::string> transactional_id; // null: idempotent only
  int32_t transaction_timeout_ms = 0;          // librdkafka sends -1 without a transaction
};

struct init_producer_id_response {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  cafka::producer_id producer_id = no_producer_id;
  cafka::producer_epoch producer_epoch{0};
};

void decode(reader& r, int16_t version, init_producer_id_request& out);
void encode(writer& w, int16_t version, const init_producer_id_response& x);

} // namespace cafka::kafka
