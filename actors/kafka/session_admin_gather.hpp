// What the Kafka session's admin handlers share (session_admin.cpp, session_configs.cpp):
// how long they wait for the controller quorum, and the gathering of one request's
// per-topic or per-resource answers as they arrive. Kafka session actor context.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "actors/kafka/kafka_session_state.hpp"
#include "runtime/kafka/topic_admin_rules.hpp"

namespace cafka {

// How long an admin change is waited for when the request's timeout_ms is <= 0 (Kafka
// then answers at once; cafka waits for the quorum's verdict, which takes milliseconds, so
// the answer carries the real outcome) and the most it is ever waited for.
inline constexpr auto default_admin_wait = std::chrono::seconds{30};
inline constexpr auto max_admin_wait = std::chrono::minutes{5};

inline std::chrono::milliseconds admin_wait(int32_t timeout_ms) {
  if (timeout_ms <= 0)
    return default_admin_wait;
  return std::min<std::chrono::milliseconds>(std::chrono::milliseconds{timeout_ms},
                                             max_admin_wait);
}

// The answers of one admin request, filled in as its parts reply.
template <class Response>
struct admin_gather {
  Response response;
  size_t pending = 0;
};

template <class Response>
using gather_ptr = std::shared_ptr<admin_gather<Response>>;

// Counts one part as answered; the last one sends the response.
template <class Response>
void complete_one(kafka_session_self self, const kafka_call& call,
                  const gather_ptr<Response>& g) {
  if (--g->pending == 0)
    respond(self, call, g->response);
}

// Writes an admin error into a result slot (error_code, error_message).
template <class Slot>
void set_result(Slot& slot, const kafka::admin_error& e) {
  slot.error_code = kafka::code(e.code);
  slot.error_message = e.message;
}

} // namespace cafka
