#include "runtime/protocol/batch_recompress.hpp"

#include "runtime/protocol/record_batch.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

namespace {

constexpr size_t attributes_pos = 21;
constexpr auto codec_mask = static_cast<uint16_t>(batch_compression_mask);

} // namespace

caf::expected<std::string> recompress_batch(std::string_view batch, compression_codec codec,
                                            size_t max_uncompressed) {
  batch_header h;
  read_batch_header(batch.data(), batch.size(), h);
  if (h.compression() == codec)
    return std::string{batch};
  std::string records;
  int32_t count = 0;
  auto err = for_each_stored_record(
    batch,
    [&](const record_view&, std::string_view encoded) {
      records.append(encoded);
      ++count;
    },
    max_uncompressed);
  if (err)
    return err;
  std::string header{batch.substr(0, batch_header_size)};
  auto attributes = wire::load_be16(header.data() + attributes_pos);
  attributes = static_cast<uint16_t>((attributes & ~codec_mask) | static_cast<uint16_t>(codec));
  wire::store_be16(header.data() + attributes_pos, attributes);
  return rebuild_batch(header, records, count);
}

} // namespace cafka
