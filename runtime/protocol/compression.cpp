#include "runtime/protocol/compression.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/wire.hpp"

namespace cafka {

namespace {

constexpr size_t max_input = static_cast<size_t>(std::numeric_limits<int32_t>::max());
// snappy-java's stream header: magic, format version 1, oldest compatible version 1.
constexpr char xerial_magic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr size_t xerial_header_size = 16;
constexpr size_t xerial_block_input = 32 * 1024; // snappy-java's default block size
constexpr int zstd_level = 3;                     // Kafka's default zstd level
// Window sizes (log2) a zstd frame may ask for: at least what Java's zstd-jni uses at the
// levels Kafka allows by default (8 MiB), at most libzstd's own default limit (128 MiB).
constexpr int zstd_min_window_log = 23;
constexpr int zstd_max_window_log = 27;
// A thread keeps its zstd context for the next call unless it grew beyond this.
constexpr size_t zstd_keep_context_bytes = size_t{16} << 20;
constexpr size_t min_output_step = 4096;

caf::error failure(std::string reason) {
  return make_error(errc::corrupt_message, std::move(reason));
}

caf::error too_large(const char* codec, size_t max_size) {
  return failure(std::string{codec} + ": decompressed size exceeds the limit of "
                 + std::to_string(max_size) + " bytes");
}

// The output of one decompression, appended to a string: grows geometrically but never by
// more than limit + 1 bytes, so output beyond the limit is detected without allocating it.
class bounded_output {
public:
  bounded_output(std::string& out, size_t limit, size_t input_size)
    : out_(out), base_(out.size()), limit_(limit),
      first_step_(std::max(min_output_step, 4 * input_size)) {
    // nop
  }

  // Room after the bytes written so far; empty once limit + 1 bytes are written.
  std::pair<char*, size_t> room() {
    size_t have = out_.size() - base_;
    if (used_ == have) {
      size_t cap = limit_ == std::numeric_limits<size_t>::max() ? limit_ : limit_ + 1;
      if (have == cap)
        return {nullptr, 0};
      size_t grow = std::min(cap - have, std::max(first_step_, have));
      out_.resize(base_ + have + grow);
    }
    return {out_.data() + base_ + used_, out_.size() - base_ - used_};
  }
  // Room for exactly n more bytes. Requires: used() + n <= limit.
  char* take(size_t n) {
    if (out_.size() - base_ - used_ < n)
      out_.resize(base_ + used_ + n);
    return out_.data() + base_ + used_;
  }
  void commit(size_t n) { used_ += n; }
  bool over() const { return used_ > limit_; }
  size_t used() const { return used_; }
  void keep() { out_.resize(base_ + used_); }
  void drop() { out_.resize(base_); }

private:
  std::string& out_;
  size_t base_;
  size_t limit_;
  size_t first_step_;
  size_t used_ = 0;
};

// -- gzip -----------------------------------------------------------------------------------

caf::error gzip_compress(std::string_view in, std::string& out) {
  z_stream s{};
  if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY)
      != Z_OK)
    return failure("gzip: deflateInit2 failed");
  auto old = out.size();
  auto bound = deflateBound(&s, static_cast<uLong>(in.size()));
  out.resize(old + bound);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data() + old);
  s.avail_out = static_cast<uInt>(bound);
  auto rc = deflate(&s, Z_FINISH);
  auto written = static_cast<size_t>(s.total_out);
  deflateEnd(&s);
  if (rc != Z_STREAM_END) {
    out.resize(old);
    return failure("gzip: deflate failed");
  }
  out.resize(old + written);
  return caf::none;
}

caf::error gzip_decompress(std::string_view in, size_t max_size, bounded_output& o) {
  z_stream s{};
  if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
    return failure("gzip: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard{&s, inflateEnd};
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    auto [p, n] = o.room();
    if (n == 0)
      return too_large("gzip", max_size);
    auto avail = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    s.next_out = reinterpret_cast<Bytef*>(p);
    s.avail_out = avail;
    auto rc = inflate(&s, Z_NO_FLUSH);
    o.commit(avail - s.avail_out);
    if (o.over())
      return too_large("gzip", max_size);
    if (rc == Z_STREAM_END) {
      if (s.avail_in == 0)
        return caf::none;
      inflateReset(&s); // another gzip member follows, as GZIPInputStream reads them
    } else if (rc == Z_BUF_ERROR) {
      if (s.avail_in == 0)
        return failure("gzip: truncated stream");
    } else if (rc != Z_OK) {
      return failure(std::string{"gzip: "} + (s.msg ? s.msg : "malformed stream"));
    }
  }
}

// -- snappy ---------------------------------------------------------------------------------

caf::error snappy_compress(std::string_view in, std::string& out) {
  out.append(xerial_magic, sizeof(xerial_magic));
  char versions[8];
  wire::store_be32(versions, 1);
  wire::store_be32(versions + 4, 1);
  out.append(versions, sizeof(versions));
  for (size_t pos = 0; pos < in.size(); pos += xerial_block_input) {
    auto len = std::min(xerial_block_input, in.size() - pos);
    auto at = out.size();
    out.resize(at + 4 + snappy::MaxCompressedLength(len));
    size_t n = 0;
    snappy::RawCompress(in.data() + pos, len, out.data() + at + 4, &n);
    wire::store_be32(out.data() + at, static_cast<uint32_t>(n));
    out.resize(at + 4 + n);
  }
  return caf::none;
}

// The most a raw snappy block can expand (64 bytes per 3-byte element), rounded up.
constexpr size_t snappy_max_ratio = 32;

// One raw snappy block (librdkafka's format, and each block of a xerial stream).
caf::error snappy_block_decompress(std::string_view in, size_t max_size, bounded_output& o) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &n))
    return failure("snappy: malformed block");
  if (n > max_size - o.used())
    return too_large("snappy", max_size);
  // No snappy element yields more than 64 bytes from 3 (a copy with a 2-byte offset): a
  // block claiming more cannot be valid, and taking its room would allocate for a lie.
  if (n / snappy_max_ratio > in.size())
    return failure("snappy: declared length " + std::to_string(n) + " exceeds what a "
                   + std::to_string(in.size()) + "-byte block can hold");
  if (!snappy::RawUncompress(in.data(), in.size(), o.take(n)))
    return failure("snappy: corrupt block");
  o.commit(n);
  return caf::none;
}

bool is_xerial(std::string_view in) {
  return in.size() >= xerial_header_size
         && std::memcmp(in.data(), xerial_magic, sizeof(xerial_magic)) == 0;
}

// A xerial stream: a header, then blocks of an int32 length and raw snappy data. A header may
// recur between blocks (concatenated streams, as snappy-java reads them).
caf::error xerial_decompress(std::string_view in, size_t max_size, bounded_output& o) {
  size_t pos = 0;
  while (pos < in.size()) {
    auto rest = in.substr(pos);
    if (is_xerial(rest)) {
      pos += xerial_header_size;
      continue;
    }
    if (rest.size() < 4)
      return failure("snappy: truncated xerial block length");
    auto len = static_cast<int32_t>(wire::load_be32(rest.data()));
    if (len < 0 || static_cast<size_t>(len) > rest.size() - 4)
      return failure("snappy: xerial block length out of range");
    if (auto err = snappy_block_decompress(rest.substr(4, static_cast<size_t>(len)), max_size, o))
      return err;
    pos += 4 + static_cast<size_t>(len);
  }
  return caf::none;
}

// -- lz4 ------------------------------------------------------------------------------------

caf::error lz4_compress(std::string_view in, std::string& out) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof(prefs));
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  auto old = out.size();
  auto bound = LZ4F_compressFrameBound(in.size(), &prefs);
  out.resize(old + bound);
  auto n = LZ4F_compressFrame(out.data() + old, bound, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(old);
    return failure(std::string{"lz4: "} + LZ4F_getErrorName(n));
  }
  out.resize(old + n);
  return caf::none;
}

// This thread's LZ4 decompression context, reused (it keeps its block buffers, at most 4 MiB)
// and reset before each use; null if it cannot be created.
LZ4F_dctx* lz4_context() {
  struct holder {
    LZ4F_dctx* ctx = nullptr;
    holder() {
      if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
        ctx = nullptr;
    }
    ~holder() { LZ4F_freeDecompressionContext(ctx); }
  };
  thread_local holder h;
  if (h.ctx)
    LZ4F_resetDecompressionContext(h.ctx);
  return h.ctx;
}

caf::error lz4_decompress(std::string_view in, size_t max_size, bounded_output& o) {
  auto* ctx = lz4_context();
  if (!ctx)
    return failure("lz4: cannot create a decompression context");
  const char* src = in.data();
  size_t left = in.size();
  size_t hint = 1; // nonzero: a frame is incomplete
  for (;;) {
    auto [p, n] = o.room();
    if (n == 0)
      return too_large("lz4", max_size);
    size_t dst_n = n;
    size_t src_n = left;
    auto rc = LZ4F_decompress(ctx, p, &dst_n, src, &src_n, nullptr);
    if (LZ4F_isError(rc))
      return failure(std::string{"lz4: "} + LZ4F_getErrorName(rc));
    if (dst_n > 0 || src_n > 0)
      hint = rc; // a call without progress after a frame's end asks for the next frame
    o.commit(dst_n);
    if (o.over())
      return too_large("lz4", max_size);
    src += src_n;
    left -= src_n;
    if (left == 0 && dst_n < n)
      break; // all input read and nothing held back for want of room
  }
  if (hint != 0)
    return failure("lz4: truncated frame");
  return caf::none;
}

// -- zstd -----------------------------------------------------------------------------------

// This thread's zstd compression context, reused: creating one allocates its tables.
ZSTD_CCtx* zstd_compress_context() {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> ctx{ZSTD_createCCtx(),
                                                                      ZSTD_freeCCtx};
  return ctx.get();
}

caf::error zstd_compress(std::string_view in, std::string& out) {
  auto* ctx = zstd_compress_context();
  if (!ctx)
    return failure("zstd: cannot create a compression context");
  auto old = out.size();
  auto bound = ZSTD_compressBound(in.size());
  out.resize(old + bound);
  auto n = ZSTD_compressCCtx(ctx, out.data() + old, bound, in.data(), in.size(), zstd_level);
  if (ZSTD_isError(n)) {
    out.resize(old);
    return failure(std::string{"zstd: "} + ZSTD_getErrorName(n));
  }
  out.resize(old + n);
  return caf::none;
}

int zstd_window_log(size_t max_size) {
  int log = zstd_min_window_log;
  while (log < zstd_max_window_log && (size_t{1} << log) < max_size)
    ++log;
  return log;
}

// This thread's zstd decompression context, reused (creating one allocates its stream
// buffers) and reset before each use; null if it cannot be created. One that grew beyond
// zstd_keep_context_bytes for a large window is freed after use (zstd_release_context).
using zstd_dctx_ptr = std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)>;

zstd_dctx_ptr& zstd_context_slot() {
  thread_local zstd_dctx_ptr ctx{nullptr, ZSTD_freeDCtx};
  return ctx;
}

ZSTD_DCtx* zstd_context() {
  auto& ctx = zstd_context_slot();
  if (!ctx)
    ctx.reset(ZSTD_createDCtx());
  else
    ZSTD_DCtx_reset(ctx.get(), ZSTD_reset_session_and_parameters);
  return ctx.get();
}

void zstd_release_context() {
  auto& ctx = zstd_context_slot();
  if (ctx && ZSTD_sizeof_DCtx(ctx.get()) > zstd_keep_context_bytes)
    ctx.reset();
}

caf::error zstd_decompress_with(ZSTD_DCtx* ctx, std::string_view in, size_t max_size,
                                bounded_output& o) {
  auto rc = ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, zstd_window_log(max_size));
  if (ZSTD_isError(rc))
    return failure(std::string{"zstd: "} + ZSTD_getErrorName(rc));
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t hint = 1; // nonzero: a frame is incomplete
  for (;;) {
    auto [p, n] = o.room();
    if (n == 0)
      return too_large("zstd", max_size);
    ZSTD_outBuffer dst{p, n, 0};
    auto before = src.pos;
    auto rc = ZSTD_decompressStream(ctx, &dst, &src);
    if (ZSTD_isError(rc))
      return failure(std::string{"zstd: "} + ZSTD_getErrorName(rc));
    if (dst.pos > 0 || src.pos > before)
      hint = rc; // a call without progress after a frame's end asks for the next frame
    o.commit(dst.pos);
    if (o.over())
      return too_large("zstd", max_size);
    if (src.pos == src.size && dst.pos < dst.size)
      break; // all input read and nothing held back for want of room
  }
  if (hint != 0)
    return failure("zstd: truncated frame");
  return caf::none;
}

caf::error zstd_decompress(std::string_view in, size_t max_size, bounded_output& o) {
  auto* ctx = zstd_context();
  if (!ctx)
    return failure("zstd: cannot create a decompression context");
  auto err = zstd_decompress_with(ctx, in, max_size, o);
  zstd_release_context();
  return err;
}

caf::error decompress_into(compression_codec codec, std::string_view in, size_t max_size,
                           bounded_output& o) {
  switch (codec) {
    case compression_codec::none:
      if (in.size() > max_size)
        return failure("uncompressed size exceeds the limit of " + std::to_string(max_size)
                       + " bytes");
      std::memcpy(o.take(in.size()), in.data(), in.size());
      o.commit(in.size());
      return caf::none;
    case compression_codec::gzip:
      return gzip_decompress(in, max_size, o);
    case compression_codec::snappy:
      return is_xerial(in) ? xerial_decompress(in, max_size, o)
                           : snappy_block_decompress(in, max_size, o);
    case compression_codec::lz4:
      return lz4_decompress(in, max_size, o);
    case compression_codec::zstd:
      return zstd_decompress(in, max_size, o);
  }
  return failure("unknown compression codec " + std::to_string(static_cast<int>(codec)));
}

} // namespace

const char* to_string(compression_codec codec) {
  switch (codec) {
    case compression_codec::none:
      return "none";
    case compression_codec::gzip:
      return "gzip";
    case compression_codec::snappy:
      return "snappy";
    case compression_codec::lz4:
      return "lz4";
    case compression_codec::zstd:
      return "zstd";
  }
  return "unknown";
}

std::optional<compression_codec> parse_compression_type(std::string_view name) {
  for (uint8_t i = 0; i <= max_compression_codec; ++i) {
    auto codec = static_cast<compression_codec>(i);
    if (name == to_string(codec))
      return codec;
  }
  return std::nullopt;
}

caf::error compress(compression_codec codec, std::string_view in, std::string& out) {
  if (in.size() > max_input)
    return failure(std::string{to_string(codec)} + ": input exceeds INT32_MAX bytes");
  switch (codec) {
    case compression_codec::none:
      out.append(in.data(), in.size());
      return caf::none;
    case compression_codec::gzip:
      return gzip_compress(in, out);
    case compression_codec::snappy:
      return snappy_compress(in, out);
    case compression_codec::lz4:
      return lz4_compress(in, out);
    case compression_codec::zstd:
      return zstd_compress(in, out);
  }
  return failure("unknown compression codec " + std::to_string(static_cast<int>(codec)));
}

caf::error decompress(compression_codec codec, std::string_view in, size_t max_size,
                      std::string& out) {
  if (in.size() > max_input)
    return failure(std::string{to_string(codec)} + ": input exceeds INT32_MAX bytes");
  bounded_output o{out, max_size, in.size()};
  if (auto err = decompress_into(codec, in, max_size, o)) {
    o.drop();
    return err;
  }
  o.keep();
  return caf::none;
}

} // namespace cafka
