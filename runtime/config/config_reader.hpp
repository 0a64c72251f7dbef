// Typed reads of one cluster.conf section's keys, shared by the section parsers
// (cluster_config.cpp, limits_config.cpp, ...). Each check names the key; any thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include <caf/error.hpp>
#include <caf/settings.hpp>

namespace cafka {

// errc::invalid_config "path: what".
caf::error config_error(const std::string& path, const std::string& what);

// Reads an integer key, checking that it lies in [lo, hi]. An absent key keeps `out`.
// `where` prefixes the key in errors ("[defaults] ").
caf::error read_int(const caf::settings& dict, const std::string& key, int64_t lo, int64_t hi,
                    const std::string& path, const std::string& where, int64_t& out);

// Reads a boolean key. An absent key keeps `out`.
caf::error read_bool(const caf::settings& dict, const std::string& key,
                     const std::string& path, const std::string& where, bool& out);

// An error naming the first key of `dict` that is not in `known`.
caf::error check_keys(const caf::settings& dict, const std::set<std::string>& known,
                      const std::string& path, const std::string& section);

} // namespace cafka
