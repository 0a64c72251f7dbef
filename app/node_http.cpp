#include "app/node_http.hpp"

#include <cctype>

#include "runtime/http/view_page.hpp"
#include "runtime/metrics/exposition.hpp"

namespace cafka::app {

namespace {

constexpr const char* json_type = "application/json";

http::http_reply bad_request(std::string why) {
  http::http_reply r;
  r.status = 400;
  r.body = std::move(why) + "\n";
  return r;
}

} // namespace

std::map<std::string, http::http_route> node_routes(metrics::node_metrics& m,
                                                    view_collector& view) {
  std::map<std::string, http::http_route> routes;
  routes["/metrics"] = [&m](const http::http_request&) {
    http::http_reply r;
    r.content_type = metrics::exposition_content_type;
    r.body = metrics::render(m.registry);
    return r;
  };
  routes["/"] = [](const http::http_request&) {
    http::http_reply r;
    r.content_type = http::view_page_content_type;
    r.body = std::string{http::view_page_html()};
    return r;
  };
  routes["/api/view"] = [&view](const http::http_request&) {
    http::http_reply r;
    r.content_type = json_type;
    r.body = view.view_json();
    return r;
  };
  routes["/api/node"] = [&view](const http::http_request& req) {
    uint64_t since = 0;
    if (auto i = req.query.find("since"); i != req.query.end()) {
      auto& s = i->second;
      if (s.empty() || s.size() > 19
          || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
        return bad_request("since: expected an event number (digits), got '" + s + "'");
      since = std::stoull(s);
    }
    http::http_reply r;
    r.content_type = json_type;
    r.body = view.node_json(since, req.query.count("viewed") > 0);
    return r;
  };
  return routes;
}

} // namespace cafka::app
