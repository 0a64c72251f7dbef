// Kafka session side of the node's byte-rate quotas (runtime/kafka/quota_manager.hpp): count a
// request's bytes for the session's user and the request's client id, and mute the client's
// connection while it is throttled. Private to actors/kafka; runs in the session's context.
#pragma once

#include <cstdint>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/kafka/quota_manager.hpp"

namespace cafka {

// Counts `bytes` of `call` against the quota of (session principal's user, call's client id)
// and returns the throttle time for the response's throttle_time_ms (0 without quotas or
// within the quota). A positive time is also sent to the connection as
// (kafka_throttle_atom, ms), which reads no request of the client for that long (KIP-219).
int32_t record_quota(kafka_session_self self, const kafka_call& call, kafka::quota_kind kind,
                     int64_t bytes);

} // namespace cafka
