#include "runtime/kafka/acl_codec.hpp"

#include <map>
#include <string_view>
#include <tuple>

#include "runtime/kafka/codec_arrays.hpp"

namespace cafka::kafka {

namespace {

using describe_resp = describe_acls_response;
using delete_resp = delete_acls_response;

// Smallest encoding of a filter or a binding, an array element of DeleteAcls and CreateAcls
// (v0: the type, three empty or null strings, the operation and the permission).
constexpr size_t min_filter_or_binding = 1 + 2 + 2 + 2 + 1 + 1;

// The model's enum of a wire code: the code itself when the model has it (unknown through
// `last`), otherwise unknown.
template <class Enum>
Enum enum_of(int8_t code, Enum last) {
  if (code < 0 || code > static_cast<int8_t>(last))
    return Enum::unknown;
  return static_cast<Enum>(code);
}

acl_resource_type resource_type_of(int8_t code) {
  return enum_of(code, acl_resource_type::cluster);
}
acl_pattern_type pattern_type_of(int8_t code) {
  return enum_of(code, acl_pattern_type::prefixed);
}
acl_operation operation_of(int8_t code) {
  return enum_of(code, acl_operation::idempotent_write);
}
acl_permission permission_of(int8_t code) {
  return enum_of(code, acl_permission::allow);
}

template <class Enum>
int8_t code_of(Enum x) {
  return static_cast<int8_t>(x);
}

void read_filter(reader& r, int16_t version, acl_filter_fields& f) {
  f.resource_type_filter = r.i8();
  f.resource_name_filter = r.nullable_string();
  if (version >= 1)
    f.pattern_type_filter = r.i8();
  f.principal_filter = r.nullable_string();
  f.host_filter = r.nullable_string();
  f.operation = r.i8();
  f.permission_type = r.i8();
}

void read_binding(reader& r, int16_t version, acl_binding_fields& b) {
  b.resource_type = r.i8();
  b.resource_name = r.string();
  if (version >= 1)
    b.pattern_type = r.i8();
  b.principal = r.string();
  b.host = r.string();
  b.operation = r.i8();
  b.permission_type = r.i8();
}

void write_binding(writer& w, int16_t version, const acl_binding_fields& b) {
  w.i8(b.resource_type);
  w.string(b.resource_name);
  if (version >= 1)
    w.i8(b.pattern_type);
  w.string(b.principal);
  w.string(b.host);
  w.i8(b.operation);
  w.i8(b.permission_type);
}

void write_acl_description(writer& w, const describe_resp::acl_description& a) {
  w.string(a.principal);
  w.string(a.host);
  w.i8(a.operation);
  w.i8(a.permission_type);
}

void write_describe_resource(writer& w, int16_t version,
                             const describe_resp::describe_acls_resource& x) {
  w.i8(x.resource_type);
  w.string(x.resource_name);
  if (version >= 1)
    w.i8(x.pattern_type);
  write_array(w, x.acls, write_acl_description);
}

void write_matching_acl(writer& w, int16_t version, const delete_resp::matching_acl& m) {
  w.i16(m.error_code);
  w.nullable_string(m.error_message);
  write_binding(w, version, m.acl);
}

void write_filter_result(writer& w, int16_t version, const delete_resp::filter_result& x) {
  w.i16(x.error_code);
  w.nullable_string(x.error_message);
  write_array(w, x.matching_acls,
              [version](writer& out, const auto& m) { write_matching_acl(out, version, m); });
}

} // namespace

void decode(reader& r, int16_t version, describe_acls_request& out) {
  read_filter(r, version, out.filter);
}

void decode(reader& r, int16_t version, create_acls_request& out) {
  read_array(r, min_filter_or_binding, out.creations,
             [version](reader& in, auto& b) { read_binding(in, version, b); });
}

void decode(reader& r, int16_t version, delete_acls_request& out) {
  read_array(r, min_filter_or_binding, out.filters,
             [version](reader& in, auto& f) { read_filter(in, version, f); });
}

void encode(writer& w, int16_t version, const describe_acls_response& x) {
  w.i32(x.throttle_time_ms);
  w.i16(x.error_code);
  w.nullable_string(x.error_message);
  write_array(w, x.resources, [version](writer& out, const auto& res) {
    write_describe_resource(out, version, res);
  });
}

void encode(writer& w, int16_t, const create_acls_response& x) {
  w.i32(x.throttle_time_ms);
  write_array(w, x.results, [](writer& out, const auto& res) {
    out.i16(res.error_code);
    out.nullable_string(res.error_message);
  });
}

void encode(writer& w, int16_t version, const delete_acls_response& x) {
  w.i32(x.throttle_time_ms);
  write_array(w, x.filter_results, [version](writer& out, const auto& res) {
    write_filter_result(out, version, res);
  });
}

acl_filter to_filter(const acl_filter_fields& f) {
  acl_filter out;
  out.resource_type = resource_type_of(f.resource_type_filter);
  out.resource_name = f.resource_name_filter;
  out.pattern_type = pattern_type_of(f.pattern_type_filter);
  out.principal = f.principal_filter;
  out.host = f.host_filter;
  out.operation = operation_of(f.operation);
  out.permission = permission_of(f.permission_type);
  return out;
}

acl_binding to_binding(const acl_binding_fields& f) {
  acl_binding out;
  out.resource_type = resource_type_of(f.resource_type);
  out.resource_name = f.resource_name;
  out.pattern_type = pattern_type_of(f.pattern_type);
  out.principal = f.principal;
  out.host = f.host;
  out.operation = operation_of(f.operation);
  out.permission = permission_of(f.permission_type);
  return out;
}

acl_binding_fields to_fields(const acl_binding& b) {
  return {code_of(b.resource_type), b.resource_name, code_of(b.pattern_type), b.principal,
          b.host, code_of(b.operation), code_of(b.permission)};
}

std::vector<describe_resp::describe_acls_resource>
to_describe_resources(const std::vector<acl_binding>& bindings) {
  std::vector<describe_resp::describe_acls_resource> out;
  // (resource type, pattern type, name) -> the group's index in `out`.
  std::map<std::tuple<int8_t, int8_t, std::string_view>, size_t> index;
  for (const auto& b : bindings) {
    auto rt = code_of(b.resource_type);
    auto pt = code_of(b.pattern_type);
    auto [it, added] = index.try_emplace({rt, pt, b.resource_name}, out.size());
    if (added)
      out.push_back({rt, b.resource_name, pt, {}});
    out[it->second].acls.push_back(
      {b.principal, b.host, code_of(b.operation), code_of(b.permission)});
  }
  return out;
}

} // namespace cafka::kafka
