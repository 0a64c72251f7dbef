// The read-side rules of consumer_reads.hpp: how far a fetch reads, what a timestamp lookup
// may answer, when a fetch is answered rather than parked.
#include <catch2/catch.hpp>

#include "runtime/replication/consumer_reads.hpp"

using namespace cafka;

TEST_CASE("a consumer fetch reads up to the high watermark, a coordinator load to the log "
          "end",
          "[replication]") {
  fetch_request req;
  CHECK(read_end(req, log_offset{4}, log_offset{9}) == log_offset{4});
  req.to_log_end = true;
  CHECK(read_end(req, log_offset{4}, log_offset{9}) == log_offset{9});
}

TEST_CASE("a timestamp lookup answers only records below the high watermark",
          "[replication]") {
  CHECK(visible_to_consumers(log_offset{3}, log_offset{4}));
  CHECK_FALSE(visible_to_consumers(log_offset{4}, log_offset{4}));
  CHECK_FALSE(visible_to_consumers(log_offset{0}, log_offset{0}));
}

TEST_CASE("a fetch is answered once it holds min_bytes, at least one byte, or when it may "
          "not wait",
          "[replication]") {
  fetch_request req;
  req.min_bytes = 100;
  req.max_wait_ms = 500;
  CHECK_FALSE(fetch_answers_now(req, 99));
  CHECK(fetch_answers_now(req, 100));
  req.min_bytes = 0;  // still waits for one byte (a Kafka broker would answer at once)
  CHECK_FALSE(fetch_answers_now(req, 0));
  CHECK(fetch_answers_now(req, 1));
  req.max_wait_ms = 0;
  CHECK(fetch_answers_now(req, 0));
}

TEST_CASE("a fetch whose min_bytes exceeds its max_bytes is answered once it read max_bytes",
          "[replication]") {
  CHECK(min_bytes_to_answer(100, 1000) == 100);
  CHECK(min_bytes_to_answer(5000, 1000) == 1000);
  CHECK(min_bytes_to_answer(0, 1000) == 1);
  CHECK(min_bytes_to_answer(5000, 0) == 1);
  CHECK(min_bytes_to_answer(-3, -3) == 1);
  fetch_request req;
  req.min_bytes = 1 << 20;
  req.max_bytes = 300;
  req.max_wait_ms = 500;
  CHECK_FALSE(fetch_answers_now(req, 299));
  CHECK(fetch_answers_now(req, 300));
}

TEST_CASE("a replica parks a fetch only below its max-parked-fetches-per-partition",
          "[replication]") {
  CHECK(park_or_refuse(0, 2) == park_verdict::park);
  CHECK(park_or_refuse(1, 2) == park_verdict::park);
  CHECK(park_or_refuse(2, 2) == park_verdict::refuse);
  CHECK(park_or_refuse(3, 2) == park_verdict::refuse);
  CHECK(park_or_refuse(0, 0) == park_verdict::refuse);
}
