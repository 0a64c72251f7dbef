#include "runtime/group/group_records.hpp"

#include "runtime/base/errc.hpp"
#include "runtime/protocol/murmur2.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka::group {

namespace {

constexpr int16_t group_value_version = 1;
constexpr int16_t offset_value_version = 1;

// -- writing ----------------------------------------------------------------------------------

class writer {
public:
  void i8(bool x) { out_.push_back(x ? 1 : 0); }
  void i16(int16_t x) { put<uint16_t>(static_cast<uint16_t>(x)); }
  void i32(int32_t x) { put<uint32_t>(static_cast<uint32_t>(x)); }
  void i64(int64_t x) { put<uint64_t>(static_cast<uint64_t>(x)); }
  void str(const std::string& s) {
    i32(static_cast<int32_t>(s.size()));
    out_ += s;
  }
  void tp(const topic_partition& x) {
    str(x.topic);
    i32(x.partition.value);
  }
  template <class T, class F>
  void list(const std::vector<T>& xs, F each) {
    i32(static_cast<int32_t>(xs.size()));
    for (auto& x : xs)
      each(x);
  }
  std::string take() { return std::move(out_); }

private:
  template <class U>
  void put(U x) {
    char buf[sizeof(U)];
    if constexpr (sizeof(U) == 2)
      wire::store_be16(buf, x);
    else if constexpr (sizeof(U) == 4)
      wire::store_be32(buf, x);
    else
      wire::store_be64(buf, x);
    out_.append(buf, sizeof(U));
  }
  std::string out_;
};

// -- reading (bounds-checked; the first failure sticks) ----------------------------------------

class reader {
public:
  explicit reader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }

  bool i8() {
    if (!need(1))
      return false;
    return in_[pos_++] != 0;
  }
  int16_t i16() {
    if (!need(2))
      return 0;
    auto x = wire::load_be16(in_.data() + pos_);
    pos_ += 2;
    return static_cast<int16_t>(x);
  }
  int32_t i32() {
    if (!need(4))
      return 0;
    auto x = wire::load_be32(in_.data() + pos_);
    pos_ += 4;
    return static_cast<int32_t>(x);
  }
  int64_t i64() {
    if (!need(8))
      return 0;
    auto x = wire::load_be64(in_.data() + pos_);
    pos_ += 8;
    return static_cast<int64_t>(x);
  }
  std::string str() {
    auto n = i32();
    if (n < 0 || !need(static_cast<size_t>(n))) {
      ok_ = false;
      return {};
    }
    std::string s{in_.substr(pos_, static_cast<size_t>(n))};
    pos_ += static_cast<size_t>(n);
    return s;
  }
  topic_partition tp() {
    topic_partition x;
    x.topic = str();
    x.partition = partition_id{i32()};
    return x;
  }
  // A count that cannot exceed what is left (each element takes at least `min` bytes).
  size_t count(size_t min) {
    auto n = i32();
    if (n < 0 || static_cast<size_t>(n) * min > in_.size() - pos_) {
      ok_ = false;
      return 0;
    }
    return static_cast<size_t>(n);
  }

private:
  bool need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n)
      ok_ = false;
    return ok_;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

caf::error corrupt(const char* what) {
  return make_error(errc::corrupt_message, std::string{"__consumer_offsets: "} + what);
}

std::vector<topic_partition> read_tps(reader& r) {
  std::vector<topic_partition> out(r.count(8));
  for (auto& x : out)
    x = r.tp();
  return out;
}

} // namespace

int32_t partition_for_group(const std::string& group, int32_t partitions) {
  return (murmur2(group.data(), group.size()) & 0x7fffffff) % partitions;
}

std::string offset_key(const std::string& group, const topic_partition& tp) {
  writer w;
  w.i16(static_cast<int16_t>(key_kind::offset));
  w.str(group);
  w.tp(tp);
  return w.take();
}

std::string group_key(const std::string& group) {
  writer w;
  w.i16(static_cast<int16_t>(key_kind::group));
  w.str(group);
  return w.take();
}

std::string encode(const offset_record& x) {
  writer w;
  w.i16(offset_value_version);
  w.i64(x.offset);
  w.i64(x.commit_timestamp_ms);
  w.i32(x.member_epoch);
  return w.take();
}

std::string encode(const group_record& x) {
  writer w;
  w.i16(group_value_version);
  w.str(x.assignor);
  w.i32(x.group_epoch);
  w.i64(x.next_member);
  auto tps = [&](const std::vector<topic_partition>& xs) {
    w.list(xs, [&](const topic_partition& tp) { w.tp(tp); });
  };
  w.list(x.members, [&](const member_record& m) {
    w.str(m.member_id);
    w.str(m.instance_id);
    w.i32(m.epoch);
    w.i32(m.previous_epoch);
    w.i8(m.acked);
    w.i8(m.left_for_now);
    w.list(m.topics, [&](const std::string& t) { w.str(t); });
    tps(m.reported);
    tps(m.told);
  });
  return w.take();
}

caf::expected<record_key> decode_key(std::string_view key) {
  reader r{key};
  record_key out;
  auto kind = r.i16();
  out.group = r.str();
  if (kind == static_cast<int16_t>(key_kind::offset)) {
    out.kind = key_kind::offset;
    out.tp = r.tp();
  } else if (kind == static_cast<int16_t>(key_kind::group)) {
    out.kind = key_kind::group;
  } else if (r.ok()) {
    return corrupt("unknown key type");
  }
  if (!r.done())
    return corrupt("malformed key");
  return out;
}

caf::expected<offset_record> decode_offset(std::string_view value) {
  reader r{value};
  if (r.i16() != offset_value_version)
    return corrupt("unknown offset value version");
  offset_record out;
  out.offset = r.i64();
  out.commit_timestamp_ms = r.i64();
  out.member_epoch = r.i32();
  if (!r.done())
    return corrupt("malformed offset value");
  return out;
}

caf::expected<group_record> decode_group(std::string_view value) {
  reader r{value};
  if (r.i16() != group_value_version)
    return corrupt("unknown group value version");
  group_record out;
  out.assignor = r.str();
  out.group_epoch = r.i32();
  out.next_member = r.i64();
  out.members.resize(r.count(26));
  for (auto& m : out.members) {
    m.member_id = r.str();
    m.instance_id = r.str();
    m.epoch = r.i32();
    m.previous_epoch = r.i32();
    m.acked = r.i8();
    m.left_for_now = r.i8();
    m.topics.resize(r.count(4));
    for (auto& t : m.topics)
      t = r.str();
    m.reported = read_tps(r);
    m.told = read_tps(r);
  }
  if (!r.done())
    return corrupt("malformed group value");
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
    g.offsets[k->tp] = *v;
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
