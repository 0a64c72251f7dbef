#include "runtime/cluster/metadata_command.hpp"

#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/cluster/metadata_encoding.hpp"

namespace cafka {

// The field lists of the commands, format 6 (metadata_encoding.hpp has those of the types
// they carry). Format history: 1: register / fence / unfence without `unclean`, kinds 0-4.
// 2: with it, plus kinds 5-7. 3: brokers carry their Kafka listeners; register carries the
// cluster id. 4: the access commands, kinds 8-11. 5: create_topic carries the topic's
// configs; kinds 12-13 (topic configs, partitions). 6: kinds 14-15 (moves, decommission).
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, register_broker_cmd> x) {
  io(x.broker, x.unclean, x.cluster_id);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, fence_broker_cmd> x) {
  io(x.id, x.incarnation, x.controlled, x.unclean);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, unfence_broker_cmd> x) {
  io(x.id, x.incarnation, x.unclean);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, create_topic_cmd> x) {
  io(x.req, x.req.configs);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, delete_topic_cmd> x) {
  io(x.name);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, alter_isr_cmd> x) {
  io(x.req);
}
template <class Io>
void durable_fields(Io&, durable::field_ref<Io, allocate_producer_id_cmd>) {
}
template <class Io>
void durable_fields(Io&, durable::field_ref<Io, elect_preferred_cmd>) {
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, upsert_credential_cmd> x) {
  io(x.credential);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, delete_credential_cmd> x) {
  io(x.user, x.mechanism);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, create_acls_cmd> x) {
  io(x.bindings);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, delete_acls_cmd> x) {
  io(x.filters);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, alter_topic_configs_cmd> x) {
  io(x.req);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, create_partitions_cmd> x) {
  io(x.req);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, alter_reassignments_cmd> x) {
  io(x.req);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, decommission_broker_cmd> x) {
  io(x.req);
}

namespace {

constexpr uint8_t command_format_v5 = 5;
// The kinds format 5 knows.
constexpr uint8_t last_kind_v5 = 13;
constexpr uint8_t command_format_v4 = 4;
// The kinds format 4 knows.
constexpr uint8_t last_kind_v4 = 11;
constexpr uint8_t command_format_v3 = 3;
constexpr uint8_t command_format_v2 = 2;
// The kinds formats 2 and 3 know (format 1's are in read_v1).
constexpr uint8_t last_kind_v3 = 7;
constexpr uint8_t command_format_v1 = 1;

// A broker as formats 1 and 2 encode it (no listeners).
void read_broker_v2(durable::reader& r, broker_metadata& b) {
  r(b.id, b.host, b.port, b.alive, b.incarnation);
}

template <size_t I = 0>
bool read_alternative(uint8_t kind, durable::reader& r, metadata_command& out) {
  if constexpr (I < std::variant_size_v<metadata_command>) {
    if (kind != I)
      return read_alternative<I + 1>(kind, r, out);
    std::variant_alternative_t<I, metadata_command> cmd;
    r(cmd);
    out = std::move(cmd);
    return true;
  } else {
    return false;
  }
}

// Format 5: as format 6, without the moves.
bool read_v5(uint8_t kind, durable::reader& r, metadata_command& out) {
  return kind <= last_kind_v5 && read_alternative(kind, r, out);
}

// Format 4: as format 5, without topic configs (create_topic carries none) and their kinds.
bool read_v4(uint8_t kind, durable::reader& r, metadata_command& out) {
  if (kind != 3)
    return kind <= last_kind_v4 && read_alternative(kind, r, out);
  create_topic_cmd cmd;
  r(cmd.req);
  out = std::move(cmd);
  return true;
}

// Format 3: as format 4, without the access commands.
bool read_v3(uint8_t kind, durable::reader& r, metadata_command& out) {
  return kind <= last_kind_v3 && read_v4(kind, r, out);
}

// Format 2: as format 3, but register carries a broker without listeners and no cluster id.
bool read_v2(uint8_t kind, durable::reader& r, metadata_command& out) {
  if (kind != 0)
    return read_v3(kind, r, out);
  register_broker_cmd cmd;
  read_broker_v2(r, cmd.broker);
  r(cmd.unclean);
  out = std::move(cmd);
  return true;
}

// Format 1: the five commands of that time, without `unclean`.
bool read_v1(uint8_t kind, durable::reader& r, metadata_command& out) {
  switch (kind) {
    case 0: {
      register_broker_cmd cmd;
      read_broker_v2(r, cmd.broker);
      out = std::move(cmd);
      return true;
    }
    case 1: {
      fence_broker_cmd cmd;
      r(cmd.id, cmd.incarnation, cmd.controlled);
      out = std::move(cmd);
      return true;
    }
    case 2: {
      unfence_broker_cmd cmd;
      r(cmd.id, cmd.incarnation);
      out = std::move(cmd);
      return true;
    }
    case 3:
      return read_v4(kind, r, out);
    case 4:
      return read_alternative(kind, r, out);
    default:
      return false;
  }
}

caf::error corrupt(const std::string& what) {
  return make_error(errc::corrupt_message, "metadata command: " + what);
}

} // namespace

std::string encode(const metadata_command& cmd) {
  std::string out;
  durable::writer w{out};
  w.u8(command_format);
  w.u8(static_cast<uint8_t>(cmd.index()));
  std::visit([&](const auto& x) { w(x); }, cmd);
  return out;
}

caf::expected<metadata_command> decode_command(std::string_view bytes) {
  durable::reader r{bytes};
  auto format = r.u8();
  auto kind = r.u8();
  if (!r.ok())
    return corrupt(r.error());
  if (format < command_format_v1 || format > command_format)
    return corrupt("format " + std::to_string(format) + " is unknown (this cafka reads 1 to "
                   + std::to_string(command_format) + ")");
  metadata_command out;
  bool known = format == command_format      ? read_alternative(kind, r, out)
               : format == command_format_v5 ? read_v5(kind, r, out)
               : format == command_format_v4 ? read_v4(kind, r, out)
               : format == command_format_v3 ? read_v3(kind, r, out)
               : format == command_format_v2 ? read_v2(kind, r, out)
                                             : read_v1(kind, r, out);
  auto where = "format " + std::to_string(format) + ", kind " + std::to_string(kind);
  if (!known)
    return corrupt(where + " is unknown");
  r.expect_end();
  if (!r.ok())
    return corrupt(where + ": " + r.error());
  return out;
}

std::string describe_command(const metadata_command& cmd) {
  struct visitor {
    std::string operator()(const register_broker_cmd& x) const {
      return "register_broker " + to_string(x.broker.id) + " (incarnation "
             + std::to_string(x.broker.incarnation) + ")" + unclean(x.unclean);
    }
    std::string operator()(const fence_broker_cmd& x) const {
      return std::string{x.controlled ? "shutdown_broker " : "fence_broker "}
             + to_string(x.id) + unclean(x.unclean);
    }
    std::string operator()(const unfence_broker_cmd& x) const {
      return "unfence_broker " + to_string(x.id) + unclean(x.unclean);
    }
    std::string operator()(const alter_isr_cmd& x) const {
      std::string isr;
      for (auto r : x.req.isr)
        isr += (isr.empty() ? "" : ",") + to_string(r);
      return "alter_isr " + x.req.tp.topic + "-" + to_string(x.req.tp.partition)
             + " [" + isr + "]";
    }
    std::string operator()(const allocate_producer_id_cmd&) const {
      return "allocate_producer_id";
    }
    std::string operator()(const elect_preferred_cmd&) const {
      return "elect_preferred_leaders";
    }
    static std::string unclean(bool on) { return on ? " (unclean election on)" : ""; }
    std::string operator()(const create_topic_cmd& x) const {
      return "create_topic " + x.req.name;
    }
    std::string operator()(const delete_topic_cmd& x) const {
      return "delete_topic " + x.name;
    }
    std::string operator()(const upsert_credential_cmd& x) const {
      return "upsert_credential " + x.credential.user + " "
             + to_string(x.credential.mechanism);
    }
    std::string operator()(const delete_credential_cmd& x) const {
      return "delete_credential " + x.user + " " + to_string(x.mechanism);
    }
    std::string operator()(const create_acls_cmd& x) const {
      return "create_acls (" + std::to_string(x.bindings.size()) + ")";
    }
    std::string operator()(const alter_topic_configs_cmd& x) const {
      return "alter_topic_configs " + x.req.topic + " (" + std::to_string(x.req.ops.size())
             + " change(s))";
    }
    std::string operator()(const create_partitions_cmd& x) const {
      return "create_partitions " + x.req.topic + " to " + std::to_string(x.req.count);
    }
    std::string operator()(const delete_acls_cmd& x) const {
      return "delete_acls (" + std::to_string(x.filters.size()) + " filter(s))";
    }
    std::string operator()(const alter_reassignments_cmd& x) const {
      return "alter_reassignments (" + std::to_string(x.req.partitions.size())
             + " partition(s))";
    }
    std::string operator()(const decommission_broker_cmd& x) const {
      return std::string{x.req.cancel ? "recommission_broker " : "decommission_broker "}
             + to_string(x.req.id);
    }
  };
  return std::visit(visitor{}, cmd);
}

} // namespace cafka
