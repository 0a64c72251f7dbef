// A blocking HTTP/1.1 GET for the view collector, which asks every node for its summary
// (GET /api/node): Boost.Beast over Boost.Asio, the whole exchange bounded by one timeout and
// the answer's size capped. Call from a non-actor thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace cafka::http {

// The body of a 200 answer to GET `target` from host:port. Errors: request_timed_out when the
// exchange takes longer than `timeout`; broker_not_available naming the address when it
// cannot connect or the answer is not a 200 of at most `max_bytes`.
caf::expected<std::string> http_get(const std::string& host, uint16_t port,
                                    const std::string& target,
                                    std::chrono::milliseconds timeout,
                                    size_t max_bytes = 64 << 20);

} // namespace cafka::http
