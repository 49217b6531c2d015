#include "server/security/admin_auth.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/security/server_credentials.h"

namespace strata {
namespace {

constexpr std::string_view kBearer = "Bearer ";

grpc::Status Unauthenticated() {
  return grpc::Status(
      grpc::StatusCode::UNAUTHENTICATED,
      "admin calls need credentials: an \"authorization: Bearer <token>\" "
      "header, or a client certificate whose SAN is in admin_allowed_sans");
}

grpc::Status Denied(const std::string& why) {
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why);
}

}  // namespace

bool ConstantTimeEquals(std::string_view presented, std::string_view secret) {
  if (secret.empty()) return false;
  // Walk the presented bytes whatever they hold; fold the length difference
  // in, so neither an early mismatch nor the secret's length shows in time.
  unsigned char diff = presented.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    diff |= static_cast<unsigned char>(presented[i]) ^
            static_cast<unsigned char>(secret[i % secret.size()]);
  }
  return diff == 0;
}

bool IsLoopbackPeer(std::string_view peer) {
  return peer.starts_with("ipv4:127.") || peer.starts_with("ipv6:[::1]:") ||
         peer.starts_with("ipv6:[::ffff:127.") || peer.starts_with("unix:");
}

absl::StatusOr<AdminAuth> AdminAuth::Create(const AdminAuthOptions& options) {
  AdminAuth auth;
  if (!options.token_file.empty()) {
    absl::StatusOr<std::string> token =
        ReadSmallFile("admin_token_file", options.token_file);
    if (!token.ok()) return token.status();
    auth.token_ = std::string(absl::StripAsciiWhitespace(*token));
    if (auth.token_.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "admin_token_file ", options.token_file, " holds only whitespace"));
    }
  }
  for (const std::string& san : options.allowed_sans) {
    if (!san.empty()) auth.allowed_sans_.push_back(san);
  }
  return auth;
}

std::string AdminAuth::Describe() const {
  std::vector<std::string> ways;
  if (!token_.empty()) ways.push_back("bearer token");
  if (!allowed_sans_.empty()) {
    ways.push_back(absl::StrCat("client certificate SAN in [",
                                absl::StrJoin(allowed_sans_, ", "), "]"));
  }
  return ways.empty() ? "loopback peers only" : absl::StrJoin(ways, " or ");
}

grpc::Status AdminAuth::Decide(const PresentedCredentials& call) const {
  if (token_.empty() && allowed_sans_.empty()) {
    if (IsLoopbackPeer(call.peer)) return grpc::Status::OK;
    return Denied(absl::StrCat(
        "admin calls are served to loopback peers only (", call.peer,
        " is not); set admin_token_file or admin_allowed_sans to allow "
        "remote admin"));
  }
  for (const std::string& san : call.sans) {
    if (std::find(allowed_sans_.begin(), allowed_sans_.end(), san) !=
        allowed_sans_.end()) {
      return grpc::Status::OK;
    }
  }
  if (call.authorization.has_value()) {
    std::string_view value = *call.authorization;
    if (!token_.empty() && value.starts_with(kBearer) &&
        ConstantTimeEquals(value.substr(kBearer.size()), token_)) {
      return grpc::Status::OK;
    }
    return Denied("the admin token is not accepted");
  }
  if (call.has_client_cert) {
    return Denied(
        "the client certificate's subject alternative names are not in "
        "admin_allowed_sans");
  }
  return Unauthenticated();
}

PresentedCredentials ReadCredentials(const grpc::ServerContextBase& context) {
  PresentedCredentials call;
  call.peer = context.peer();
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    call.authorization = std::string(it->second.data(), it->second.size());
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    call.has_client_cert =
        !auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME).empty();
    for (const grpc::string_ref& san :
         auth->FindPropertyValues(GRPC_X509_SAN_PROPERTY_NAME)) {
      call.sans.emplace_back(san.data(), san.size());
    }
  }
  return call;
}

grpc::Status AdminAuth::Check(const grpc::ServerContextBase& context) const {
  return Decide(ReadCredentials(context));
}

}  // namespace strata
