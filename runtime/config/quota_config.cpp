#include "runtime/config/quota_config.hpp"

#include <set>
#include <utility>

#include "runtime/config/config_reader.hpp"

namespace cafka {

namespace {

// A rate key of `dict`, if present, in [1, max_quota_byte_rate].
caf::error read_rate(const caf::settings& dict, const std::string& key, const std::string& path,
                     const std::string& where, std::optional<int64_t>& out) {
  if (dict.count(key) == 0)
    return {};
  int64_t v = 0;
  if (auto err = read_int(dict, key, 1, max_quota_byte_rate, path, where, v))
    return err;
  out = v;
  return {};
}

// A non-empty string key of `dict`, if present.
caf::error read_name(const caf::settings& dict, const std::string& key, const std::string& path,
                     const std::string& where, std::optional<std::string>& out) {
  auto i = dict.find(key);
  if (i == dict.end())
    return {};
  auto str = caf::get_if<std::string>(&i->second);
  if (str == nullptr || str->empty())
    return config_error(path, where + key + " must be a non-empty string, got "
                                + caf::to_string(i->second));
  out = *str;
  return {};
}

caf::expected<quota_override> parse_override(const caf::config_value& v, const std::string& path,
                                             size_t index) {
  auto where = "[quotas] overrides[" + std::to_string(index) + "]: ";
  auto d = caf::get_if<caf::settings>(&v);
  if (d == nullptr)
    return config_error(path, where + "expected {user=\"...\", client-id=\"...\", "
                                      "producer-byte-rate=..., consumer-byte-rate=...}");
  if (auto err = check_keys(*d, {"user", "client-id", "producer-byte-rate",
                                 "consumer-byte-rate"},
                            path, "quotas] overrides[" + std::to_string(index) + "]"))
    return err;
  quota_override out;
  caf::error err;
  if ((err = read_name(*d, "user", path, where, out.user))
      || (err = read_name(*d, "client-id", path, where, out.client_id))
      || (err = read_rate(*d, "producer-byte-rate", path, where, out.producer_byte_rate))
      || (err = read_rate(*d, "consumer-byte-rate", path, where, out.consumer_byte_rate)))
    return err;
  if (!out.user && !out.client_id)
    return config_error(path, where + "user or client-id is required");
  if (!out.producer_byte_rate && !out.consumer_byte_rate)
    return config_error(path, where + "producer-byte-rate or consumer-byte-rate is required");
  return out;
}

} // namespace

caf::expected<quota_config> quota_config_from(const caf::settings* sec,
                                              const std::string& path) {
  quota_config out;
  if (sec == nullptr)
    return out;
  if (auto err = check_keys(*sec, {"producer-byte-rate", "consumer-byte-rate", "overrides"},
                            path, "quotas"))
    return err;
  caf::error err;
  if ((err = read_rate(*sec, "producer-byte-rate", path, "[quotas] ", out.producer_byte_rate))
      || (err = read_rate(*sec, "consumer-byte-rate", path, "[quotas] ",
                          out.consumer_byte_rate)))
    return err;
  auto i = sec->find("overrides");
  if (i == sec->end())
    return out;
  auto list = caf::get_if<caf::config_value::list>(&i->second);
  if (list == nullptr)
    return config_error(path, "[quotas] overrides must be a list such as "
                              "[{user=\"alice\", producer-byte-rate=1048576}]");
  // Kafka has one quota entity per (user, client-id): two entries for it would be ambiguous.
  std::set<std::pair<std::optional<std::string>, std::optional<std::string>>> seen;
  for (size_t k = 0; k < list->size(); ++k) {
    auto o = parse_override((*list)[k], path, k);
    if (!o)
      return o.error();
    if (!seen.emplace(o->user, o->client_id).second)
      return config_error(path, "[quotas] overrides[" + std::to_string(k)
                                  + "]: another entry names the same user and client-id");
    out.overrides.push_back(std::move(*o));
  }
  return out;
}

} // namespace cafka
