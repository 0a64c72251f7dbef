#include "runtime/group/group_records.hpp"

#include "runtime/base/errc.hpp"
#include "runtime/kafka/kafka_reader.hpp"
#include "runtime/kafka/kafka_writer.hpp"
#include "runtime/kafka/offsets_topic_codec.hpp"
#include "runtime/protocol/murmur2.hpp"

namespace cafka::group {

namespace {

// The group value's version: outside 0-4, the value versions Kafka's formatters parse
// without looking at the key (OffsetCommitValue, GroupMetadataValue).
// Group values: version 0x7caf has no classic member fields; 0x7cb0 (written) adds them.
constexpr int16_t group_value_version_actors = group_key_version;
constexpr int16_t group_value_version = group_key_version + 1;
// cafka's offset value before Kafka's layout: version 1, offset, timestamp, member epoch.
constexpr int16_t old_offset_value_version = 1;
constexpr size_t old_offset_value_size = 22;

caf::error corrupt(const std::string& what) {
  return make_error(errc::corrupt_message, "__consumer_offsets: " + what);
}

// "malformed <what> (<why>)" for a reader that failed or did not reach the end.
caf::error malformed(const char* what, const kafka::reader& r) {
  return corrupt(std::string{"malformed "} + what + " ("
                 + (r.ok() ? "bytes left over" : r.error()) + ")");
}

// -- cafka's group value: int32-length strings (Kafka's BYTES) and int32 counts -----------

void put_string(kafka::writer& w, const std::string& s) {
  w.bytes(s);
}

std::string get_string(kafka::reader& r) {
  return std::string{r.bytes()};
}

// A count that is neither negative nor larger than the bytes left could hold.
size_t get_count(kafka::reader& r, size_t min_element_size) {
  auto n = r.array_length(min_element_size);
  if (n < 0) {
    r.fail("negative count");
    return 0;
  }
  return static_cast<size_t>(n);
}

void put_tps(kafka::writer& w, const std::vector<topic_partition>& xs) {
  w.array_length(static_cast<int32_t>(xs.size()));
  for (auto& x : xs) {
    put_string(w, x.topic);
    w.i32(x.partition.value);
  }
}

std::vector<topic_partition> get_tps(kafka::reader& r) {
  std::vector<topic_partition> out(get_count(r, 8));
  for (auto& x : out) {
    x.topic = get_string(r);
    x.partition = partition_id{r.i32()};
  }
  return out;
}

void put_member(kafka::writer& w, const member_record& m) {
  put_string(w, m.member_id);
  put_string(w, m.instance_id);
  w.i32(m.epoch.value);
  w.i32(m.previous_epoch.value);
  w.boolean(m.acked);
  w.boolean(m.left_for_now);
  w.array_length(static_cast<int32_t>(m.topics.size()));
  for (auto& t : m.topics)
    put_string(w, t);
  put_tps(w, m.reported);
  put_tps(w, m.told);
  w.boolean(m.classic);
  if (!m.classic)
    return;
  put_string(w, m.protocol);
  w.i32(m.session_timeout_ms);
  w.i32(m.rebalance_timeout_ms);
  w.i16(m.assignment_version);
  put_string(w, m.client_id);
  put_string(w, m.client_host);
}

void get_member(kafka::reader& r, int16_t version, member_record& m) {
  m.member_id = get_string(r);
  m.instance_id = get_string(r);
  m.epoch = member_epoch{r.i32()};
  m.previous_epoch = member_epoch{r.i32()};
  m.acked = r.boolean();
  m.left_for_now = r.boolean();
  m.topics.resize(get_count(r, 4));
  for (auto& t : m.topics)
    t = get_string(r);
  m.reported = get_tps(r);
  m.told = get_tps(r);
  if (version == group_value_version_actors)
    return;
  auto flag = r.i8();
  if (flag != 0 && flag != 1)
    r.fail("a classic flag other than 0 or 1");
  m.classic = flag == 1;
  if (!m.classic)
    return;
  m.protocol = get_string(r);
  m.session_timeout_ms = r.i32();
  m.rebalance_timeout_ms = r.i32();
  m.assignment_version = r.i16();
  m.client_id = get_string(r);
  m.client_host = get_string(r);
  // The bounds a JoinGroup was checked against (group_state.hpp's classic_*_timeout_ms and
  // the consumer protocol's versions).
  if (m.session_timeout_ms < 6000 || m.session_timeout_ms > 1800000)
    r.fail("a classic session timeout outside [6000, 1800000] ms");
  if (m.rebalance_timeout_ms <= 0)
    r.fail("a classic rebalance timeout that is not positive");
  if (m.assignment_version < 0 || m.assignment_version > 3)
    r.fail("a consumer protocol version outside 0-3");
}

// -- cafka's layout before Kafka's (int32 string lengths); recognised, never read ---------

// Whether r holds exactly `strings` int32-length strings followed by `tail` bytes.
bool old_layout_rest(kafka::reader r, int strings, size_t tail) {
  for (int i = 0; i < strings; ++i)
    r.bytes();
  r.raw(tail);
  return r.ok() && r.remaining() == 0;
}

// Why `key` (version `version`) does not decode: names cafka's old layout if it is one.
caf::error bad_key(std::string_view key, int16_t version, caf::error what) {
  kafka::reader r{key};
  r.i16();
  if (version == 1 && old_layout_rest(r, 2, 4))
    return corrupt("an offset key in cafka's layout from before Kafka's (int32 string "
                   "lengths): not read");
  if (version == 2 && old_layout_rest(r, 1, 0))
    return corrupt("a group key in cafka's layout from before Kafka's (key type 2, int32 "
                   "string length): not read");
  return what;
}

} // namespace

int32_t partition_for_group(const std::string& group, int32_t partitions) {
  return (murmur2(group.data(), group.size()) & 0x7fffffff) % partitions;
}

caf::error validate_group_id(const std::string& group) {
  if (group.empty())
    return make_error(errc::invalid_group_id, "the group id is empty");
  if (group.size() > max_string_size)
    return make_error(errc::invalid_group_id, "the group id is longer than "
                                                + std::to_string(max_string_size) + " bytes");
  return {};
}

std::string offset_key(const std::string& group, const topic_partition& tp) {
  kafka::offset_commit_key k;
  k.group = group;
  k.topic = tp.topic;
  k.partition = tp.partition.value;
  std::string out;
  kafka::writer w{out};
  encode(w, k);
  return out;
}

std::string group_key(const std::string& group) {
  std::string out;
  kafka::writer w{out};
  w.i16(group_key_version);
  w.string(group);
  return out;
}

std::string encode(const offset_record& x) {
  kafka::offset_commit_value v;
  v.offset = x.offset.value;
  v.leader_epoch = x.leader_epoch.value;
  v.metadata = x.metadata;
  v.commit_timestamp = x.commit_timestamp_ms;
  std::string out;
  kafka::writer w{out};
  encode(w, v);
  return out;
}

std::string encode(const group_record& x) {
  std::string out;
  kafka::writer w{out};
  w.i16(group_value_version);
  put_string(w, x.assignor);
  w.i32(x.group_epoch.value);
  w.i64(x.next_member);
  w.array_length(static_cast<int32_t>(x.members.size()));
  for (auto& m : x.members)
    put_member(w, m);
  return out;
}

caf::expected<record_key> decode_key(std::string_view key) {
  kafka::reader r{key};
  record_key out;
  kafka::offset_commit_key k;
  switch (kafka::decode_offsets_key(r, k)) {
    case kafka::offsets_key_kind::offset_commit:
      out.kind = key_kind::offset;
      out.group = std::move(k.group);
      out.tp = topic_partition{std::move(k.topic), partition_id{k.partition}};
      break;
    case kafka::offsets_key_kind::group_metadata:
      return bad_key(key, k.version,
                     corrupt("Kafka's group metadata key (version 2): not read"));
    case kafka::offsets_key_kind::unknown:
      if (!r.ok())
        return corrupt("a key without its version");
      if (k.version != group_key_version)
        return corrupt("unknown key version " + std::to_string(k.version));
      out.kind = key_kind::group;
      out.group = r.string();
      break;
  }
  if (!r.ok() || r.remaining() != 0)
    return bad_key(key, k.version, malformed("key", r));
  return out;
}

caf::expected<offset_record> decode_offset(std::string_view value) {
  kafka::reader r{value};
  kafka::offset_commit_value v;
  decode(r, v);
  if (!r.ok() || r.remaining() != 0) {
    if (v.version == old_offset_value_version && value.size() == old_offset_value_size)
      return corrupt("an offset value in cafka's layout from before Kafka's: not read");
    return malformed("offset value", r);
  }
  offset_record out;
  out.offset = log_offset{v.offset};
  out.commit_timestamp_ms = v.commit_timestamp;
  out.leader_epoch = leader_epoch{v.leader_epoch};
  out.metadata = std::move(v.metadata);
  return out;
}

caf::expected<group_record> decode_group(std::string_view value) {
  kafka::reader r{value};
  auto version = r.i16();
  if (r.ok() && version != group_value_version && version != group_value_version_actors)
    return corrupt("unknown group value version " + std::to_string(version));
  group_record out;
  out.assignor = get_string(r);
  out.group_epoch = member_epoch{r.i32()};
  out.next_member = r.i64();
  out.members.resize(get_count(r, 26));
  for (auto& m : out.members)
    get_member(r, version, m);
  if (!r.ok() || r.remaining() != 0)
    return malformed("group value", r);
  return out;
}

caf::error group_loader::apply(std::string_view key, std::optional<std::string_view> value) {
  auto k = decode_key(key);
  if (!k)
    return std::move(k.error());
  auto& g = groups_[k->group];
  if (k->kind == key_kind::offset) {
    if (!value) {
      g.offsets.erase(k->tp);
      return {};
    }
    auto v = decode_offset(*value);
    if (!v)
      return std::move(v.error());
    g.offsets[k->tp] = std::move(*v);
    return {};
  }
  if (!value) {
    g.state.reset();
    return {};
  }
  auto v = decode_group(*value);
  if (!v)
    return std::move(v.error());
  g.state = std::move(*v);
  return {};
}

} // namespace cafka::group
