// AdminAuth's decision table (token, client-certificate SAN, loopback-only),
// its constant-time comparison, and the security and Kafka pass-through
// options of strata-server.
#include "server/security/admin_auth.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "server/server_options.h"
#include "tests/unit/test_util.h"

namespace strata {
namespace {

using grpc::StatusCode;

AdminAuth MakeAuth(const std::string& token,
                   std::vector<std::string> sans = {}) {
  testing::TempDir dir;
  AdminAuthOptions options{.allowed_sans = std::move(sans)};
  if (!token.empty()) {
    options.token_file = dir.path() + "/token";
    std::ofstream(options.token_file) << token << "\n";
  }
  absl::StatusOr<AdminAuth> auth = AdminAuth::Create(options);
  REQUIRE(auth.ok());
  return *auth;
}

PresentedCredentials Call(std::string peer,
                          std::optional<std::string> authorization = {},
                          std::vector<std::string> sans = {}) {
  PresentedCredentials c;
  c.peer = std::move(peer);
  c.authorization = std::move(authorization);
  c.has_client_cert = !sans.empty();
  c.sans = std::move(sans);
  return c;
}

constexpr const char* kRemote = "ipv4:10.1.2.3:55000";

TEST_CASE("with nothing configured, admin is served to loopback peers only") {
  AdminAuth auth = MakeAuth("");
  CHECK(auth.Decide(Call("ipv4:127.0.0.1:4000")).ok());
  CHECK(auth.Decide(Call("ipv6:[::1]:4000")).ok());
  CHECK(auth.Decide(Call("ipv6:[::ffff:127.0.0.1]:4000")).ok());
  CHECK(auth.Decide(Call("unix:/run/strata.sock")).ok());
  grpc::Status remote = auth.Decide(Call(kRemote));
  CHECK(remote.error_code() == StatusCode::PERMISSION_DENIED);
  CHECK_THAT(remote.error_message(),
             Catch::Matchers::Contains("admin_token_file"));
  // A token sent to a server that has none does not open remote admin.
  CHECK(auth.Decide(Call(kRemote, "Bearer x")).error_code() ==
        StatusCode::PERMISSION_DENIED);
  CHECK(auth.Describe() == "loopback peers only");
}

TEST_CASE(
    "a bearer token admits, none is UNAUTHENTICATED, a wrong one "
    "PERMISSION_DENIED") {
  AdminAuth auth = MakeAuth("s3cret-token");
  CHECK(auth.Decide(Call(kRemote, "Bearer s3cret-token")).ok());
  CHECK(auth.Decide(Call(kRemote)).error_code() == StatusCode::UNAUTHENTICATED);
  // Loopback is no longer enough once a token is configured.
  CHECK(auth.Decide(Call("ipv4:127.0.0.1:1")).error_code() ==
        StatusCode::UNAUTHENTICATED);
  for (const char* wrong :
       {"Bearer s3cret-tokeN", "Bearer s3cret-token ", "Bearer s3cret",
        "Bearer ", "s3cret-token", "Basic s3cret-token", ""}) {
    INFO(wrong);
    CHECK(auth.Decide(Call(kRemote, wrong)).error_code() ==
          StatusCode::PERMISSION_DENIED);
  }
}

TEST_CASE("a client certificate admits when one of its SANs is allowed") {
  AdminAuth auth = MakeAuth("", {"admin.strata.test", "ops.strata.test"});
  CHECK(auth.Decide(Call(kRemote, {}, {"x.test", "ops.strata.test"})).ok());
  CHECK(auth.Decide(Call(kRemote, {}, {"ranker.strata.test"})).error_code() ==
        StatusCode::PERMISSION_DENIED);
  CHECK(auth.Decide(Call(kRemote)).error_code() == StatusCode::UNAUTHENTICATED);

  AdminAuth both = MakeAuth("t", {"admin.strata.test"});
  CHECK(both.Decide(Call(kRemote, "Bearer t", {"ranker.strata.test"})).ok());
  CHECK(both.Decide(Call(kRemote, "Bearer no", {"admin.strata.test"})).ok());
  CHECK(both.Decide(Call(kRemote, "Bearer no", {"ranker.strata.test"}))
            .error_code() == StatusCode::PERMISSION_DENIED);
  CHECK_THAT(both.Describe(), Catch::Matchers::Contains("bearer token") &&
                                  Catch::Matchers::Contains("admin.strata"));
}

TEST_CASE("ConstantTimeEquals is plain equality") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abd", "abc"));
  CHECK_FALSE(ConstantTimeEquals("ab", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abcabc", "abc"));  // wraps over the secret
  CHECK_FALSE(ConstantTimeEquals("", "abc"));
  CHECK_FALSE(ConstantTimeEquals("", ""));  // an empty secret admits nobody
}

TEST_CASE("a token file that is missing or blank is refused at start") {
  testing::TempDir dir;
  CHECK(
      AdminAuth::Create({.token_file = dir.path() + "/nope"}).status().code() ==
      absl::StatusCode::kNotFound);
  std::ofstream(dir.path() + "/blank") << " \n\t\n";
  absl::Status blank =
      AdminAuth::Create({.token_file = dir.path() + "/blank"}).status();
  CHECK(blank.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(blank.message()),
             Catch::Matchers::Contains("whitespace"));
}

TEST_CASE("TLS options are checked together") {
  ServerOptions o;
  o.tls.cert_file = "server.pem";
  CHECK_FALSE(o.Validate().ok());  // no key
  o.tls.key_file = "server.key";
  CHECK(o.Validate().ok());
  o.admin_allowed_sans = "admin.strata.test";
  CHECK_FALSE(o.Validate().ok());  // SANs need mutual TLS
  o.tls.client_ca_file = "ca.pem";
  CHECK(o.Validate().ok());
  ServerOptions ca_only;
  ca_only.tls.client_ca_file = "ca.pem";
  CHECK_FALSE(ca_only.Validate().ok());
}

TEST_CASE("kafka_properties pass through to librdkafka") {
  ServerOptions o;
  REQUIRE(o.MergeJson(R"({"kafka_properties":
      "security.protocol=SASL_SSL,sasl.mechanisms=PLAIN,sasl.password=a=b"})")
              .ok());
  REQUIRE(o.Validate().ok());
  o.ResolveDerived();
  const auto& rdkafka = o.engine.updates.kafka.rdkafka;
  CHECK(rdkafka.at("security.protocol") == "SASL_SSL");
  CHECK(rdkafka.at("sasl.mechanisms") == "PLAIN");
  CHECK(rdkafka.at("sasl.password") == "a=b");  // the first '=' splits
  for (const char* bad : {"novalue", "=x", "a=1,,b=2"}) {
    INFO(bad);
    ServerOptions b;
    b.kafka_properties = bad;
    CHECK(b.Validate().code() == absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace strata
