#include "runtime/kafka/sasl_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

void decode(reader& r, int16_t, sasl_handshake_request& out) {
  out.mechanism = r.string();
}

void decode(reader& r, int16_t, sasl_authenticate_request& out) {
  out.auth_bytes = std::string{r.bytes()};
}

void encode(writer& w, int16_t, const sasl_handshake_response& x) {
  w.i16(x.error_code);
  write_string_array(w, x.mechanisms);
}

void encode(writer& w, int16_t version, const sasl_authenticate_response& x) {
  w.i16(x.error_code);
  w.nullable_string(x.error_message);
  w.bytes(x.auth_bytes);
  if (version >= 1)
    w.i64(x.session_lifetime_ms);
}

} // namespace cafka::kafka
