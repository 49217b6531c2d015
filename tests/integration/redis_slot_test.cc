// Key slots: known values, hash tags, and agreement with the server's own
// CLUSTER KEYSLOT for binary keys.
#include "engine/store/redis/redis_slot.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "tests/integration/redis_test_util.h"

namespace strata::testing {

TEST_CASE("CRC16 XMODEM matches its check value", "[redis]") {
  CHECK(Crc16Xmodem("123456789", 9) == 0x31C3);
  CHECK(Crc16Xmodem("", 0) == 0);
}

TEST_CASE("key slots match known values and honour hash tags", "[redis]") {
  CHECK(RedisKeySlot("foo") == 12182);
  CHECK(RedisKeySlot("bar") == 5061);
  CHECK(RedisKeySlot("{user1000}.following") ==
        RedisKeySlot("{user1000}.followers"));
  CHECK(RedisKeySlot("{user1000}.following") == RedisKeySlot("user1000"));
  // An empty tag does not count: the whole key is hashed.
  CHECK(RedisKeySlot("foo{}{bar}") == Crc16Xmodem("foo{}{bar}", 10) % 16384);
  // Only the first tag counts.
  CHECK(RedisKeySlot("foo{{bar}}zap") == RedisKeySlot("{bar"));
  CHECK(RedisKeySlot("foo{bar}{zap}") == RedisKeySlot("bar"));
  CHECK(RedisKeySlot("{") == Crc16Xmodem("{", 1) % 16384);
}

TEST_CASE("key slots agree with the server's CLUSTER KEYSLOT", "[redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  const int port = std::stoi(cluster->seeds()[0].substr(10));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string key(1 + rng() % 20, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    if (i % 3 == 0) key = "{m@1/t0:" + std::to_string(i) + "}" + key;
    absl::StatusOr<std::string> slot =
        cluster->Command(port, {"CLUSTER", "KEYSLOT", key});
    REQUIRE(slot.ok());
    int expect = -1;
    REQUIRE(absl::SimpleAtoi(*slot, &expect));
    CHECK(RedisKeySlot(key) == expect);
  }
}

}  // namespace strata::testing
