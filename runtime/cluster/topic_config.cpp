#include "runtime/cluster/topic_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "runtime/base/errc.hpp"
#include "runtime/group/group_records.hpp"

namespace cafka {

namespace {

enum class kind : uint8_t { int32, int64, ratio, boolean, choice, list };

// One topic config: its type, bounds or choices, and its broker synonym.
struct spec {
  const char* name;
  const char* broker;
  kind type;
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<std::string> choices = {};
};

constexpr int64_t i32_max = std::numeric_limits<int32_t>::max();

// Sorted by name. Bounds are Kafka's where cafka can honour them; segment.bytes and
// index.interval.bytes take cluster.conf's bounds for the matching keys.
const std::vector<spec>& specs() {
  static const std::vector<spec> xs = {
    {"cleanup.policy", "log.cleanup.policy", kind::list, 0, 0, {"compact", "delete"}},
    {"compression.type", "compression.type", kind::choice, 0, 0,
     {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms", kind::int64, 0},
    {"flush.messages", "log.flush.interval.messages", kind::int64, 1},
    {"flush.ms", "log.flush.interval.ms", kind::int64, 0},
    {"index.interval.bytes", "log.index.interval.bytes", kind::int32, 1, i32_max},
    {"max.message.bytes", "message.max.bytes", kind::int32, 0, i32_max},
    {"message.timestamp.type", "log.message.timestamp.type", kind::choice, 0, 0,
     {"CreateTime", "LogAppendTime"}},
    {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", kind::ratio},
    {"min.insync.replicas", "min.insync.replicas", kind::int32, 1, i32_max},
    {"retention.bytes", "log.retention.bytes", kind::int64},
    {"retention.ms", "log.retention.ms", kind::int64, -1},
    {"segment.bytes", "log.segment.bytes", kind::int32, 1024, i32_max},
    {"unclean.leader.election.enable", "unclean.leader.election.enable", kind::boolean},
  };
  return xs;
}

const spec* find_spec(const std::string& name) {
  for (auto& s : specs())
    if (name == s.name)
      return &s;
  return nullptr;
}

caf::error invalid(const std::string& name, const std::string& value, const std::string& why) {
  return make_error(errc::invalid_config,
                    "Invalid value " + value + " for configuration " + name + ": " + why);
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

// The comma-separated items of a list value, trimmed (Kafka's LIST parsing).
std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= value.size()) {
    auto j = value.find(',', i);
    if (j == std::string::npos)
      j = value.size();
    auto item = value.substr(i, j - i);
    auto b = item.find_first_not_of(' ');
    auto e = item.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? std::string{} : item.substr(b, e - b + 1));
    i = j + 1;
  }
  return out;
}

std::optional<int64_t> parse_int(const std::string& s) {
  int64_t v = 0;
  auto end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc{} || ptr != end)
    return std::nullopt;
  return v;
}

std::optional<double> parse_ratio(const std::string& s) {
  if (s.empty())
    return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size())
    return std::nullopt;
  return v;
}

caf::error check_number(const spec& s, const std::string& value) {
  auto v = parse_int(value);
  bool narrow = s.type == kind::int32;
  if (!v || (narrow && (*v < std::numeric_limits<int32_t>::min() || *v > i32_max)))
    return invalid(s.name, value, narrow ? "Not a number of type INT"
                                         : "Not a number of type LONG");
  if (*v < s.min)
    return invalid(s.name, value, "Value must be at least " + std::to_string(s.min));
  if (*v > s.max)
    return invalid(s.name, value, "Value must be no more than " + std::to_string(s.max));
  return {};
}

caf::error check_value(const spec& s, const std::string& value) {
  switch (s.type) {
    case kind::int32:
    case kind::int64:
      return check_number(s, value);
    case kind::ratio: {
      auto v = parse_ratio(value);
      if (!v || !std::isfinite(*v))
        return invalid(s.name, value, "Not a number of type DOUBLE");
      if (*v < 0 || *v > 1)
        return invalid(s.name, value, "Value must be between 0 and 1");
      return {};
    }
    case kind::boolean:
      if (value != "true" && value != "false")
        return invalid(s.name, value, "Expected value to be either true or false");
      return {};
    case kind::choice:
      if (std::find(s.choices.begin(), s.choices.end(), value) == s.choices.end())
        return invalid(s.name, value, "String must be one of: " + join(s.choices));
      return {};
    case kind::list: {
      auto items = split_list(value);
      if (items.empty() || (items.size() == 1 && items[0].empty()))
        return invalid(s.name, value, "Empty list is not allowed");
      for (auto& item : items)
        if (std::find(s.choices.begin(), s.choices.end(), item) == s.choices.end())
          return invalid(s.name, value, "String must be one of: " + join(s.choices));
      return {};
    }
  }
  return {};
}

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// A value as Kafka parses it: trimmed; booleans in lower case; list items trimmed.
std::string normalized(const std::string& name, const std::string& value) {
  auto s = find_spec(name);
  auto v = trimmed(value);
  if (s == nullptr)
    return v;
  if (s->type == kind::boolean)
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s->type == kind::list) {
    std::string out;
    for (auto& item : split_list(v))
      out += (out.empty() ? "" : ",") + item;
    return v.empty() ? v : out;
  }
  return v;
}

int64_t to_int(const std::string& value) {
  return parse_int(value).value_or(0);
}

// Applies one valid override to `c`.
void apply_override(topic_config& c, const topic_config_entry& e) {
  auto& n = e.name;
  auto& v = e.value;
  if (n == "cleanup.policy") {
    auto items = split_list(v);
    auto has = [&](const char* x) { return std::find(items.begin(), items.end(), x) != items.end(); };
    c.cleanup_delete = has("delete");
    c.cleanup_compact = has("compact");
  } else if (n == "compression.type") {
    static const std::pair<const char*, topic_compression> codecs[] = {
      {"producer", topic_compression::producer}, {"uncompressed", topic_compression::uncompressed},
      {"gzip", topic_compression::gzip},         {"snappy", topic_compression::snappy},
      {"lz4", topic_compression::lz4},           {"zstd", topic_compression::zstd}};
    for (auto& [name, codec] : codecs)
      if (v == name)
        c.compression = codec;
  } else if (n == "delete.retention.ms") {
    c.delete_retention_ms = to_int(v);
  } else if (n == "flush.messages") {
    c.log.flush_messages = to_int(v);
  } else if (n == "flush.ms") {
    c.log.flush_ms = to_int(v);
  } else if (n == "index.interval.bytes") {
    c.log.index_interval_bytes = static_cast<uint32_t>(to_int(v));
  } else if (n == "max.message.bytes") {
    c.max_message_bytes = static_cast<int32_t>(to_int(v));
  } else if (n == "message.timestamp.type") {
    c.message_timestamp_type
      = v == "LogAppendTime" ? timestamp_type::log_append_time : timestamp_type::create_time;
  } else if (n == "min.cleanable.dirty.ratio") {
    c.min_cleanable_dirty_ratio = parse_ratio(v).value_or(0.5);
  } else if (n == "min.insync.replicas") {
    c.min_insync_replicas = static_cast<int32_t>(to_int(v));
  } else if (n == "retention.bytes") {
    c.log.retention_bytes = to_int(v);
  } else if (n == "retention.ms") {
    c.log.retention_ms = to_int(v);
  } else if (n == "segment.bytes") {
    c.log.segment_bytes = static_cast<uint64_t>(to_int(v));
  } else if (n == "unclean.leader.election.enable") {
    c.unclean_leader_election_enable = v == "true";
  }
}

topic_config defaults_of(const broker_defaults& d) {
  topic_config c;
  c.log = d.log;
  c.min_insync_replicas = d.min_insync_replicas;
  c.max_message_bytes = d.message_max_bytes;
  c.unclean_leader_election_enable = d.unclean_leader_election_enable;
  return c;
}

} // namespace

bool topic_config::operator==(const topic_config& o) const {
  return log.segment_bytes == o.log.segment_bytes && log.retention_ms == o.log.retention_ms
         && log.retention_bytes == o.log.retention_bytes
         && log.index_interval_bytes == o.log.index_interval_bytes
         && log.flush_messages == o.log.flush_messages && log.flush_ms == o.log.flush_ms
         && cleanup_delete == o.cleanup_delete && cleanup_compact == o.cleanup_compact
         && min_insync_replicas == o.min_insync_replicas
         && max_message_bytes == o.max_message_bytes
         && message_timestamp_type == o.message_timestamp_type
         && compression == o.compression
         && unclean_leader_election_enable == o.unclean_leader_election_enable
         && delete_retention_ms == o.delete_retention_ms
         && min_cleanable_dirty_ratio == o.min_cleanable_dirty_ratio;
}

std::optional<compression_codec> codec_of(topic_compression c) {
  switch (c) {
    case topic_compression::producer:
      return std::nullopt;
    case topic_compression::uncompressed:
      return compression_codec::none;
    case topic_compression::gzip:
      return compression_codec::gzip;
    case topic_compression::snappy:
      return compression_codec::snappy;
    case topic_compression::lz4:
      return compression_codec::lz4;
    case topic_compression::zstd:
      return compression_codec::zstd;
  }
  return std::nullopt;
}

const std::vector<std::string>& topic_config_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (auto& s : specs())
      out.emplace_back(s.name);
    return out;
  }();
  return names;
}

std::string broker_synonym(const std::string& name) {
  auto s = find_spec(name);
  return s != nullptr ? s->broker : "";
}

std::string default_topic_config_value(const broker_defaults& d, const std::string& name) {
  auto c = defaults_of(d);
  if (name == "cleanup.policy")
    return "delete";
  if (name == "compression.type")
    return "producer";
  if (name == "delete.retention.ms")
    return std::to_string(c.delete_retention_ms);
  if (name == "flush.messages")
    return std::to_string(c.log.flush_messages);
  if (name == "flush.ms")
    return std::to_string(c.log.flush_ms);
  if (name == "index.interval.bytes")
    return std::to_string(c.log.index_interval_bytes);
  if (name == "max.message.bytes")
    return std::to_string(c.max_message_bytes);
  if (name == "message.timestamp.type")
    return "CreateTime";
  if (name == "min.cleanable.dirty.ratio")
    return "0.5";
  if (name == "min.insync.replicas")
    return std::to_string(c.min_insync_replicas);
  if (name == "retention.bytes")
    return std::to_string(c.log.retention_bytes);
  if (name == "retention.ms")
    return std::to_string(c.log.retention_ms);
  if (name == "segment.bytes")
    return std::to_string(c.log.segment_bytes);
  if (name == "unclean.leader.election.enable")
    return c.unclean_leader_election_enable ? "true" : "false";
  return "";
}

caf::error validate_topic_config(const std::string& name, const std::string& value) {
  auto s = find_spec(name);
  if (s == nullptr)
    return make_error(errc::invalid_config, "Unknown topic config name: " + name);
  return check_value(*s, value);
}

caf::error validate_topic_configs(std::vector<topic_config_entry>& entries) {
  for (auto& e : entries) {
    e.value = normalized(e.name, e.value);
    if (auto err = validate_topic_config(e.name, e.value))
      return err;
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].name == entries[i - 1].name)
      return make_error(errc::invalid_config, "Duplicate config name: " + entries[i].name);
  return {};
}

std::optional<std::string> find_config(const std::vector<topic_config_entry>& entries,
                                       const std::string& name) {
  auto i = std::lower_bound(entries.begin(), entries.end(), name,
                            [](const topic_config_entry& e, const std::string& n) {
                              return e.name < n;
                            });
  if (i == entries.end() || i->name != name)
    return std::nullopt;
  return i->value;
}

namespace {

void put(std::vector<topic_config_entry>& xs, const std::string& name, std::string value) {
  for (auto& e : xs)
    if (e.name == name) {
      e.value = std::move(value);
      return;
    }
  xs.push_back({name, std::move(value)});
}

void drop(std::vector<topic_config_entry>& xs, const std::string& name) {
  xs.erase(std::remove_if(xs.begin(), xs.end(),
                          [&](const topic_config_entry& e) { return e.name == name; }),
           xs.end());
}

// The list value after appending or subtracting `value`'s items.
std::string edit_list(const std::string& current, const std::string& value, bool append) {
  auto items = split_list(current);
  for (auto& x : split_list(value)) {
    auto i = std::find(items.begin(), items.end(), x);
    if (append && i == items.end())
      items.push_back(x);
    else if (!append && i != items.end())
      items.erase(i);
  }
  std::string out;
  for (auto& x : items)
    out += (out.empty() ? "" : ",") + x;
  return out;
}

} // namespace

caf::expected<std::vector<topic_config_entry>>
apply_config_ops(const std::string& topic, std::vector<topic_config_entry> current,
                 const std::vector<config_op>& ops, bool replace) {
  for (size_t i = 0; i < ops.size(); ++i)
    for (size_t j = i + 1; j < ops.size(); ++j)
      if (ops[i].name == ops[j].name)
        return make_error(errc::invalid_request, "Error due to duplicate config keys");
  if (replace)
    current.clear();
  for (auto& op : ops) {
    auto s = find_spec(op.name);
    if (s == nullptr)
      return make_error(errc::invalid_config, "Unknown topic config name: " + op.name);
    switch (op.op) {
      case config_op_kind::set:
        put(current, op.name, op.value);
        break;
      case config_op_kind::remove:
        drop(current, op.name);
        break;
      case config_op_kind::append:
      case config_op_kind::subtract: {
        if (s->type != kind::list)
          return make_error(errc::invalid_config,
                            std::string{"Config value "}
                              + (op.op == config_op_kind::append ? "append" : "subtract")
                              + " is not allowed for config key: " + op.name);
        auto i = std::find_if(current.begin(), current.end(),
                              [&](const topic_config_entry& e) { return e.name == op.name; });
        auto now = i != current.end() ? std::optional<std::string>{i->value}
                                       : find_config(builtin_topic_configs(topic), op.name);
        auto edited = edit_list(now.value_or("delete"), op.value,
                                op.op == config_op_kind::append);
        put(current, op.name, edited);  // empty: refused by the validation below
        break;
      }
      default:
        return make_error(errc::invalid_request,
                          "unknown config operation "
                            + std::to_string(static_cast<int>(op.op)) + " for " + op.name);
    }
  }
  if (auto err = validate_topic_configs(current))  // sorts by name
    return err;
  return current;
}

const std::vector<topic_config_entry>& builtin_topic_configs(const std::string& topic) {
  static const std::vector<topic_config_entry> offsets = {
    {"cleanup.policy", "compact"}, {"retention.bytes", "-1"}, {"retention.ms", "-1"}};
  static const std::vector<topic_config_entry> none;
  return topic == group::offsets_topic ? offsets : none;
}

topic_config effective_topic_config(const broker_defaults& d, const std::string& topic,
                                    const std::vector<topic_config_entry>& overrides) {
  auto c = defaults_of(d);
  for (auto& e : builtin_topic_configs(topic))
    apply_override(c, e);
  for (auto& e : overrides)
    apply_override(c, e);
  return c;
}

topic_config effective_topic_config(const broker_defaults& d, const cluster_metadata& md,
                                    const std::string& topic) {
  auto t = md.find_topic(topic);
  return effective_topic_config(d, topic, t != nullptr ? t->configs
                                                       : std::vector<topic_config_entry>{});
}

} // namespace cafka
