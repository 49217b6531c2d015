// WriteLookupReply: the wire bytes parse back to the same LookupResponse
// (random replies around the borrowing threshold, every field set), the rows
// of large tables are sent from the message's own buffers (no copy), and the
// pooled messages go back to their pool only after the call and every slice
// have let go of them.
#include "server/lookup_reply.h"

#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/support/slice.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace strata::testing {
namespace {

// A pooled pair as MessagePool hands one out; Release counts.
class CountingHolder final : public ReplyMessages::Holder {
 public:
  explicit CountingHolder(int* releases) : releases_(releases) {
    set_request(&request_);
    set_response(&reply_);
  }
  void Release() override { ++*releases_; }

  v1::LookupRequest request_;
  v1::LookupResponse reply_;

 private:
  int* const releases_;
};

std::string Concatenate(const std::vector<grpc::Slice>& slices) {
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

void RandomReply(std::mt19937_64& rng, v1::LookupResponse* reply) {
  auto pick = [&](uint64_t n) { return rng() % n; };
  reply->set_model(pick(4) == 0 ? "" : "model-" + std::to_string(pick(100)));
  reply->set_version(pick(3) == 0 ? 0 : rng());
  const int tables = static_cast<int>(pick(6));
  const size_t sizes[] = {0,
                          1,
                          64,
                          kMinBorrowedRowBytes - 1,
                          kMinBorrowedRowBytes,
                          kMinBorrowedRowBytes + 1,
                          16384,
                          200000};
  for (int i = 0; i < tables; ++i) {
    v1::TableRows* t = reply->add_tables();
    t->set_table("t" + std::to_string(i));
    t->set_dim(static_cast<uint32_t>(pick(300)));
    std::string values(sizes[pick(std::size(sizes))], '\0');
    for (char& c : values) c = static_cast<char>(rng());
    t->set_values(std::move(values));
    t->set_value_dtype(static_cast<v1::ValueDtype>(pick(3)));
    if (pick(2) == 0) {
      for (int k = static_cast<int>(pick(40)); k > 0; --k) {
        t->add_is_default(pick(2) == 0);
      }
    } else {
      for (int k = static_cast<int>(pick(10)); k > 0; --k) {
        t->add_default_counts(static_cast<uint32_t>(pick(1000)));
      }
    }
  }
}

TEST_CASE("WriteLookupReply round-trips random replies without copying rows",
          "[lookup_reply]") {
  std::mt19937_64 rng(20261205);
  for (int round = 0; round < 300; ++round) {
    INFO("round " << round);
    int releases = 0;
    auto* holder = new CountingHolder(&releases);
    RandomReply(rng, &holder->reply_);
    const v1::LookupResponse expected = holder->reply_;
    auto* messages = new ReplyMessages(holder);
    {
      grpc::ByteBuffer wire;
      WriteLookupReply(messages, &wire);
      // The reply's own buffers are untouched by writing it.
      REQUIRE(google::protobuf::util::MessageDifferencer::Equals(holder->reply_,
                                                                 expected));
      std::vector<grpc::Slice> slices;
      REQUIRE(wire.Dump(&slices).ok());
      v1::LookupResponse parsed;
      REQUIRE(parsed.ParseFromString(Concatenate(slices)));
      REQUIRE(
          google::protobuf::util::MessageDifferencer::Equals(parsed, expected));
      // Every table of at least kMinBorrowedRowBytes is a slice of its own
      // that points at the message's buffer.
      int borrowed_tables = 0;
      for (const v1::TableRows& t : holder->reply_.tables()) {
        const bool borrowed = t.values().size() >= kMinBorrowedRowBytes;
        borrowed_tables += borrowed;
        bool found = false;
        for (const grpc::Slice& s : slices) {
          found = found || (reinterpret_cast<const char*>(s.begin()) ==
                                t.values().data() &&
                            s.size() == t.values().size());
        }
        CHECK(found == borrowed);
      }
      // The call lets go first; the slices still hold the messages.
      messages->Unref();
      CHECK(releases == (borrowed_tables > 0 ? 0 : 1));
    }
    // The buffer and its slices are gone: released exactly once.
    CHECK(releases == 1);
    delete holder;
  }
}

TEST_CASE("WriteLookupReply releases the messages after the last slice",
          "[lookup_reply]") {
  int releases = 0;
  CountingHolder holder(&releases);
  for (int i = 0; i < 3; ++i) {
    v1::TableRows* t = holder.reply_.add_tables();
    t->set_table("t");
    t->set_values(std::string(4096, 'x'));
  }
  auto* messages = new ReplyMessages(&holder);
  auto wire = std::make_unique<grpc::ByteBuffer>();
  WriteLookupReply(messages, wire.get());
  std::vector<grpc::Slice> slices;
  REQUIRE(wire->Dump(&slices).ok());
  messages->Unref();
  wire.reset();
  CHECK(releases == 0);  // `slices` still refers to the rows
  slices.pop_back();
  CHECK(releases == 0);
  slices.clear();
  CHECK(releases == 1);
}

}  // namespace
}  // namespace strata::testing
