// How an int64 key is spelled as a RocksDB key: 8 bytes, big-endian, with the
// sign bit flipped, so that bytewise order equals numeric order (SstFileWriter
// needs keys in comparator order).
#pragma once

#include <cstdint>
#include <cstring>

namespace strata {

inline constexpr size_t kEncodedKeySize = 8;

inline void EncodeKey(int64_t key, char* out /* (8) */) {
  uint64_t u = static_cast<uint64_t>(key) ^ (uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
}

inline int64_t DecodeKey(const char* in /* (8) */) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<unsigned char>(in[i]);
  return static_cast<int64_t>(u ^ (uint64_t{1} << 63));
}

}  // namespace strata
