// Shared pieces of the Redis integration tests: one cluster per test binary
// (started on first use, stopped at exit), a client factory, and the skip
// macro for machines without redis-server.
//
// Thread safety: call from the Catch2 thread only.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "engine/store/redis/redis_cluster_client.h"
#include "tests/integration/redis_cluster_fixture.h"

namespace strata::testing {

inline constexpr char kRedisTestPassword[] = "strata-test-pw";

// The binary's shared cluster (3 masters + 3 replicas, password
// kRedisTestPassword); nullptr with `*skip` set when redis is not installed.
// A cluster that fails to start fails the test.
RedisClusterFixture* SharedRedisCluster(std::string* skip);

// Cluster client options for `fixture`, with the test password.
RedisClusterOptions ClientOptionsFor(const RedisClusterFixture& fixture);

}  // namespace strata::testing

// Binds `var` to the shared cluster, or WARNs and returns (skip).
#define STRATA_REQUIRE_REDIS_CLUSTER(var)                 \
  std::string var##_skip;                                 \
  ::strata::testing::RedisClusterFixture* var =           \
      ::strata::testing::SharedRedisCluster(&var##_skip); \
  if (var == nullptr) {                                   \
    WARN("SKIPPED: " << var##_skip);                      \
    return;                                               \
  }
