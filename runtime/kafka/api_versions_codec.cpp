#include "runtime/kafka/api_versions_codec.hpp"

#include "runtime/kafka/api_keys.hpp"
#include "runtime/kafka/kafka_error.hpp"

namespace cafka::kafka {

namespace {

constexpr int16_t first_flexible_version = 3;

} // namespace

void decode(reader& r, int16_t version, api_versions_request& out) {
  if (version < first_flexible_version)
    return; // v0-v2 bodies are empty
  out.client_software_name = r.compact_string();
  out.client_software_version = r.compact_string();
  r.skip_tagged_fields();
}

void encode(writer& w, int16_t version, const api_versions_response& x) {
  bool flexible = version >= first_flexible_version;
  w.i16(x.error_code);
  auto n = static_cast<int32_t>(x.api_keys.size());
  if (flexible)
    w.compact_array_length(n);
  else
    w.array_length(n);
  for (auto& k : x.api_keys) {
    w.i16(k.api_key);
    w.i16(k.min_version);
    w.i16(k.max_version);
    if (flexible)
      w.empty_tagged_fields();
  }
  if (version >= 1)
    w.i32(x.throttle_time_ms);
  if (flexible)
    w.empty_tagged_fields();
}

api_versions_response make_api_versions_response() {
  api_versions_response res;
  for (auto& a : supported_apis())
    res.api_keys.push_back({static_cast<int16_t>(a.key), a.min_version, a.max_version});
  return res;
}

void encode_unsupported_api_versions(writer& w) {
  auto res = make_api_versions_response();
  res.error_code = code(error_code::unsupported_version);
  encode(w, 0, res);
}

} // namespace cafka::kafka
