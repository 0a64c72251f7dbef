// Helpers for the idempotence-table tests: idempotent batches by producer, epoch and
// sequence, and a leader's produce path (check, append, on_append) over a real log in a
// temporary directory. Test code; one thread.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/base/errc.hpp"
#include "runtime/protocol/record_batch.hpp"
#include "runtime/replication/producer_state.hpp"
#include "runtime/storage/partition_log.hpp"
#include "runtime/storage/posix_env.hpp"
#include "tests/temp_dir.hpp"

namespace cafka::test {

// Shorthands for the producer ids and epochs the tests write out.
constexpr producer_id pid(int64_t n) { return producer_id{n}; }
constexpr producer_epoch ep(int16_t n) { return producer_epoch{n}; }

// A batch of `records` records from producer `id`, or a non-idempotent one for no_producer_id.
inline std::string idem_batch(producer_id id, producer_epoch epoch, int32_t seq,
                              int records = 1, int64_t ts = 1000) {
  batch_builder b;
  for (int i = 0; i < records; ++i) {
    auto v = "p" + to_string(id) + "-s" + std::to_string(seq) + "-" + std::to_string(i);
    b.append(ts, std::nullopt, std::string_view{v});
  }
  if (id != no_producer_id)
    b.set_producer(id, epoch, seq);
  return b.finish();
}

inline batch_header header_of(const std::string& batch, int64_t base_offset = 0) {
  batch_header h;
  REQUIRE(read_batch_header(batch.data(), batch.size(), h));
  h.base_offset = base_offset;
  return h;
}

// The leader's produce path over a real log: check, append unless duplicate, on_append.
struct leader {
  test::temp_dir dir;
  storage::posix_env disk;
  std::unique_ptr<partition_log> log;
  producer_state table;
  int64_t now = 1000;

  leader() { reopen(); }

  void reopen() {
    log.reset();
    auto l = partition_log::open(disk, dir.str(), log_config{}, now);
    REQUIRE(l);
    log = std::move(*l);
  }

  // Writes a batch as a follower copies it: no check, straight to the log and the table.
  void seed(std::string batch) {
    auto base = log->append(batch, now);
    REQUIRE(base);
    batch_header h;
    REQUIRE(read_batch_header(batch.data(), batch.size(), h));
    REQUIRE(table.on_append(h));
  }

  // The base offset the producer gets back (a duplicate's original), or the error.
  caf::expected<log_offset> produce(std::string batch) {
    batch_header h;
    REQUIRE(read_batch_header(batch.data(), batch.size(), h));
    auto c = table.check(h);
    if (!c)
      return std::move(c.error());
    if (c->kind == check_result::duplicate)
      return c->base_offset;
    auto base = log->append(batch, now);
    if (!base)
      return std::move(base.error());
    REQUIRE(read_batch_header(batch.data(), batch.size(), h));
    REQUIRE(h.base() == *base);
    table.on_append(h);
    return *base;
  }
};

inline errc error_of(const caf::expected<log_offset>& r) {
  return r ? errc::none : errc_of(r.error());
}

} // namespace cafka::test
