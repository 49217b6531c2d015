#include "server/lookup_reply.h"

#include <grpcpp/support/slice.h>

#include <string>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace strata {
namespace {

// LookupResponse.tables and TableRows.values are both field 3,
// length-delimited (wire type 2).
constexpr char kField3Tag = (3 << 3) | 2;

void AppendVarint(std::string* s, uint64_t v) {
  while (v >= 0x80) {
    s->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  s->push_back(static_cast<char>(v));
}

void UnrefMessages(void* messages) {
  static_cast<ReplyMessages*>(messages)->Unref();
}

}  // namespace

void WriteLookupReply(ReplyMessages* messages, grpc::ByteBuffer* out) {
  v1::LookupResponse& reply = *messages->reply();
  std::vector<grpc::Slice> slices;
  slices.reserve(2 * reply.tables_size() + 1);
  // The bytes since the last borrowed rows.
  std::string head;
  {  // model and version: the reply without its tables
    google::protobuf::RepeatedPtrField<v1::TableRows> tables;
    tables.Swap(reply.mutable_tables());
    reply.AppendToString(&head);
    tables.Swap(reply.mutable_tables());
  }
  for (v1::TableRows& table : *reply.mutable_tables()) {
    std::string* values = table.mutable_values();
    head.push_back(kField3Tag);
    if (values->size() < kMinBorrowedRowBytes) {
      AppendVarint(&head, table.ByteSizeLong());
      table.AppendToString(&head);
      continue;
    }
    // The table without its rows, then the rows' tag and length; the rows
    // themselves follow as a borrowed slice.
    std::string rows;
    rows.swap(*values);  // O(1): the buffer stays where it is
    const size_t rows_bytes = rows.size();
    const size_t rest = table.ByteSizeLong();
    AppendVarint(
        &head,
        rest + 1 +
            google::protobuf::io::CodedOutputStream::VarintSize64(rows_bytes) +
            rows_bytes);
    table.AppendToString(&head);
    head.push_back(kField3Tag);
    AppendVarint(&head, rows_bytes);
    rows.swap(*values);
    slices.emplace_back(head);
    head.clear();
    messages->Ref();
    slices.emplace_back(values->data(), rows_bytes, &UnrefMessages, messages);
  }
  if (!head.empty() || slices.empty()) slices.emplace_back(head);
  grpc::ByteBuffer buffer(slices.data(), slices.size());
  out->Swap(&buffer);
}

}  // namespace strata
