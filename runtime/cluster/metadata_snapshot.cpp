// The metadata state machine's snapshot (docs/metadata-format.md, "Metadata snapshot"):
// metadata_state::to_bytes / from_bytes and the file they go to. Owned by each controller
// quorum member; not thread-safe.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/access_rules.hpp"
#include "runtime/cluster/metadata_encoding.hpp"
#include "runtime/cluster/metadata_state.hpp"
#include "runtime/cluster/reassignment.hpp"
#include "runtime/cluster/topic_config.hpp"
#include "runtime/storage/file_handle.hpp"

namespace cafka {
namespace {

// The snapshot's version byte (docs/metadata-format.md). Versions 0-2 were Boost text
// archives (their class versions), which are recognised and refused; version 3 has no
// access part (read as empty access metadata), versions 3 and 4 no topic configs, versions 3
// to 5 no moves part.
constexpr uint8_t snapshot_version = 6;
constexpr uint8_t snapshot_version_v5 = 5;
constexpr uint8_t snapshot_version_v4 = 4;
constexpr uint8_t snapshot_version_v3 = 3;

// The topic configs part of a snapshot: the topics that have overrides, in topic order.
struct topic_configs_record {
  std::string topic;
  std::vector<topic_config_entry> configs;
};

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, topic_configs_record> x) {
  io(x.topic, x.configs);
}

// One moving partition in a snapshot's moves part.
struct partition_move_record {
  topic_partition tp;
  std::vector<node_id> adding;
  std::vector<node_id> removing;
};

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, partition_move_record> x) {
  io(x.tp, x.adding, x.removing);
}

// The moves part of a snapshot: moving partitions, decommissioned brokers, the throttle.
struct moves_record {
  std::vector<partition_move_record> partitions;
  std::vector<node_id> draining;
  int64_t throttle = 0;
};

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, moves_record> x) {
  io(x.partitions, x.draining, x.throttle);
}
constexpr std::string_view boost_archive_start = "22 serialization::archive";

// Why a move record cannot be the move of partition p (what alter_reassignments writes:
// adding and removing are disjoint members of the replicas, the leaving ones last), or "".
std::string check_move(const partition_metadata& p, const partition_move_record& m) {
  if (m.adding.empty() && m.removing.empty())
    return "it adds and removes nothing";
  auto n = p.replicas.size();
  std::set<node_id> replicas(p.replicas.begin(), p.replicas.end());
  std::set<node_id> adding(m.adding.begin(), m.adding.end());
  std::set<node_id> removing(m.removing.begin(), m.removing.end());
  if (replicas.size() != n || adding.size() != m.adding.size()
      || removing.size() != m.removing.size())
    return "a broker is listed twice";
  if (m.adding.size() + m.removing.size() > n)
    return "it moves more replicas than the partition has";
  for (auto x : m.adding)
    if (replicas.count(x) == 0 || removing.count(x) != 0)
      return "adding broker " + to_string(x) + " is not a staying replica";
  // The leaving replicas are the last ones.
  std::set<node_id> tail(p.replicas.end() - static_cast<std::ptrdiff_t>(m.removing.size()),
                         p.replicas.end());
  if (tail != removing)
    return "the removing brokers are not the last replicas";
  return {};
}

caf::error malformed(const std::string& what) {
  return make_error(errc::storage_error, "malformed metadata snapshot: " + what);
}

} // namespace

std::string metadata_state::to_bytes() const {
  std::string out;
  durable::writer w{out};
  w.u8(snapshot_version);
  std::vector<topic_configs_record> configs;
  for (auto& t : md_.topics)
    if (!t.configs.empty())
      configs.push_back({t.name, t.configs});
  moves_record moves;
  for (auto& t : md_.topics)
    for (auto& p : t.partitions)
      if (is_reassigning(p))
        moves.partitions.push_back({topic_partition{t.name, p.id}, p.adding_replicas,
                                    p.removing_replicas});
  moves.draining = md_.draining;
  moves.throttle = md_.reassignment_throttle;
  w(md_, access_, configs, moves);
  return out;
}

caf::error metadata_state::from_bytes(const std::string& bytes) {
  if (bytes.compare(0, boost_archive_start.size(), boost_archive_start) == 0)
    return malformed("a Boost text archive (versions 0-2, before cafka's durable encoding) "
                     "is not read");
  durable::reader r{bytes};
  auto version = r.u8();
  if (r.ok() && (version < snapshot_version_v3 || version > snapshot_version))
    return malformed("version " + std::to_string(version) + " is unknown (this cafka reads "
                     + std::to_string(snapshot_version_v3) + " to "
                     + std::to_string(snapshot_version) + ")");
  cluster_metadata md;
  access_metadata access;
  std::vector<topic_configs_record> configs;
  moves_record moves;
  r(md);
  if (version >= snapshot_version_v4)
    r(access);
  if (version >= snapshot_version_v5)
    r(configs);
  if (version >= snapshot_version)
    r(moves);
  r.expect_end();
  if (!r.ok())
    return malformed(r.error());
  if (auto why = check_access_metadata(access); !why.empty())
    return malformed("access metadata: " + why);
  for (auto& c : configs) {
    auto t = std::find_if(md.topics.begin(), md.topics.end(),
                          [&](const topic_metadata& x) { return x.name == c.topic; });
    if (t == md.topics.end())
      return malformed("configs of topic '" + c.topic + "', which it does not have");
    if (auto err = validate_topic_configs(c.configs))
      return malformed("configs of topic '" + c.topic + "': " + context_of(err));
    t->configs = std::move(c.configs);
  }
  std::set<topic_partition> moved;
  for (auto& m : moves.partitions) {
    partition_metadata* p = nullptr;
    for (auto& t : md.topics)
      for (auto& x : t.partitions)
        if (t.name == m.tp.topic && x.id == m.tp.partition)
          p = &x;
    if (p == nullptr)
      return malformed("a move of " + to_string(m.tp) + ", a partition it does not have");
    if (!moved.insert(m.tp).second)
      return malformed("two moves of " + to_string(m.tp));
    if (auto why = check_move(*p, m); !why.empty())
      return malformed("the move of " + to_string(m.tp) + ": " + why);
    p->adding_replicas = std::move(m.adding);
    p->removing_replicas = std::move(m.removing);
  }
  for (size_t i = 0; i < moves.draining.size(); ++i) {
    auto id = moves.draining[i];
    if (md.find_broker(id) == nullptr)
      return malformed("decommissioned broker " + to_string(id) + " is not registered");
    if (i > 0 && !(moves.draining[i - 1] < id))
      return malformed("the decommissioned brokers are not sorted and distinct");
  }
  if (moves.throttle < 0)
    return malformed("a negative throttle: " + std::to_string(moves.throttle));
  md.draining = std::move(moves.draining);
  md.reassignment_throttle = moves.throttle;
  md_ = std::move(md);
  access_ = std::move(access);
  return {};
}

caf::error metadata_state::save(const std::string& path) const {
  return atomic_replace_file(path, to_bytes());
}

caf::error metadata_state::load(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return {}; // first start: empty state
  std::stringstream ss;
  ss << in.rdbuf();
  if (auto err = from_bytes(ss.str()))
    return make_error(errc::storage_error,
                      "cannot read metadata file " + path + ": " + describe(err));
  return {};
}

} // namespace cafka
