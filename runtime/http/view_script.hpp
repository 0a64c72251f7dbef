// The live view page's JavaScript (issue 17): polls api/view, renders the tables, charts and
// events with DOM nodes (strings from the JSON only ever as text). Part of view_page_html();
// any thread, immutable.
#pragma once

#include <string_view>

namespace cafka::http {

// The script's source, without the <script> tags around it.
std::string_view view_script_js();

} // namespace cafka::http
