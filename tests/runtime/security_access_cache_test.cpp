// The node-local access_cache: newer versions replace older ones, readers keep their copy,
// and concurrent publishers and readers always see a whole, never older, version.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "runtime/security/access_cache.hpp"

using namespace cafka;

namespace {

access_metadata version(uint64_t v, size_t users) {
  access_metadata a;
  a.version = v;
  for (size_t i = 0; i < users; ++i) {
    scram_credential c;
    c.user = "u" + std::to_string(i);
    a.credentials.push_back(std::move(c));
  }
  return a;
}

} // namespace

TEST_CASE("an access cache starts empty and unloaded and takes only newer versions",
          "[security]") {
  access_cache cache;
  auto first = cache.current();
  REQUIRE(first != nullptr);
  CHECK(first->version == 0);
  CHECK(first->credentials.empty());
  CHECK_FALSE(cache.loaded());
  // The quorum's first copy loads the cache, even at version 0 (nothing stored yet).
  CHECK(cache.publish(version(0, 0)));
  CHECK(cache.loaded());
  CHECK_FALSE(cache.publish(version(0, 1)));
  CHECK(cache.publish(version(3, 1)));
  CHECK(cache.current()->version == 3);
  CHECK_FALSE(cache.publish(version(2, 5)));
  CHECK_FALSE(cache.publish(version(3, 5)));
  CHECK(cache.current()->credentials.size() == 1);
  auto held = cache.current();
  CHECK(cache.publish(version(4, 2)));
  CHECK(held->version == 3);  // a reader's copy does not change under it
  CHECK(cache.current()->credentials.size() == 2);
  CHECK(first->version == 0);
}

TEST_CASE("concurrent readers of an access cache never see a version go back",
          "[security]") {
  access_cache cache;
  constexpr uint64_t last = 2000;
  std::atomic<bool> torn{false};
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&] {
      uint64_t seen = 0;
      while (seen < last) {
        auto a = cache.current();
        // Version v carries v % 7 credentials: a half-written copy would not.
        if (a->version < seen || a->credentials.size() != a->version % 7)
          torn = true;
        seen = a->version;
      }
    });
  for (int w = 0; w < 2; ++w)
    threads.emplace_back([&, w] {
      for (uint64_t v = 1 + static_cast<uint64_t>(w); v <= last; v += 2)
        cache.publish(version(v, v % 7));
    });
  for (auto& t : threads)
    t.join();
  CHECK_FALSE(torn);
  CHECK(cache.current()->version == last);
}
