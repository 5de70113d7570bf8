// FNV-1a, 64 bits: a small hash that is the same in every process, build and machine (absl::Hash is seeded
// per process), for ETags, page-token scopes and filter fingerprints. Not for anything an attacker chooses
// to collide with on purpose.
#ifndef LUOSHI_SERVICES_COMMON_FNV_H_
#define LUOSHI_SERVICES_COMMON_FNV_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace luoshi {

inline uint64_t Fnv1a64(absl::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_FNV_H_
