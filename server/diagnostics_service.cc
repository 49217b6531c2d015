#include "server/diagnostics_service.h"

#include <string>

namespace strata {

grpc::ServerUnaryReactor* DiagnosticsService::Echo(
    grpc::CallbackServerContext* context, const v1::EchoRequest* request,
    v1::EchoResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->reply_bytes() > max_reply_bytes_) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "reply_bytes " + std::to_string(request->reply_bytes()) +
            " exceeds max_message_bytes " + std::to_string(max_reply_bytes_)));
    return reactor;
  }
  response->mutable_payload()->resize(request->reply_bytes());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace strata
