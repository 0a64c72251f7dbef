// Where cafka's random identifiers (broker incarnations, group member ids, generated group
// ids) come from: std::random_device in a real process, or a seeded generator when a
// deterministic simulation (actors/sim) calls seed_entropy(), so that a seed replays exactly.
// Thread-safe.
#pragma once

#include <cstdint>

namespace cafka {

// 64 random bits.
uint64_t random_u64();

// From now on random_u64() draws from a generator seeded with `seed` (simulations only).
void seed_entropy(uint64_t seed);

// Back to std::random_device (a simulation ends).
void reset_entropy();

} // namespace cafka
