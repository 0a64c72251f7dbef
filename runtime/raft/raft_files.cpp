#include "runtime/raft/raft_files.hpp"

#include <cassert>

#include "runtime/base/durable_file.hpp"
#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/protocol/crc32c.hpp"

namespace cafka::raft {

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, snapshot_descriptor> x) {
  io(x.index, x.term);
}

namespace files {

constexpr std::string_view log_magic = "rlog";

// The fields of a log record's payload before its data.
struct entry_head {
  raft_term term;
  raft_index index;
  uint8_t kind = 0;
};

template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, vote_record> x) {
  io(x.term, x.voted_for);
}
template <class Io>
void durable_fields(Io& io, durable::field_ref<Io, entry_head> x) {
  io(x.term, x.index, x.kind);
}
std::string encode_vote(const vote_record& v) {
  std::string out;
  durable::writer w{out};
  w.u8(vote_version);
  w(v);
  w.u32(crc32c(out.data(), out.size()));
  assert(out.size() == vote_file_size);  // internal: the fields have fixed sizes
  return out;
}

vote_record decode_vote(std::string_view bytes, std::string& why) {
  if (bytes.size() != vote_file_size) {
    why = "size " + std::to_string(bytes.size()) + ", expected "
          + std::to_string(vote_file_size);
    return {};
  }
  durable::reader r{bytes};
  auto version = r.u8();
  vote_record v;
  r(v);
  auto crc = r.u32();
  if (crc != crc32c(bytes.data(), vote_file_size - 4)) {
    why = "CRC mismatch";
    return {};
  }
  if (version != vote_version) {
    why = "unknown version " + std::to_string(version);
    return {};
  }
  return v;
}

std::string log_header() {
  std::string out;
  durable::writer w{out};
  w.raw(log_magic);
  w.u16(log_version);
  return out;
}

log_start classify_log(std::string_view bytes, std::string& why) {
  auto header = log_header();
  if (bytes.size() < log_header_size && header.compare(0, bytes.size(), bytes) == 0)
    return log_start::torn;
  if (bytes.compare(0, log_magic.size(), log_magic) == 0) {
    durable::reader r{bytes.substr(log_magic.size())};
    auto version = r.u16();
    if (version == log_version)
      return log_start::header;
    why = "log version " + std::to_string(version) + " is unknown (this cafka reads 0 and "
          + std::to_string(log_version) + ")";
    return log_start::unknown;
  }
  // A version 0 record starts with its length, below 2^24 for any entry cafka writes.
  if (static_cast<uint8_t>(bytes[0]) == 0)
    return log_start::headerless;
  why = "not a raft log: it starts with neither \"rlog\" nor a record";
  return log_start::unknown;
}

size_t record_size(const log_entry& e) {
  return record_header_size + entry_fixed_size + e.data.size();
}

bool valid_kind(entry_kind k) {
  return k == entry_kind::command || k == entry_kind::noop;
}

void append_record(std::string& out, const log_entry& e) {
  assert(e.data.size() <= max_entry_data);  // internal: disk_persistence::append checks it
  std::string payload;
  payload.reserve(entry_fixed_size + e.data.size());
  durable::writer p{payload};
  p(entry_head{e.term, e.index, static_cast<uint8_t>(e.kind)});
  p.raw(e.data);
  durable::writer w{out};
  w.u32(static_cast<uint32_t>(payload.size()));
  w.u32(crc32c(payload.data(), payload.size()));
  w.raw(payload);
}

scanned_record scan_record(std::string_view log, size_t pos) {
  scanned_record out;
  auto left = log.size() - pos;
  if (left < record_header_size) {
    out.why = "incomplete record header";
    return out;
  }
  durable::reader r{log.substr(pos)};
  auto len = r.u32();
  auto crc = r.u32();
  if (len < entry_fixed_size) {
    out.why = "record length " + std::to_string(len) + " too small";
    return out;
  }
  if (len > left - record_header_size) {
    out.why = "record of " + std::to_string(len) + " bytes runs past the end of the file";
    return out;
  }
  auto payload = r.raw(len);
  if (crc != crc32c(payload.data(), payload.size())) {
    out.why = "CRC mismatch";
    return out;
  }
  durable::reader p{payload};
  entry_head head;
  p(head);
  out.entry = log_entry{head.term, head.index, static_cast<entry_kind>(head.kind),
                        std::string{p.rest()}};
  if (!valid_kind(out.entry.kind)) {
    out.bad_kind = true;
    out.why = "unknown entry kind " + std::to_string(head.kind) + " at position "
              + std::to_string(pos);
    return out;
  }
  out.ok = true;
  out.size = record_header_size + len;
  return out;
}

size_t find_valid_record(std::string_view log, size_t from, raft_index after) {
  constexpr size_t min_record = record_header_size + entry_fixed_size;
  for (auto q = from + 1; q < log.size() && log.size() - q >= min_record; ++q) {
    auto left = log.size() - q;
    durable::reader r{log.substr(q, min_record)};
    auto len = r.u32();
    r.u32();  // the CRC, checked by scan_record
    entry_head head;
    r(head);
    if (len < entry_fixed_size || len > left - record_header_size || !r.ok())
      continue;
    // Every record takes at least min_record bytes: a record at q is at most one entry
    // past those that fit in the bytes skipped, [from, q).
    auto gap = static_cast<__int128>(head.index.value) - after.value;
    if (gap < 1 || gap > static_cast<__int128>((q - from) / min_record) + 2)
      continue;
    if (scan_record(log, q).ok)
      return q;
  }
  return log.size();
}

std::string encode_snapshot(const snapshot& snp) {
  std::string body;
  durable::writer w{body};
  w(snp.desc);
  w.raw(snp.data);
  return durable::seal(snapshot_version, body);
}

snapshot decode_snapshot(std::string_view bytes, std::string& why) {
  auto f = durable::open_frame(bytes);
  if (!f.complete) {
    why = "shorter than its header";
    return {};
  }
  if (f.version == 0) {
    why = "snapshot file version 0 (a Boost text archive, before cafka's durable encoding) "
          "is not read";
    return {};
  }
  if (f.version != snapshot_version) {
    why = "snapshot file version " + std::to_string(f.version) + " is unknown (this cafka "
          "reads " + std::to_string(snapshot_version) + ")";
    return {};
  }
  if (!f.crc_ok) {
    why = "CRC mismatch";
    return {};
  }
  durable::reader r{f.body};
  snapshot snp;
  r(snp.desc);
  snp.data = std::string{r.rest()};
  if (!r.ok()) {
    why = r.error();
    return {};
  }
  if (snp.desc.index < raft_index{0} || snp.desc.term < raft_term{0}) {
    why = "negative index or term";
    return {};
  }
  if (snp.desc.index > max_stored_index) {
    why = "index " + to_string(snp.desc.index) + " out of range";
    return {};
  }
  return snp;
}

} // namespace files
} // namespace cafka::raft
