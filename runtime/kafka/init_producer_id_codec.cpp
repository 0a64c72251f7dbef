#include "runtime/kafka/init_producer_id_codec.hpp"

namespace cafka::kafka {

void decode(reader& r, int16_t, init_producer_id_request& out) {
  out.transactional_id = r.nullable_string();
  out.transaction_timeout_ms = r.i32();
}

void encode(writer& w, int16_t, const init_producer_id_response& x) {
  w.i32(x.throttle_time_ms);
  w.i16(x.error_code);
  w.i64(x.producer_id.value);
  w.i16(x.producer_epoch.value);
}

} // namespace cafka::kafka
