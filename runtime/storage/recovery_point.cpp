#include "runtime/storage/recovery_point.hpp"

#include <fstream>
#include <iterator>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/base/errc.hpp"

namespace cafka {

namespace {

constexpr int16_t checkpoint_version = 1;

caf::error corrupt(const std::string& what) {
  return make_error(errc::corrupt_message, std::string{recovery_checkpoint_file} + ": " + what);
}

void write_point(durable::writer& w, const std::optional<recovery_point>& p) {
  w.boolean(p.has_value());
  if (!p)
    return;
  w.i64(p->segment_base.value);
  w.u64(p->position);
  w.i64(p->next_offset.value);
  w.u64(p->index_entries);
  w.u64(p->time_index_entries);
  w.i64(p->max_timestamp);
  w.boolean(p->last_batch.has_value());
  if (p->last_batch) {
    w.i64(p->last_batch->base.value);
    w.u64(p->last_batch->position);
  }
}

// False if a field breaks the grammar's rules (the reader's own errors are checked after).
bool read_point(durable::reader& r, std::optional<recovery_point>& out) {
  out.reset();
  if (!r.boolean())
    return true;
  recovery_point p;
  p.segment_base = log_offset{r.i64()};
  p.position = r.u64();
  p.next_offset = log_offset{r.i64()};
  p.index_entries = r.u64();
  p.time_index_entries = r.u64();
  p.max_timestamp = r.i64();
  if (r.boolean()) {
    batch_place b;
    b.base = log_offset{r.i64()};
    b.position = r.u64();
    p.last_batch = b;
  }
  if (!r.ok())
    return true;  // reported by the caller
  bool ok = p.segment_base >= log_offset{0} && p.next_offset >= p.segment_base
            && p.position <= 0xffffffffull && p.max_timestamp >= -1
            && p.index_entries <= p.position && p.time_index_entries <= p.position
            && p.last_batch.has_value() == (p.position > 0);
  if (ok && p.last_batch)
    ok = p.last_batch->position < p.position && p.last_batch->base >= p.segment_base
         && p.last_batch->base < p.next_offset;
  if (ok)
    out = p;
  return ok;
}

} // namespace

std::string serialize_recovery_checkpoint(const recovery_checkpoint& c) {
  std::string body;
  durable::writer w{body};
  w.string(c.boot_id);
  write_point(w, c.durable);
  write_point(w, c.written);
  return durable::seal(checkpoint_version, body);
}

caf::expected<recovery_checkpoint> parse_recovery_checkpoint(std::string_view bytes) {
  auto f = durable::open_frame(bytes);
  if (!f.complete)
    return corrupt("shorter than its header (" + std::to_string(bytes.size()) + " bytes)");
  if (f.version != checkpoint_version)
    return corrupt("version " + std::to_string(f.version) + " is unknown (this cafka reads "
                   + std::to_string(checkpoint_version) + ")");
  if (!f.crc_ok)
    return corrupt("CRC32C mismatch");
  durable::reader r{f.body};
  recovery_checkpoint c;
  c.boot_id = r.string();
  bool ok = read_point(r, c.durable) && read_point(r, c.written);
  r.expect_end();
  if (!r.ok())
    return corrupt(r.error());
  if (!ok)
    return corrupt("bad point");
  return c;
}

caf::expected<std::optional<recovery_checkpoint>>
load_recovery_checkpoint(storage::env& disk, const std::string& dir) {
  auto bytes = disk.read_file(dir + "/" + recovery_checkpoint_file);
  if (!bytes)
    return std::move(bytes.error());
  if (!*bytes)
    return std::optional<recovery_checkpoint>{};
  auto c = parse_recovery_checkpoint(**bytes);
  if (!c)
    return std::move(c.error());
  return std::optional<recovery_checkpoint>{std::move(*c)};
}

caf::error save_recovery_checkpoint(storage::env& disk, const std::string& dir,
                                    const recovery_checkpoint& c, bool durable) {
  auto path = dir + "/" + recovery_checkpoint_file;
  auto bytes = serialize_recovery_checkpoint(c);
  return durable ? disk.replace_file(path, bytes) : disk.replace_file_unsynced(path, bytes);
}

caf::error remove_recovery_checkpoint(storage::env& disk, const std::string& dir) {
  if (auto err = disk.remove(dir + "/" + recovery_checkpoint_file))
    return err;
  return disk.sync_dir(dir);
}

const std::string& current_boot_id() {
  static const std::string id = [] {
    std::ifstream in{"/proc/sys/kernel/random/boot_id"};
    std::string s{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
      s.pop_back();
    return s;
  }();
  return id;
}

} // namespace cafka
