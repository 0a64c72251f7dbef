#include "runtime/base/durable_file.hpp"

#include "runtime/base/durable_reader.hpp"
#include "runtime/base/durable_writer.hpp"
#include "runtime/protocol/crc32c.hpp"

namespace cafka::durable {

std::string seal(int16_t version, std::string_view body) {
  std::string out;
  out.reserve(frame_header_size + body.size());
  writer w{out};
  w.i16(version);
  w.u32(crc32c(body.data(), body.size()));
  w.raw(body);
  return out;
}

frame open_frame(std::string_view file) {
  frame f;
  if (file.size() < frame_header_size)
    return f;
  reader r{file};
  f.complete = true;
  f.version = r.i16();
  auto crc = r.u32();
  f.body = r.rest();
  f.crc_ok = crc == crc32c(f.body.data(), f.body.size());
  return f;
}

} // namespace cafka::durable
