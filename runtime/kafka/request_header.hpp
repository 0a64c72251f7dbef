// Kafka request header (v1, or v2 for flexible versions) and response header (v0, or v1 for
// flexible versions except ApiVersions). Pure codec; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

struct request_header {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};

// Reads the fixed part (key, version, correlation id). Enough to answer a request whose
// API or version cafka does not serve. Returns false if the frame is shorter than 8 bytes.
bool peek_request_header(std::string_view frame, request_header& out);

// Reads the whole header; the reader is left at the request body. The header is v2 (with
// tagged fields) when `flexible`. Requires: r at the start of a frame.
void decode_request_header(reader& r, bool flexible, request_header& out);

// Writes a response header for `correlation_id`; v1 (empty tagged fields) when `flexible`.
void encode_response_header(writer& w, int32_t correlation_id, bool flexible);

} // namespace cafka::kafka
