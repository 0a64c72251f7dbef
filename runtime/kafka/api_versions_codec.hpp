// ApiVersions (key 18) request and response bodies, v0-v3 (v3 is flexible; its response
// header stays v0), the response built from supported_apis() and Kafka's answer to an
// ApiVersions version it does not serve. Pure codec; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"

namespace cafka::kafka {

struct api_versions_request {
  std::string client_software_name;    // v3+; empty before
  std::string client_software_version; // v3+; empty before
};

struct api_versions_response {
  struct api_version {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
  };
  int16_t error_code = 0;
  std::vector<api_version> api_keys;
  int32_t throttle_time_ms = 0; // v1+
};

void decode(reader& r, int16_t version, api_versions_request& out);
void encode(writer& w, int16_t version, const api_versions_response& x);

// Error none and every API of supported_apis() with its served range.
api_versions_response make_api_versions_response();

// The body Kafka sends when a client asks for an ApiVersions version it does not serve
// (e.g. v4): error unsupported_version (35) and the supported key list, as a v0 body
// behind a v0 response header, so the client can retry with a version it finds there.
void encode_unsupported_api_versions(writer& w);

} // namespace cafka::kafka
