// The routes of a node's HTTP endpoint: GET /metrics (Prometheus text), / (the live view's
// page), /api/view (the cluster as JSON) and /api/node (this node's summary). Built by the
// node's main thread; the routes run on the HTTP server's thread.
#pragma once

#include <map>
#include <string>

#include "actors/node/view_collector.hpp"
#include "runtime/http/http_server.hpp"
#include "runtime/metrics/node_metrics.hpp"

namespace cafka::app {

// Requires: `m` and `view` outlive the server the routes are given to.
std::map<std::string, http::http_route> node_routes(metrics::node_metrics& m,
                                                    view_collector& view);

} // namespace cafka::app
