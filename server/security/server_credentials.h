// Server transport credentials from PEM files: plaintext when no certificate
// is configured, TLS with a certificate and key, and mutual TLS (every client
// must present a certificate signed by the CA) when a client CA is given too.
//
// A plain function over the files; reads them once, at start.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class ServerCredentials;
}

namespace strata {

struct TlsFiles {
  std::string cert_file;       // server certificate chain (PEM); "" = plain
  std::string key_file;        // its private key (PEM)
  std::string client_ca_file;  // CA of client certificates: mTLS when set

  bool enabled() const { return !cert_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

// Errors: a key without a certificate (or the reverse), a client CA without
// a server certificate, or a file that cannot be read — naming the file.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
MakeServerCredentials(const TlsFiles& files);

// The whole content of a small file (certificates, keys, tokens).
[[nodiscard]] absl::StatusOr<std::string> ReadSmallFile(
    const std::string& what, const std::string& path);

}  // namespace strata
