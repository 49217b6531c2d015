// StrataClient: a small C++ client of strata.v1. Every call carries the
// deadline of ClientOptions::timeout_ms; the channel is NewChannel's
// (channel.h: TLS, round_robin, retries of UNAVAILABLE), and admin calls
// carry the bearer token of security.token_file. A setup error (an
// unreadable certificate or token file) is what every call returns.
//
// Ownership: owns its channel. Thread safety: safe for concurrent calls
// (gRPC stubs are).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/channel.h"
#include "strata/v1/admin.grpc.pb.h"
#include "strata/v1/embedding.grpc.pb.h"

namespace grpc {
class Channel;
}

namespace strata {

struct ClientOptions {
  std::string target = "localhost:8500";  // host:port of strata-server
  uint32_t timeout_ms = 5000;             // deadline of every call
  ChannelSecurity security;               // TLS files and admin token
};

class StrataClient {
 public:
  explicit StrataClient(const ClientOptions& options);

  [[nodiscard]] absl::StatusOr<v1::LookupResponse> Lookup(
      const v1::LookupRequest& request);
  [[nodiscard]] absl::StatusOr<v1::InferResponse> Infer(
      const v1::InferRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ListModelsResponse> ListModels();
  [[nodiscard]] absl::StatusOr<v1::GetStatsResponse> GetStats();
  [[nodiscard]] absl::StatusOr<v1::LoadModelResponse> LoadModel(
      const v1::LoadModelRequest& request);
  [[nodiscard]] absl::StatusOr<v1::GetModelResponse> GetModel(
      const std::string& name);
  [[nodiscard]] absl::StatusOr<v1::UnloadModelResponse> UnloadModel(
      const v1::UnloadModelRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ServeVersionResponse> ServeVersion(
      const std::string& name, uint64_t version);

 private:
  const ClientOptions options_;
  absl::Status setup_;         // why the channel could not be built
  std::string authorization_;  // "Bearer <token>" for admin calls, or ""
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Embedding::Stub> embedding_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

// Reads row `i` of a TableRows reply into `out` (dim floats), widening
// FLOAT16 and BFLOAT16 rows.
void CopyRow(const v1::TableRows& rows, size_t i, float* out);

}  // namespace strata
