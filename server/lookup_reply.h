// Zero-copy Lookup replies. A LookupResponse goes to the wire as a
// grpc::ByteBuffer whose row bytes are not copied: each table's `values`
// travel as a slice that points into the message itself, and only the small
// rest (model, names, dims, default flags and counts) is serialized by
// protobuf into a few short slices. The bytes are a valid LookupResponse —
// protobuf reads a message's fields in any order and merges concatenated
// messages, so each table's rows follow the rest of its TableRows.
//
// ReplyMessages is one call's pooled request/reply pair (MessagePool) with a
// reference count: the call holds one reference and each row slice holds
// one, so the pair goes back to the pool only after gRPC has sent (or
// dropped) the last slice that points into it.
//
// Ownership: ReplyMessages deletes itself at its last Unref. The ByteBuffer
// that WriteLookupReply fills borrows the reply's buffers; the reply must not
// change while any reference is held.
// Thread safety: Ref/Unref from any thread (gRPC frees slices on its own
// threads); the messages themselves are touched by one thread at a time.
#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/message_allocator.h>

#include <atomic>
#include <memory>

#include "strata/v1/embedding.pb.h"

namespace strata {

class ReplyMessages {
 public:
  using Holder = grpc::MessageHolder<v1::LookupRequest, v1::LookupResponse>;

  // Takes one reference; `holder` is released to its pool at the last Unref.
  explicit ReplyMessages(Holder* holder) : holder_(holder) {}

  ReplyMessages(const ReplyMessages&) = delete;
  ReplyMessages& operator=(const ReplyMessages&) = delete;

  v1::LookupRequest* request() { return holder_->request(); }
  v1::LookupResponse* reply() { return holder_->response(); }

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      holder_->Release();
      delete this;
    }
  }

 private:
  ~ReplyMessages() = default;

  Holder* const holder_;
  std::atomic<int> refs_{1};
};

// Drops its reference on destruction.
struct ReplyMessagesUnref {
  void operator()(ReplyMessages* m) const { m->Unref(); }
};
using ReplyMessagesRef = std::unique_ptr<ReplyMessages, ReplyMessagesUnref>;

// Rows shorter than this are copied with the rest of the reply (a slice of
// their own would cost more than the copy).
inline constexpr size_t kMinBorrowedRowBytes = 1024;

// Replaces `out` with the wire bytes of `messages->reply()`. Each table's
// values of at least kMinBorrowedRowBytes are borrowed (one reference each).
void WriteLookupReply(ReplyMessages* messages, grpc::ByteBuffer* out);

}  // namespace strata
