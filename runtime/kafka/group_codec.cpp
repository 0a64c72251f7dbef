#include "runtime/kafka/group_codec.hpp"

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

// Smallest encodings of one array element (empty strings and bytes).
constexpr size_t min_protocol = 2 + 4;
constexpr size_t min_assignment = 2 + 4;
constexpr size_t min_member_identity = 2 + 2;

std::string owned_bytes(reader& r) {
  return std::string{r.bytes()};
}

void write_throttle(writer& w, int16_t version, int16_t first_version, int32_t ms) {
  if (version >= first_version)
    w.i32(ms);
}

void write_join_member(writer& w, int16_t version,
                       const join_group_response::join_group_response_member& m) {
  w.string(m.member_id);
  if (version >= 5)
    w.nullable_string(m.group_instance_id);
  w.bytes(m.metadata);
}

void write_described_member(writer& w, int16_t version,
                            const describe_groups_response::described_group_member& m) {
  w.string(m.member_id);
  if (version >= 4)
    w.nullable_string(m.group_instance_id);
  w.string(m.client_id);
  w.string(m.client_host);
  w.bytes(m.member_metadata);
  w.bytes(m.member_assignment);
}

void write_described_group(writer& w, int16_t version,
                           const describe_groups_response::described_group& g) {
  w.i16(g.error_code);
  w.string(g.group_id);
  w.string(g.group_state);
  w.string(g.protocol_type);
  w.string(g.protocol_data);
  write_array(w, g.members, [version](writer& out, const auto& m) {
    write_described_member(out, version, m);
  });
  if (version >= 3)
    w.i32(g.authorized_operations);
}

} // namespace

void decode(reader& r, int16_t version, find_coordinator_request& out) {
  out.key = r.string();
  if (version >= 1)
    out.key_type = r.i8();
}

void decode(reader& r, int16_t version, join_group_request& out) {
  out.group_id = r.string();
  out.session_timeout_ms = r.i32();
  if (version >= 1)
    out.rebalance_timeout_ms = r.i32();
  out.member_id = r.string();
  if (version >= 5)
    out.group_instance_id = r.nullable_string();
  out.protocol_type = r.string();
  read_array(r, min_protocol, out.protocols, [](reader& in, auto& p) {
    p.name = in.string();
    p.metadata = owned_bytes(in);
  });
}

void decode(reader& r, int16_t version, sync_group_request& out) {
  out.group_id = r.string();
  out.generation_id = r.i32();
  out.member_id = r.string();
  if (version >= 3)
    out.group_instance_id = r.nullable_string();
  read_array(r, min_assignment, out.assignments, [](reader& in, auto& a) {
    a.member_id = in.string();
    a.assignment = owned_bytes(in);
  });
}

void decode(reader& r, int16_t version, heartbeat_request& out) {
  out.group_id = r.string();
  out.generation_id = r.i32();
  out.member_id = r.string();
  if (version >= 3)
    out.group_instance_id = r.nullable_string();
}

void decode(reader& r, int16_t version, leave_group_request& out) {
  out.group_id = r.string();
  if (version <= 2) {
    out.member_id = r.string();
    out.members = {{out.member_id, std::nullopt}};
    return;
  }
  read_array(r, min_member_identity, out.members, [](reader& in, auto& m) {
    m.member_id = in.string();
    m.group_instance_id = in.nullable_string();
  });
}

void decode(reader&, int16_t, list_groups_request&) {
  // No fields before v4.
}

void decode(reader& r, int16_t version, describe_groups_request& out) {
  read_string_array(r, out.groups);
  if (version >= 3)
    out.include_authorized_operations = r.boolean();
}

void encode(writer& w, int16_t version, const find_coordinator_response& x) {
  write_throttle(w, version, 1, x.throttle_time_ms);
  w.i16(x.error_code);
  if (version >= 1)
    w.nullable_string(x.error_message);
  w.i32(x.node_id);
  w.string(x.host);
  w.i32(x.port);
}

void encode(writer& w, int16_t version, const join_group_response& x) {
  write_throttle(w, version, 2, x.throttle_time_ms);
  w.i16(x.error_code);
  w.i32(x.generation_id);
  w.string(x.protocol_name);
  w.string(x.leader);
  w.string(x.member_id);
  write_array(w, x.members,
              [version](writer& out, const auto& m) { write_join_member(out, version, m); });
}

void encode(writer& w, int16_t version, const sync_group_response& x) {
  write_throttle(w, version, 1, x.throttle_time_ms);
  w.i16(x.error_code);
  w.bytes(x.assignment);
}

void encode(writer& w, int16_t version, const heartbeat_response& x) {
  write_throttle(w, version, 1, x.throttle_time_ms);
  w.i16(x.error_code);
}

void encode(writer& w, int16_t version, const leave_group_response& x) {
  write_throttle(w, version, 1, x.throttle_time_ms);
  w.i16(x.error_code);
  if (version < 3)
    return;
  write_array(w, x.members, [](writer& out, const auto& m) {
    out.string(m.member_id);
    out.nullable_string(m.group_instance_id);
    out.i16(m.error_code);
  });
}

void encode(writer& w, int16_t version, const list_groups_response& x) {
  write_throttle(w, version, 1, x.throttle_time_ms);
  w.i16(x.error_code);
  write_array(w, x.groups, [](writer& out, const auto& g) {
    out.string(g.group_id);
    out.string(g.protocol_type);
  });
}

void encode(writer& w, int16_t version, const describe_groups_response& x) {
  write_throttle(w, version, 1, x.throttle_time_ms);
  write_array(w, x.groups,
              [version](writer& out, const auto& g) { write_described_group(out, version, g); });
}

} // namespace cafka::kafka
