#include "runtime/config/config_reader.hpp"

#include "runtime/base/errc.hpp"

namespace cafka {

caf::error config_error(const std::string& path, const std::string& what) {
  return make_error(errc::invalid_config, path + ": " + what);
}

caf::error read_int(const caf::settings& dict, const std::string& key, int64_t lo, int64_t hi,
                    const std::string& path, const std::string& where, int64_t& out) {
  auto i = dict.find(key);
  if (i == dict.end())
    return {};
  auto v = caf::get_if<int64_t>(&i->second);
  if (v == nullptr)
    return config_error(path, where + key + " must be an integer, got "
                                + caf::to_string(i->second));
  if (*v < lo || *v > hi)
    return config_error(path, where + key + " must be between " + std::to_string(lo)
                                + " and " + std::to_string(hi) + ", got "
                                + std::to_string(*v));
  out = *v;
  return {};
}

caf::error read_bool(const caf::settings& dict, const std::string& key,
                     const std::string& path, const std::string& where, bool& out) {
  auto i = dict.find(key);
  if (i == dict.end())
    return {};
  auto v = caf::get_if<bool>(&i->second);
  if (v == nullptr)
    return config_error(path, where + key + " must be true or false, got "
                                + caf::to_string(i->second));
  out = *v;
  return {};
}

caf::error check_keys(const caf::settings& dict, const std::set<std::string>& known,
                      const std::string& path, const std::string& section) {
  for (auto& kv : dict)
    if (known.count(kv.first) == 0)
      return config_error(path, "unknown key '" + kv.first + "' in [" + section + "]");
  return {};
}

} // namespace cafka
