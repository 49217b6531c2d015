// Catch2 main of strata_redis_tests (integration tests against a real
// Redis Cluster started on loopback by redis_cluster_fixture.h).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
