#include "tests/integration/redis_test_util.h"

namespace strata::testing {

RedisClusterFixture* SharedRedisCluster(std::string* skip) {
  static std::unique_ptr<RedisClusterFixture> cluster;
  static std::string why;
  static std::string failure;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (RedisBinariesAvailable(&why)) {
      RedisClusterFixtureOptions o;
      o.password = kRedisTestPassword;
      absl::StatusOr<std::unique_ptr<RedisClusterFixture>> f =
          RedisClusterFixture::Start(o);
      if (f.ok()) {
        cluster = std::move(*f);
      } else {
        failure = f.status().ToString();
      }
    }
  }
  if (!failure.empty()) FAIL("starting a redis cluster: " << failure);
  if (cluster == nullptr) *skip = why;
  return cluster.get();
}

RedisClusterOptions ClientOptionsFor(const RedisClusterFixture& fixture) {
  RedisClusterOptions o;
  o.seeds = fixture.seeds();
  o.password = kRedisTestPassword;
  return o;
}

}  // namespace strata::testing
