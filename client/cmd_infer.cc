// strata infer: one Infer call from a JSON input file (client/infer_input.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/commands.h"
#include "client/infer_input.h"
#include "client/strata_client.h"
#include "nlohmann/json.hpp"

namespace strata::cli {

void AddInfer(CLI::App& app) {
  struct Args {
    ClientOptions client;
    std::string model;
    uint64_t version = 0;
    std::string input;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "infer",
      "Run a model's dense network on samples from a JSON file: "
      "{\"dense\": [[f, ...], ...], \"keys\": {\"t0\": [k, ...], \"t1\": "
      "[[k, k], [k], ...]}, \"pooling\": {\"t1\": \"SUM\"|\"MEAN\"}}");
  AddConnectionFlags(cmd, &args->client);
  cmd->add_option("--model", args->model, "Model name")->required();
  cmd->add_option("--version", args->version, "Version (0 = serving)")
      ->capture_default_str();
  cmd->add_option("--input", args->input, "JSON input file (- = stdin)")
      ->required();
  cmd->add_flag("--json", args->json,
                "Print {\"model\",\"version\",\"outputs\",\"default_rows\"}");
  cmd->callback([args] {
    std::stringstream text;
    if (args->input == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream file(args->input);
      if (!file) Fail("infer", "cannot read " + args->input, 2);
      text << file.rdbuf();
    }
    nlohmann::json input =
        nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (input.is_discarded()) {
      Fail("infer", args->input + " is not JSON", 2);
    }
    absl::StatusOr<v1::InferRequest> request = InferRequestFromJson(input);
    if (!request.ok()) {
      Fail("infer", absl::StrCat(args->input, ": ", request.status().message()),
           2);
    }
    request->set_model(args->model);
    request->set_version(args->version);
    StrataClient client(args->client);
    absl::StatusOr<v1::InferResponse> reply = client.Infer(*request);
    if (!reply.ok()) {
      Fail("infer",
           absl::StrCat(absl::StatusCodeToString(reply.status().code()), ": ",
                        reply.status().message()));
    }
    nlohmann::json out = InferResponseToJson(*reply);
    if (args->json) {
      std::printf("%s\n", out.dump().c_str());
      return;
    }
    std::printf("model %s version %llu, %u samples, %llu default rows\n",
                reply->model().c_str(),
                static_cast<unsigned long long>(reply->version()),
                request->batch(),
                static_cast<unsigned long long>(reply->default_rows()));
    for (const auto& [name, values] : out["outputs"].items()) {
      std::printf("%s: %s\n", name.c_str(), values.dump().c_str());
    }
  });
}

}  // namespace strata::cli
