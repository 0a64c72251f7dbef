#include "runtime/cluster/reassignment_plan.hpp"

#include <charconv>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <sstream>

// Boost 1.74's JSON parser uses boost/bind.hpp's global placeholders, which print a
// deprecation note in every build unless they are asked for.
#define BOOST_BIND_GLOBAL_PLACEHOLDERS
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

using boost::property_tree::ptree;

// A plan nests four levels (plan, partitions, entry, replicas); PropertyTree's parser
// recurses once per level, so deeper input is refused before it reaches the parser.
constexpr int max_nesting = 32;

caf::error refuse(const std::string& what) {
  return make_error(errc::invalid_request, "reassignment plan: " + what);
}

// True if json opens more than max_nesting objects or arrays at once (brackets inside strings
// do not count).
bool nested_too_deep(std::string_view json) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_nesting)
        return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

// PropertyTree stores an array as children with empty keys, an object as children with keys
// and a scalar as data without children; {}, [] and "" are all an empty node.
bool is_list(const ptree& node) {
  if (!node.data().empty())
    return false;
  for (auto& kv : node)
    if (!kv.first.empty())
      return false;
  return true;
}

bool is_object(const ptree& node) {
  if (!node.data().empty())
    return false;
  for (auto& kv : node)
    if (kv.first.empty())
      return false;
  return true;
}

// A value as a message shows it: 'text' for a scalar, else "a list" or "an object".
std::string shown(const ptree& node) {
  if (node.empty())
    return "'" + node.data() + "'";
  return is_list(node) ? "a list" : "an object";
}

// Reads a non-negative int32 (a partition or broker id) from a scalar; on failure the error
// is "<where>: <what> is not an integer: 'x'" (or "is negative: -1", "is out of range: ...").
caf::error read_id(const ptree& node, const std::string& where, const std::string& what,
                   int32_t& out) {
  const std::string& text = node.data();
  bool minus = !text.empty() && text[0] == '-';
  size_t first_digit = minus ? 1 : 0;
  bool integer = node.empty() && text.size() > first_digit;
  for (size_t i = first_digit; integer && i < text.size(); ++i)
    integer = text[i] >= '0' && text[i] <= '9';
  if (!integer)
    return refuse(where + ": " + what + " is not an integer: " + shown(node));
  int64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  bool fits = res.ec == std::errc{};
  if (minus && (!fits || v < 0))  // "-0" is 0
    return refuse(where + ": " + what + " is negative: " + text);
  if (!fits || v > std::numeric_limits<int32_t>::max())
    return refuse(where + ": " + what + " is out of range: " + text);
  out = static_cast<int32_t>(v);
  return {};
}

// Refuses a field that appears twice in one object (PropertyTree keeps both).
caf::error check_once(const ptree& object, const std::string& where,
                      std::initializer_list<const char*> keys) {
  for (auto key : keys)
    if (object.count(key) > 1)
      return refuse(where + " has \"" + key + "\" twice");
  return {};
}

caf::error read_replicas(const ptree& entry, const std::string& where,
                         std::vector<node_id>& out) {
  auto replicas = entry.get_child_optional("replicas");
  if (!replicas)
    return refuse(where + " has no \"replicas\"");
  if (!is_list(*replicas))
    return refuse(where + ": \"replicas\" is not a list");
  if (replicas->empty())
    return refuse(where + ": \"replicas\" is empty");
  std::set<node_id> seen;
  for (auto& kv : *replicas) {
    int32_t id = 0;
    if (auto err = read_id(kv.second, where, "replica id", id))
      return err;
    if (!seen.insert(node_id{id}).second)
      return refuse(where + ": replica " + std::to_string(id) + " is listed twice");
    out.push_back(node_id{id});
  }
  return {};
}

// "log_dirs" is optional; present, it names one dir per replica, and cafka only has "any".
caf::error check_log_dirs(const ptree& entry, const std::string& where, size_t replicas) {
  auto dirs = entry.get_child_optional("log_dirs");
  if (!dirs)
    return {};
  if (!is_list(*dirs))
    return refuse(where + ": \"log_dirs\" is not a list");
  if (dirs->size() != replicas)
    return refuse(where + ": \"log_dirs\" names " + std::to_string(dirs->size())
                  + " dir(s) for " + std::to_string(replicas) + " replica(s)");
  for (auto& kv : *dirs)
    if (!kv.second.empty() || kv.second.data() != "any")
      return refuse(where + ": log dir " + shown(kv.second)
                    + " is not \"any\" (a cafka broker has one log dir)");
  return {};
}

// One entry of "partitions"; `index` names it in errors as partitions[index], then with its
// topic and partition once they are read.
caf::error read_entry(const ptree& entry, size_t index, planned_reassignment& out) {
  std::string where = "partitions[" + std::to_string(index) + "]";
  if (!is_object(entry))
    return refuse(where + " is not an object");
  if (auto err = check_once(entry, where, {"topic", "partition", "replicas", "log_dirs"}))
    return err;
  auto topic = entry.get_child_optional("topic");
  if (!topic)
    return refuse(where + " has no \"topic\"");
  if (!topic->empty())
    return refuse(where + ": \"topic\" is not a string: " + shown(*topic));
  if (topic->data().empty())
    return refuse(where + " has an empty \"topic\"");
  out.tp.topic = topic->data();
  where += " (topic '" + out.tp.topic + "')";
  auto partition = entry.get_child_optional("partition");
  if (!partition)
    return refuse(where + " has no \"partition\"");
  int32_t p = 0;
  if (auto err = read_id(*partition, where, "\"partition\"", p))
    return err;
  out.tp.partition = partition_id{p};
  where = "partitions[" + std::to_string(index) + "] (" + to_string(out.tp) + ")";
  if (auto err = read_replicas(entry, where, out.replicas))
    return err;
  return check_log_dirs(entry, where, out.replicas.size());
}

caf::expected<std::vector<planned_reassignment>> read_plan(const ptree& root) {
  if (!is_object(root))
    return refuse("the plan is not a JSON object");
  if (auto err = check_once(root, "the plan", {"version", "partitions"}))
    return err;
  if (auto version = root.get_child_optional("version"))
    if (!version->empty() || version->data() != "1")
      return refuse("\"version\" must be 1, not " + shown(*version));
  auto partitions = root.get_child_optional("partitions");
  if (!partitions)
    return refuse("the plan has no \"partitions\" list");
  if (!is_list(*partitions))
    return refuse("\"partitions\" is not a list");
  if (partitions->empty())
    return refuse("\"partitions\" is empty");
  std::vector<planned_reassignment> plan;
  std::map<topic_partition, size_t> first_index;
  for (auto& kv : *partitions) {
    size_t index = plan.size();
    planned_reassignment entry;
    if (auto err = read_entry(kv.second, index, entry))
      return err;
    auto [it, added] = first_index.emplace(entry.tp, index);
    if (!added)
      return refuse("partitions[" + std::to_string(index) + "] (" + to_string(entry.tp)
                    + "): " + to_string(entry.tp) + " is already in partitions["
                    + std::to_string(it->second) + "]");
    plan.push_back(std::move(entry));
  }
  return plan;
}

// Appends s as a JSON string: quotes, backslashes and control characters escaped, other bytes
// (UTF-8) as they are.
void append_json_string(std::string& out, const std::string& s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += hex[(c >> 4) & 0xf];
          out += hex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

} // namespace

caf::expected<std::vector<planned_reassignment>> parse_reassignment_plan(std::string_view json) {
  try {
    if (nested_too_deep(json))
      return refuse("nested deeper than " + std::to_string(max_nesting) + " levels");
    std::istringstream in{std::string{json}};
    ptree root;
    boost::property_tree::read_json(in, root);
    return read_plan(root);
  } catch (const boost::property_tree::json_parser_error& e) {
    return refuse("invalid JSON at line " + std::to_string(e.line()) + ": " + e.message());
  } catch (const std::exception& e) {
    return refuse(std::string{"unreadable: "} + e.what());
  } catch (...) {
    return refuse("unreadable");
  }
}

std::string render_reassignment_plan(const std::vector<planned_reassignment>& plan) {
  std::string out = "{\"version\":1,\"partitions\":[";
  for (size_t i = 0; i < plan.size(); ++i) {
    auto& entry = plan[i];
    if (i > 0)
      out += ',';
    out += "{\"topic\":";
    append_json_string(out, entry.tp.topic);
    out += ",\"partition\":" + to_string(entry.tp.partition) + ",\"replicas\":[";
    for (size_t r = 0; r < entry.replicas.size(); ++r)
      out += (r > 0 ? "," : "") + to_string(entry.replicas[r]);
    out += "],\"log_dirs\":[";
    for (size_t r = 0; r < entry.replicas.size(); ++r)
      out += r > 0 ? ",\"any\"" : "\"any\"";
    out += "]}";
  }
  out += "]}";
  return out;
}

} // namespace cafka
