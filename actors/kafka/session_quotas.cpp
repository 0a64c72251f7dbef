#include "actors/kafka/session_quotas.hpp"

#include <caf/local_actor.hpp>

namespace cafka {

int32_t record_quota(kafka_session_self self, const kafka_call& call, kafka::quota_kind kind,
                     int64_t bytes) {
  auto& st = self->state;
  if (st.ctx.quotas == nullptr)
    return 0;
  // Kafka reads a null client id as the empty one.
  auto client_id = call.header.client_id ? std::string_view{*call.header.client_id}
                                         : std::string_view{};
  auto ms = st.ctx.quotas->record(kind, kafka::quota_user(st.principal), client_id, bytes);
  if (ms > 0)
    // With the session as sender, as the connection may check (a typed actor cannot send()
    // to its untyped connection).
    st.connection->enqueue(self->ctrl(), caf::make_message_id(),
                           caf::make_message(kafka_throttle_atom::value, ms), self->context());
  return ms;
}

} // namespace cafka
