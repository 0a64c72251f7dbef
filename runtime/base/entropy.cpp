#include "runtime/base/entropy.hpp"

#include <mutex>
#include <optional>
#include <random>

namespace cafka {

namespace {

std::mutex mtx;
std::optional<std::mt19937_64> seeded;  // set by seed_entropy()

} // namespace

uint64_t random_u64() {
  std::lock_guard<std::mutex> guard{mtx};
  if (seeded)
    return (*seeded)();
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

void seed_entropy(uint64_t seed) {
  std::lock_guard<std::mutex> guard{mtx};
  seeded.emplace(seed);
}

void reset_entropy() {
  std::lock_guard<std::mutex> guard{mtx};
  seeded.reset();
}

} // namespace cafka
