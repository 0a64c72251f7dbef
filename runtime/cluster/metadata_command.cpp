#include "runtime/cluster/metadata_command.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

// Format version of the encoding; bump when a command's fields change.
// 1: register / fence / unfence without `unclean`. 2: with it, plus kinds 5-7.
// 3: brokers carry their Kafka listeners; register carries the cluster id.
constexpr uint8_t command_format = 3;
constexpr uint8_t command_format_v2 = 2;
constexpr uint8_t command_format_v1 = 1;

// A broker as formats 1 and 2 encode it (no listeners).
caf::error decode_broker_v2(caf::binary_deserializer& src, broker_metadata& b) {
  return src(b.id, b.host, b.port, b.alive, b.incarnation);
}

// Format 1: the fields of the five commands of that time, unclean = false.
caf::error decode_v1(uint8_t kind, caf::binary_deserializer& src, metadata_command& out) {
  switch (kind) {
    case 0: {
      register_broker_cmd cmd;
      if (auto err = decode_broker_v2(src, cmd.broker))
        return err;
      out = std::move(cmd);
      return {};
    }
    case 1: {
      fence_broker_cmd cmd;
      if (auto err = src(cmd.id, cmd.incarnation, cmd.controlled))
        return err;
      out = std::move(cmd);
      return {};
    }
    case 2: {
      unfence_broker_cmd cmd;
      if (auto err = src(cmd.id, cmd.incarnation))
        return err;
      out = std::move(cmd);
      return {};
    }
    case 3: {
      create_topic_cmd cmd;
      if (auto err = src(cmd))
        return err;
      out = std::move(cmd);
      return {};
    }
    case 4: {
      delete_topic_cmd cmd;
      if (auto err = src(cmd))
        return err;
      out = std::move(cmd);
      return {};
    }
    default:
      return make_error(errc::corrupt_message,
                        "unknown metadata command kind " + std::to_string(kind));
  }
}

template <size_t I = 0>
caf::error decode_alternative(uint8_t kind, caf::binary_deserializer& src,
                              metadata_command& out) {
  if constexpr (I < std::variant_size_v<metadata_command>) {
    if (kind == I) {
      std::variant_alternative_t<I, metadata_command> cmd;
      if (auto err = src(cmd))
        return err;
      out = std::move(cmd);
      return {};
    }
    return decode_alternative<I + 1>(kind, src, out);
  } else {
    return make_error(errc::corrupt_message,
                      "unknown metadata command kind " + std::to_string(kind));
  }
}

// Format 2: as format 3 but register carries a broker without listeners and no cluster id.
caf::error decode_v2(uint8_t kind, caf::binary_deserializer& src, metadata_command& out) {
  if (kind != 0)
    return decode_alternative(kind, src, out);
  register_broker_cmd cmd;
  if (auto err = decode_broker_v2(src, cmd.broker))
    return err;
  if (auto err = src(cmd.unclean))
    return err;
  out = std::move(cmd);
  return {};
}

} // namespace

std::string encode(const metadata_command& cmd) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  auto kind = static_cast<uint8_t>(cmd.index());
  auto format = command_format;
  auto err = sink(format, kind);
  std::visit([&](const auto& x) {
    auto copy = x; // inspect() takes a mutable reference
    if (!err)
      err = sink(copy);
  }, cmd);
  // Requires: encoding into memory cannot fail for these plain types.
  return std::string{buf.begin(), buf.end()};
}

caf::expected<metadata_command> decode_command(std::string_view bytes) {
  caf::binary_deserializer src{nullptr, bytes.data(), bytes.size()};
  uint8_t format = 0;
  uint8_t kind = 0;
  if (auto err = src(format, kind))
    return make_error(errc::corrupt_message, "truncated metadata command");
  metadata_command out;
  caf::error err;
  if (format == command_format)
    err = decode_alternative(kind, src, out);
  else if (format == command_format_v2)
    err = decode_v2(kind, src, out);
  else if (format == command_format_v1)
    err = decode_v1(kind, src, out);
  else
    return make_error(errc::corrupt_message,
                      "metadata command format " + std::to_string(format) + " is unknown");
  if (err)
    return make_error(errc::corrupt_message, "malformed metadata command");
  if (src.remaining() != 0)
    return make_error(errc::corrupt_message, "trailing bytes after a metadata command");
  return out;
}

std::string describe_command(const metadata_command& cmd) {
  struct visitor {
    std::string operator()(const register_broker_cmd& x) const {
      return "register_broker " + std::to_string(x.broker.id.value) + " (incarnation "
             + std::to_string(x.broker.incarnation) + ")" + unclean(x.unclean);
    }
    std::string operator()(const fence_broker_cmd& x) const {
      return std::string{x.controlled ? "shutdown_broker " : "fence_broker "}
             + std::to_string(x.id.value) + unclean(x.unclean);
    }
    std::string operator()(const unfence_broker_cmd& x) const {
      return "unfence_broker " + std::to_string(x.id.value) + unclean(x.unclean);
    }
    std::string operator()(const alter_isr_cmd& x) const {
      std::string isr;
      for (auto r : x.req.isr)
        isr += (isr.empty() ? "" : ",") + std::to_string(r.value);
      return "alter_isr " + x.req.tp.topic + "-" + std::to_string(x.req.tp.partition.value)
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
  };
  return std::visit(visitor{}, cmd);
}

} // namespace cafka
