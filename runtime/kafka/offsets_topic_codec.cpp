#include "runtime/kafka/offsets_topic_codec.hpp"

namespace cafka::kafka {

namespace {

// The first OffsetCommitValue version with compact strings and tagged fields.
constexpr int16_t first_flexible_value_version = 4;

} // namespace

offsets_key_kind decode_offsets_key(reader& r, offset_commit_key& out) {
  out.version = r.i16();
  if (!r.ok())
    return offsets_key_kind::unknown;
  switch (out.version) {
    case 0:
    case 1:
      out.group = r.string();
      out.topic = r.string();
      out.partition = r.i32();
      return offsets_key_kind::offset_commit;
    case group_metadata_key_version:
      out.group = r.string();
      return offsets_key_kind::group_metadata;
    default:
      return offsets_key_kind::unknown;
  }
}

void decode(reader& r, offset_commit_value& out) {
  out.version = r.i16();
  if (!r.ok())
    return;
  if (out.version < 0 || out.version > first_flexible_value_version) {
    r.fail("unknown offset commit value version");
    return;
  }
  bool flexible = out.version >= first_flexible_value_version;
  out.offset = r.i64();
  if (out.version >= 3)
    out.leader_epoch = r.i32();
  out.metadata = flexible ? r.compact_string() : r.string();
  out.commit_timestamp = r.i64();
  if (out.version == 1)
    out.expire_timestamp = r.i64();
  if (flexible)
    r.skip_tagged_fields();
}

void encode(writer& w, const offset_commit_key& x) {
  w.i16(x.version);
  w.string(x.group);
  w.string(x.topic);
  w.i32(x.partition);
}

void encode(writer& w, const offset_commit_value& x) {
  w.i16(x.version);
  w.i64(x.offset);
  if (x.version >= 3)
    w.i32(x.leader_epoch);
  w.string(x.metadata);
  w.i64(x.commit_timestamp);
  if (x.version == 1)
    w.i64(x.expire_timestamp);
}

} // namespace cafka::kafka
