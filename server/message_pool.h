// MessagePool: a gRPC MessageAllocator that recycles request/reply pairs of
// one callback method. A Lookup reply for a Criteo-sized batch is close to a
// megabyte; reusing messages keeps their buffers (protobuf Clear() keeps
// string and repeated-field capacity), so steady traffic allocates nothing
// per call. `reset` prepares a released pair for its next call (for example
// Clear() both). The pool keeps at most `max_pooled` pairs holding at most
// `max_pooled_bytes` in all; a pair that does not fit is freed, so neither a
// burst of calls nor one huge request pins memory.
//
// Ownership: owns pooled pairs; must outlive the server it is set on.
// Thread safety: safe for concurrent calls (gRPC allocates and releases from
// many threads).
#pragma once

#include <grpcpp/support/message_allocator.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace strata {

template <typename Request, typename Response>
class MessagePool final : public grpc::MessageAllocator<Request, Response> {
 public:
  // `bytes_held(request, reply)` estimates the buffers a pair keeps.
  MessagePool(size_t max_pooled, size_t max_pooled_bytes,
              std::function<size_t(const Request&, const Response&)> bytes_held,
              std::function<void(Request*, Response*)> reset)
      : max_pooled_(max_pooled),
        max_pooled_bytes_(max_pooled_bytes),
        bytes_held_(std::move(bytes_held)),
        reset_(std::move(reset)) {}

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        Holder* h = free_.back().release();
        free_.pop_back();
        pooled_bytes_ -= h->bytes_;
        return h;
      }
    }
    return new Holder(this);
  }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    explicit Holder(MessagePool* pool) : pool_(pool) {
      this->set_request(&request_);
      this->set_response(&response_);
    }
    void Release() override { pool_->Recycle(this); }

    Request request_;
    Response response_;
    size_t bytes_ = 0;  // what bytes_held said when it was pooled

   private:
    MessagePool* const pool_;
  };

  void Recycle(Holder* h) {
    std::unique_ptr<Holder> owned(h);
    const size_t bytes = bytes_held_(h->request_, h->response_);
    reset_(&h->request_, &h->response_);
    std::lock_guard lock(mu_);
    if (free_.size() >= max_pooled_ ||
        pooled_bytes_ + bytes > max_pooled_bytes_)
      return;
    h->bytes_ = bytes;
    pooled_bytes_ += bytes;
    free_.push_back(std::move(owned));
  }

  const size_t max_pooled_;
  const size_t max_pooled_bytes_;
  const std::function<size_t(const Request&, const Response&)> bytes_held_;
  const std::function<void(Request*, Response*)> reset_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Holder>> free_;  // Guarded by mu_.
  size_t pooled_bytes_ = 0;                    // Guarded by mu_.
};

}  // namespace strata
