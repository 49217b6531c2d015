// Bootstrap: a new pod's first start from a peer (the bootstrap_from
// option). In the background it asks the peer which models it serves,
// streams a snapshot of each (Admin/StreamSnapshot) into the data dir's
// scratch space, and loads it through the model loader under the peer's
// version number. Each version then reads Kafka from the offsets its
// snapshot includes, so it catches up on everything published since. The
// server stays NOT_SERVING until done() is true. An unreachable peer is
// retried every few seconds; a failure is logged and retried from the
// model that failed.
//
// Ownership: borrows the engine, which must outlive it.
// Thread safety: done() from any thread; the destructor stops the work.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine/builder/engine.h"

namespace strata {

class Bootstrap {
 public:
  // `peer`: host:port of a serving strata-server; `token`: the bearer token
  // its admin calls want (empty: none, the peer admits loopback callers).
  Bootstrap(std::string peer, std::string token, Engine* engine);
  ~Bootstrap();

  Bootstrap(const Bootstrap&) = delete;
  Bootstrap& operator=(const Bootstrap&) = delete;

  // Every model of the peer is serving here.
  bool done() const { return done_.load(); }

 private:
  void Run();
  // Copies and loads one model; false when it should be retried.
  bool CopyModel(const std::string& name, uint64_t version);

  const std::string peer_;
  const std::string token_;
  Engine* const engine_;
  std::atomic<bool> done_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace strata
