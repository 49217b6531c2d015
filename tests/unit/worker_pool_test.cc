#include "engine/common/worker_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>

namespace strata {

TEST_CASE("WorkerPool runs every accepted task before it is destroyed",
          "[pool][concurrency]") {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 1000);
    for (int i = 0; i < 500; ++i) {
      REQUIRE(pool.TrySubmit([&ran] { ran.fetch_add(1); }));
    }
  }
  CHECK(ran.load() == 500);
}

TEST_CASE("WorkerPool refuses work beyond its queue bound",
          "[pool][concurrency]") {
  std::promise<void> release, started;
  std::shared_future<void> released = release.get_future().share();
  WorkerPool pool(1, 2);
  REQUIRE(pool.TrySubmit([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the worker holds the first task
  CHECK(pool.TrySubmit([] {}));
  CHECK(pool.TrySubmit([] {}));
  CHECK_FALSE(pool.TrySubmit([] {}));
  release.set_value();
}

}  // namespace strata
