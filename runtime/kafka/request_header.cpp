#include "runtime/kafka/request_header.hpp"

namespace cafka::kafka {

bool peek_request_header(std::string_view frame, request_header& out) {
  reader r{frame};
  out.api_key = r.i16();
  out.api_version = r.i16();
  out.correlation_id = r.i32();
  return r.ok();
}

void decode_request_header(reader& r, bool flexible, request_header& out) {
  out.api_key = r.i16();
  out.api_version = r.i16();
  out.correlation_id = r.i32();
  out.client_id = r.nullable_string(); // not compact even in header v2
  if (flexible)
    r.skip_tagged_fields();
}

void encode_response_header(writer& w, int32_t correlation_id, bool flexible) {
  w.i32(correlation_id);
  if (flexible)
    w.empty_tagged_fields();
}

} // namespace cafka::kafka
