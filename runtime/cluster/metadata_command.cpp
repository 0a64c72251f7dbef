#include "runtime/cluster/metadata_command.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

// Format version of the encoding; bump when a command's fields change.
constexpr uint8_t command_format = 1;

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
  if (format != command_format)
    return make_error(errc::corrupt_message,
                      "metadata command format " + std::to_string(format) + " is unknown");
  metadata_command out;
  if (auto err = decode_alternative(kind, src, out))
    return make_error(errc::corrupt_message, "malformed metadata command");
  if (src.remaining() != 0)
    return make_error(errc::corrupt_message, "trailing bytes after a metadata command");
  return out;
}

std::string describe_command(const metadata_command& cmd) {
  struct visitor {
    std::string operator()(const register_broker_cmd& x) const {
      return "register_broker " + std::to_string(x.broker.id.value) + " (incarnation "
             + std::to_string(x.broker.incarnation) + ")";
    }
    std::string operator()(const fence_broker_cmd& x) const {
      return std::string{x.controlled ? "shutdown_broker " : "fence_broker "}
             + std::to_string(x.id.value);
    }
    std::string operator()(const unfence_broker_cmd& x) const {
      return "unfence_broker " + std::to_string(x.id.value);
    }
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
