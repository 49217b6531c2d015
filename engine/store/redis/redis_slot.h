// Redis Cluster key slots: CRC16 (XMODEM polynomial 0x1021, init 0) of the
// key, or of its hash tag, modulo 16384, exactly as the server computes them.
// A hash tag is the text between the first '{' and the next '}' when that
// text is non-empty; keys sharing a tag share a slot (and a node).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace strata {

inline constexpr uint16_t kRedisClusterSlots = 16384;

// CRC16-CCITT (XMODEM) of `data`.
uint16_t Crc16Xmodem(const char* data, size_t size);

// The cluster slot of `key`, in [0, kRedisClusterSlots).
uint16_t RedisKeySlot(absl::string_view key);

}  // namespace strata
