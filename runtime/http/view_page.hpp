// The cluster's live view page (issue 17): the one self-contained HTML document GET / answers
// (CSS and JavaScript inline); the page polls the relative URL api/view (GET /api/view's JSON)
// once a second and redraws. Owned by the HTTP side; any thread, immutable after first use.
#pragma once

#include <string_view>

namespace cafka::http {

// The Content-Type of view_page_html's text.
inline constexpr const char* view_page_content_type = "text/html; charset=utf-8";

// The whole document: built once (thread-safe), valid for the life of the process.
std::string_view view_page_html();

} // namespace cafka::http
