#include "runtime/replication/hw_checkpoint.hpp"

#include <cassert>
#include <cstdint>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/base/errc.hpp"
#include "runtime/storage/env.hpp"

namespace cafka {

namespace {

constexpr int16_t checkpoint_version = 1;

caf::error corrupt(const std::string& what) {
  return make_error(errc::corrupt_message, std::string{hw_checkpoint_file} + ": " + what);
}

} // namespace

std::string serialize_hw_checkpoint(log_offset hw) {
  assert(hw >= log_offset{0});
  std::string body;
  durable::writer w{body};
  w.i64(hw.value);
  return durable::seal(checkpoint_version, body);
}

caf::expected<log_offset> parse_hw_checkpoint(std::string_view bytes) {
  auto f = durable::open_frame(bytes);
  if (!f.complete)
    return corrupt("shorter than its header (" + std::to_string(bytes.size()) + " bytes)");
  if (f.version != checkpoint_version)
    return corrupt("version " + std::to_string(f.version) + " is unknown (this cafka reads "
                   + std::to_string(checkpoint_version) + ")");
  if (!f.crc_ok)
    return corrupt("CRC32C mismatch");
  durable::reader r{f.body};
  auto hw = r.i64();
  r.expect_end();
  if (!r.ok())
    return corrupt(r.error());
  if (hw < 0)
    return corrupt("negative high watermark " + std::to_string(hw));
  return log_offset{hw};
}

caf::error save_hw_checkpoint(storage::env& disk, const std::string& dir, log_offset hw) {
  return disk.replace_file(dir + "/" + hw_checkpoint_file, serialize_hw_checkpoint(hw));
}

caf::expected<std::optional<log_offset>> load_hw_checkpoint(storage::env& disk,
                                                            const std::string& dir) {
  auto bytes = disk.read_file(dir + "/" + hw_checkpoint_file);
  if (!bytes)
    return std::move(bytes.error());
  if (!*bytes)
    return std::optional<log_offset>{};
  auto hw = parse_hw_checkpoint(**bytes);
  if (!hw)
    return std::move(hw.error());
  return std::optional<log_offset>{*hw};
}

} // namespace cafka
