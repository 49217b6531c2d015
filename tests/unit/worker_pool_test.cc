#include "engine/batch/worker_pool.h"

#include <catch2/catch.hpp>

#include <atomic>

#include "absl/synchronization/notification.h"

namespace strata {

TEST_CASE("WorkerPool runs every accepted task before it is destroyed",
          "[pool]") {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 1000);
    for (int i = 0; i < 500; ++i) {
      REQUIRE(pool.TrySubmit([&ran] { ran.fetch_add(1); }));
    }
  }
  CHECK(ran.load() == 500);
}

TEST_CASE("WorkerPool refuses work beyond its queue bound", "[pool]") {
  absl::Notification release;
  absl::Notification started;
  WorkerPool pool(1, 2);
  REQUIRE(pool.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();  // the worker holds the first task
  CHECK(pool.TrySubmit([] {}));
  CHECK(pool.TrySubmit([] {}));
  CHECK_FALSE(pool.TrySubmit([] {}));
  release.Notify();
}

}  // namespace strata
