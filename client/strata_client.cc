#include "client/strata_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/common/wire_dtype.h"

namespace strata {
namespace {

absl::Status FromGrpc(const grpc::Status& s, const std::string& target) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_code() == grpc::StatusCode::UNAVAILABLE
                          ? absl::StrCat(target, ": ", s.error_message())
                          : s.error_message());
}

}  // namespace

StrataClient::StrataClient(const ClientOptions& options) : options_(options) {
  absl::StatusOr<std::string> authorization =
      AuthorizationHeader(options.security);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      NewChannel(options.target, options.security);
  if (!authorization.ok()) setup_ = authorization.status();
  if (!channel.ok()) setup_ = channel.status();
  if (!setup_.ok()) return;
  authorization_ = *std::move(authorization);
  channel_ = *std::move(channel);
  embedding_ = v1::Embedding::NewStub(channel_);
  admin_ = v1::Admin::NewStub(channel_);
}

#define STRATA_CLIENT_CALL(stub, method, request_expr, response_type)       \
  constexpr bool kAdmin = std::is_same_v<decltype(stub), decltype(admin_)>; \
  if (!setup_.ok()) return setup_;                                          \
  grpc::ClientContext context;                                              \
  context.set_deadline(std::chrono::system_clock::now() +                   \
                       std::chrono::milliseconds(options_.timeout_ms));     \
  if (kAdmin && !authorization_.empty()) {                                  \
    context.AddMetadata("authorization", authorization_);                   \
  }                                                                         \
  response_type response;                                                   \
  grpc::Status status = stub->method(&context, request_expr, &response);    \
  if (!status.ok()) return FromGrpc(status, options_.target);               \
  return response

absl::StatusOr<v1::LookupResponse> StrataClient::Lookup(
    const v1::LookupRequest& request) {
  STRATA_CLIENT_CALL(embedding_, Lookup, request, v1::LookupResponse);
}

absl::StatusOr<v1::InferResponse> StrataClient::Infer(
    const v1::InferRequest& request) {
  STRATA_CLIENT_CALL(embedding_, Infer, request, v1::InferResponse);
}

absl::StatusOr<v1::ListModelsResponse> StrataClient::ListModels() {
  STRATA_CLIENT_CALL(admin_, ListModels, v1::ListModelsRequest(),
                     v1::ListModelsResponse);
}

absl::StatusOr<v1::GetStatsResponse> StrataClient::GetStats() {
  STRATA_CLIENT_CALL(admin_, GetStats, v1::GetStatsRequest(),
                     v1::GetStatsResponse);
}

absl::StatusOr<v1::LoadModelResponse> StrataClient::LoadModel(
    const v1::LoadModelRequest& request) {
  STRATA_CLIENT_CALL(admin_, LoadModel, request, v1::LoadModelResponse);
}

absl::StatusOr<v1::GetModelResponse> StrataClient::GetModel(
    const std::string& name) {
  v1::GetModelRequest request;
  request.set_name(name);
  STRATA_CLIENT_CALL(admin_, GetModel, request, v1::GetModelResponse);
}

absl::StatusOr<v1::UnloadModelResponse> StrataClient::UnloadModel(
    const v1::UnloadModelRequest& request) {
  STRATA_CLIENT_CALL(admin_, UnloadModel, request, v1::UnloadModelResponse);
}

absl::StatusOr<v1::ServeVersionResponse> StrataClient::ServeVersion(
    const std::string& name, uint64_t version) {
  v1::ServeVersionRequest request;
  request.set_name(name);
  request.set_version(version);
  STRATA_CLIENT_CALL(admin_, ServeVersion, request, v1::ServeVersionResponse);
}

#undef STRATA_CLIENT_CALL

void CopyRow(const v1::TableRows& rows, size_t i, float* out) {
  const size_t dim = rows.dim();
  if (rows.value_dtype() == v1::FLOAT32) {
    std::memcpy(out, rows.values().data() + i * dim * sizeof(float),
                dim * sizeof(float));
    return;
  }
  uint16_t narrow[64];
  for (size_t first = 0; first < dim; first += 64) {
    const size_t n = std::min<size_t>(64, dim - first);
    std::memcpy(narrow,
                rows.values().data() + (i * dim + first) * sizeof(uint16_t),
                n * sizeof(uint16_t));
    if (rows.value_dtype() == v1::BFLOAT16) {
      for (size_t j = 0; j < n; ++j)
        out[first + j] = Bfloat16ToFloat(narrow[j]);
    } else {
      HalvesToFloats(narrow, n, out + first);
    }
  }
}

}  // namespace strata
