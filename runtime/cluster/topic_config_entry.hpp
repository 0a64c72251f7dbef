// One per-topic config override under its Kafka name, as topics keep them in the metadata
// quorum and create requests carry them (rules in runtime/cluster/topic_config.hpp). A plain
// value; any thread.
#pragma once

#include <string>

namespace cafka {

struct topic_config_entry {
  std::string name;
  std::string value;

  bool operator==(const topic_config_entry& o) const {
    return name == o.name && value == o.value;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_config_entry& x) {
  return f(x.name, x.value);
}

} // namespace cafka
