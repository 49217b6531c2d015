// End to end: TLS and mutual TLS on the gRPC port with certificates made
// here by openssl, the admin bearer token and certificate SANs, and the
// Diagnostics service that is off unless asked for — the real strata-server
// and strata CLI over loopback.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "client/strata_client.h"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;
const std::string kOpenssl = "/usr/bin/openssl";

void Run(const std::vector<std::string>& argv) {
  CommandResult r = RunCommand(argv);
  INFO(argv[1] << ": " << r.err);
  REQUIRE(r.exit_code == 0);
}

// A CA, a server certificate for 127.0.0.1, and two client certificates:
// "admin" (SAN admin.strata.test) and "ranker" (SAN ranker.strata.test).
struct Pki {
  std::string dir;

  explicit Pki(const std::string& d) : dir(d) {
    const std::vector<std::string> ec = {
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    std::vector<std::string> ca = {kOpenssl,
                                   "req",
                                   "-x509",
                                   "-keyout",
                                   dir + "/ca.key",
                                   "-out",
                                   dir + "/ca.pem",
                                   "-days",
                                   "2",
                                   "-subj",
                                   "/CN=strata-test-ca"};
    ca.insert(ca.begin() + 3, ec.begin(), ec.end());
    Run(ca);
    Issue("server",
          "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
          "extendedKeyUsage=serverAuth\n");
    Issue("admin",
          "subjectAltName=DNS:admin.strata.test\n"
          "extendedKeyUsage=clientAuth\n");
    Issue("ranker",
          "subjectAltName=DNS:ranker.strata.test\n"
          "extendedKeyUsage=clientAuth\n");
  }

  void Issue(const std::string& name, const std::string& extensions) {
    std::ofstream(dir + "/" + name + ".ext") << extensions;
    Run({kOpenssl, "req", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", Key(name), "-out",
         dir + "/" + name + ".csr", "-subj", "/CN=" + name});
    Run({kOpenssl, "x509", "-req", "-in", dir + "/" + name + ".csr", "-CA",
         Ca(), "-CAkey", dir + "/ca.key", "-CAcreateserial", "-days", "2",
         "-extfile", dir + "/" + name + ".ext", "-out", Cert(name)});
  }

  std::string Ca() const { return dir + "/ca.pem"; }
  std::string Cert(const std::string& n) const {
    return dir + "/" + n + ".pem";
  }
  std::string Key(const std::string& n) const { return dir + "/" + n + ".key"; }
};

// A model, certificates, and a token file, in one temp dir.
struct Fixture {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  std::string token_file = dir.path() + "/admin.token";
  std::string wrong_token_file = dir.path() + "/wrong.token";
  Pki pki{dir.path()};

  Fixture() {
    Run({kCli, "gen-model", "--out", dir.path() + "/model", "--tables", "2",
         "--rows", "100", "--dim", "4", "--seed", "3"});
    Run({kCli, "import", "--data-dir", data_dir, "--model", "demo", "--from",
         dir.path() + "/model"});
    std::ofstream(token_file) << "correct-horse-battery\n";
    std::ofstream(wrong_token_file) << "wrong-horse\n";
  }

  std::vector<std::string> Tls(bool mutual) const {
    std::vector<std::string> flags = {"--data-dir",      data_dir,
                                      "--tls-cert-file", pki.Cert("server"),
                                      "--tls-key-file",  pki.Key("server")};
    if (mutual) {
      flags.insert(flags.end(), {"--tls-client-ca-file", pki.Ca()});
    }
    return flags;
  }

  ClientOptions Client(const ServerProcess& server,
                       const std::string& cert = "") const {
    ClientOptions o;
    o.target = server.target();
    o.timeout_ms = 5000;
    o.security.tls_ca = pki.Ca();
    if (!cert.empty()) {
      o.security.tls_cert = pki.Cert(cert);
      o.security.tls_key = pki.Key(cert);
    }
    return o;
  }
};

v1::LookupRequest DemoLookup() {
  v1::LookupRequest r;
  r.set_model("demo");
  v1::TableKeys* t = r.add_tables();
  t->set_table("t0");
  t->add_keys(1);
  t->add_keys(2);
  return r;
}

}  // namespace

TEST_CASE(
    "TLS: a client that trusts the CA is served, plaintext fails "
    "cleanly",
    "[e2e][security]") {
  Fixture f;
  ServerProcess server(kServer, f.Tls(/*mutual=*/false), f.dir.path());
  INFO(server.log());
  REQUIRE(server.running());

  StrataClient tls(f.Client(server));
  absl::StatusOr<v1::LookupResponse> reply = tls.Lookup(DemoLookup());
  INFO(reply.status().message());
  REQUIRE(reply.ok());
  CHECK(reply->tables(0).dim() == 4);

  ClientOptions plain_options{server.target(), 2000};
  StrataClient plain(plain_options);
  absl::StatusOr<v1::LookupResponse> refused = plain.Lookup(DemoLookup());
  CHECK(refused.status().code() == absl::StatusCode::kUnavailable);

  // The CLI takes the same flags; the server is unharmed by the plaintext
  // attempt.
  CommandResult models = RunCommand(
      {kCli, "models", "--target", server.target(), "--tls-ca", f.pki.Ca()});
  INFO(models.err);
  CHECK(models.exit_code == 0);
  CHECK(server.running());
  CHECK(server.Stop() == 0);
}

TEST_CASE("mutual TLS: a client without a certificate is refused",
          "[e2e][security]") {
  Fixture f;
  ServerProcess server(kServer, f.Tls(/*mutual=*/true), f.dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient anonymous(f.Client(server));
  CHECK(anonymous.Lookup(DemoLookup()).status().code() ==
        absl::StatusCode::kUnavailable);
  StrataClient ranker(f.Client(server, "ranker"));
  CHECK(ranker.Lookup(DemoLookup()).ok());
  CHECK(server.Stop() == 0);
}

TEST_CASE(
    "admin token: none is UNAUTHENTICATED, wrong is PERMISSION_DENIED, "
    "ListModels stays open",
    "[e2e][security]") {
  Fixture f;
  ServerProcess server(
      kServer, {"--data-dir", f.data_dir, "--admin-token-file", f.token_file},
      f.dir.path());
  INFO(server.log());
  REQUIRE(server.running());

  ClientOptions o{server.target(), 5000};
  StrataClient none(o);
  CHECK(none.GetStats().status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(none.ListModels().ok());
  CHECK(none.Lookup(DemoLookup()).ok());
  o.security.token_file = f.wrong_token_file;
  StrataClient wrong(o);
  CHECK(wrong.GetStats().status().code() ==
        absl::StatusCode::kPermissionDenied);
  o.security.token_file = f.token_file;
  StrataClient right(o);
  CHECK(right.GetStats().ok());

  CommandResult denied =
      RunCommand({kCli, "stats", "--target", server.target()});
  CHECK(denied.exit_code != 0);
  CHECK_THAT(denied.err, Catch::Matchers::Contains("UNAUTHENTICATED"));
  CommandResult stats = RunCommand({kCli, "stats", "--target", server.target(),
                                    "--token-file", f.token_file});
  INFO(stats.err);
  CHECK(stats.exit_code == 0);
  // PushUpdates is admin too.
  auto admin = v1::Admin::NewStub(
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  v1::PushUpdatesResponse pushed;
  CHECK(admin->PushUpdates(&context, v1::PushUpdatesRequest(), &pushed)
            .error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(server.Stop() == 0);
}

TEST_CASE(
    "admin by client certificate: an allowed SAN is admitted, another "
    "is PERMISSION_DENIED",
    "[e2e][security]") {
  Fixture f;
  std::vector<std::string> flags = f.Tls(/*mutual=*/true);
  flags.insert(flags.end(), {"--admin-allowed-sans", "admin.strata.test"});
  ServerProcess server(kServer, flags, f.dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient admin(f.Client(server, "admin"));
  absl::StatusOr<v1::GetStatsResponse> stats = admin.GetStats();
  INFO(stats.status().message());
  CHECK(stats.ok());
  StrataClient ranker(f.Client(server, "ranker"));
  CHECK(ranker.GetStats().status().code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(ranker.Lookup(DemoLookup()).ok());
  CHECK(server.Stop() == 0);
}

TEST_CASE("Diagnostics/Echo is off unless enable_diagnostics",
          "[e2e][security]") {
  Fixture f;
  ServerProcess server(kServer, {"--data-dir", f.data_dir}, f.dir.path());
  REQUIRE(server.running());
  CommandResult bench = RunCommand(
      {kCli, "bench", "--target", server.target(), "--model", "demo", "--batch",
       "2", "--duration", "0.2", "--warmup", "0", "--compare-echo"});
  CHECK(bench.exit_code == 1);
  CHECK_THAT(bench.err, Catch::Matchers::Contains("--enable-diagnostics"));
  CHECK(server.Stop() == 0);
}

TEST_CASE("TLS files that are missing or unpaired stop the server at start",
          "[e2e][security]") {
  Fixture f;
  CommandResult missing = RunCommand(
      {kServer, "--data-dir", f.data_dir, "--listen", "127.0.0.1:0",
       "--metrics-listen", "", "--tls-cert-file", f.dir.path() + "/none.pem",
       "--tls-key-file", f.pki.Key("server")});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Matchers::Contains("none.pem"));
  CommandResult unpaired =
      RunCommand({kServer, "--data-dir", f.data_dir, "--listen", "127.0.0.1:0",
                  "--tls-cert-file", f.pki.Cert("server")});
  CHECK(unpaired.exit_code == 2);
  CHECK_THAT(unpaired.err, Catch::Matchers::Contains("tls_key_file"));
}

}  // namespace strata::testing
