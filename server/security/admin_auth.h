// AdminAuth: who may call strata.v1.Admin's state-changing and internal
// methods (GetStats, PushUpdates, model load/unload). A caller is admitted by
// a bearer token (`authorization: Bearer <token>` metadata, the token read
// from admin_token_file and compared in constant time) or by a verified
// client certificate (mutual TLS) one of whose subject alternative names is
// in admin_allowed_sans. With neither configured, admin calls are served to
// loopback peers only.
//
// Outcomes: admitted → OK; nothing presented → UNAUTHENTICATED; a token or a
// certificate that is not accepted, or a remote peer when nothing is
// configured → PERMISSION_DENIED.
//
// Constant after Create; Check is thread-safe.
#pragma once

#include <grpcpp/server_context.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

struct AdminAuthOptions {
  std::string token_file;                 // "" = no token
  std::vector<std::string> allowed_sans;  // empty = no certificate admits
};

// What a call brings, as read off its context.
struct PresentedCredentials {
  std::string peer;                          // grpc peer URI, "ipv4:1.2.3.4:5"
  std::optional<std::string> authorization;  // the metadata value, if sent
  bool has_client_cert = false;              // a verified client certificate
  std::vector<std::string> sans;             // its subject alternative names
};

class AdminAuth {
 public:
  [[nodiscard]] static absl::StatusOr<AdminAuth> Create(
      const AdminAuthOptions& options);

  // The decision for one call.
  [[nodiscard]] grpc::Status Check(
      const grpc::ServerContextBase& context) const;
  [[nodiscard]] grpc::Status Decide(const PresentedCredentials& call) const;

  // For the start-up log: "bearer token", "client certificate SAN", or
  // "loopback only".
  std::string Describe() const;

 private:
  AdminAuth() = default;

  std::string token_;
  std::vector<std::string> allowed_sans_;
};

// "ipv4:127.x.x.x:port", "ipv6:[::1]:port", "ipv6:[::ffff:127.0.0.1]:port" and
// unix sockets.
bool IsLoopbackPeer(std::string_view peer);

// Equal strings; the time taken depends only on the length of `presented`.
bool ConstantTimeEquals(std::string_view presented, std::string_view secret);

PresentedCredentials ReadCredentials(const grpc::ServerContextBase& context);

}  // namespace strata
