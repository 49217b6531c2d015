// Subcommands that call a running strata-server: lookup, models, stats
// (infer is in cmd_infer.cc).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "client/commands.h"
#include "client/strata_client.h"
#include "nlohmann/json.hpp"

namespace strata::cli {

void AddConnectionFlags(CLI::App* cmd, ClientOptions* options) {
  cmd->add_option("--target", options->target, "strata-server host:port")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", options->timeout_ms, "Deadline of the call")
      ->capture_default_str();
  AddSecurityFlags(cmd, &options->security);
}

namespace {

// "(B, 26, 16)": -1 (the batch axis) prints as B.
std::string ShapeText(const google::protobuf::RepeatedField<int64_t>& shape) {
  std::string text = "(";
  for (int i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += shape[i] < 0 ? "B" : std::to_string(shape[i]);
  }
  return text + ")";
}

std::vector<int64_t> ParseKeys(const std::string& text) {
  std::vector<int64_t> keys;
  if (text.empty()) return keys;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t key;
    if (!absl::SimpleAtoi(part, &key)) {
      Fail("lookup", "not an int64 key: \"" + std::string(part) + "\"", 2);
    }
    keys.push_back(key);
  }
  return keys;
}

}  // namespace

void AddLookup(CLI::App& app) {
  struct Args {
    ClientOptions client;
    std::string model;
    uint64_t version = 0;
    std::string table;
    std::string keys;
    std::string dtype = "float32";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "lookup", "Look keys up in one table of a model and print the rows");
  AddConnectionFlags(cmd, &args->client);
  cmd->add_option("--model", args->model, "Model name")->required();
  cmd->add_option("--version", args->version, "Model version (0 = serving)");
  cmd->add_option("--table", args->table, "Table name")->required();
  cmd->add_option("--keys", args->keys, "Comma-separated int64 keys")
      ->required();
  cmd->add_option("--dtype", args->dtype,
                  "Row values on the wire: float32, float16 or bfloat16")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "float16", "bfloat16"}));
  cmd->add_flag("--json", args->json,
                "Print {\"model\",\"table\",\"dim\",\"rows\",\"defaults\"}");
  cmd->callback([args] {
    v1::LookupRequest request;
    request.set_model(args->model);
    request.set_version(args->version);
    request.set_value_dtype(args->dtype == "float16"    ? v1::FLOAT16
                            : args->dtype == "bfloat16" ? v1::BFLOAT16
                                                        : v1::FLOAT32);
    v1::TableKeys* t = request.add_tables();
    t->set_table(args->table);
    std::vector<int64_t> keys = ParseKeys(args->keys);
    t->mutable_keys()->Add(keys.begin(), keys.end());
    StrataClient client(args->client);
    auto reply = client.Lookup(request);
    if (!reply.ok()) {
      Fail("lookup", absl::StatusCodeToString(reply.status().code()) + ": " +
                         std::string(reply.status().message()));
    }
    const v1::TableRows& rows = reply->tables(0);
    std::vector<float> row(rows.dim());
    if (args->json) {
      nlohmann::json out;
      out["model"] = reply->model();
      out["version"] = reply->version();
      out["table"] = rows.table();
      out["dim"] = rows.dim();
      out["rows"] = nlohmann::json::array();
      out["defaults"] = nlohmann::json::array();
      for (size_t i = 0; i < keys.size(); ++i) {
        CopyRow(rows, i, row.data());
        out["rows"].push_back(row);
        out["defaults"].push_back(rows.is_default(static_cast<int>(i)));
      }
      std::printf("%s\n", out.dump().c_str());
      return;
    }
    std::printf("model %s version %llu table %s dim %u\n",
                reply->model().c_str(),
                static_cast<unsigned long long>(reply->version()),
                rows.table().c_str(), rows.dim());
    for (size_t i = 0; i < keys.size(); ++i) {
      CopyRow(rows, i, row.data());
      std::printf("%lld:", static_cast<long long>(keys[i]));
      for (float v : row) std::printf(" %.9g", v);
      std::printf("%s\n",
                  rows.is_default(static_cast<int>(i)) ? "  (default)" : "");
    }
  });
}

void AddModels(CLI::App& app) {
  auto args = std::make_shared<ClientOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "models",
      "List the models a server serves; load, get, unload and serve manage "
      "their versions at run time");
  AddConnectionFlags(cmd, args.get());
  cmd->add_flag("--json", *json, "Print JSON");
  AddModelControl(cmd);
  cmd->callback([cmd, args, json] {
    if (!cmd->get_subcommands().empty()) return;  // load, get, ...
    StrataClient client(*args);
    auto reply = client.ListModels();
    if (!reply.ok()) {
      Fail("models", absl::StatusCodeToString(reply.status().code()) + ": " +
                         std::string(reply.status().message()));
    }
    nlohmann::json out = nlohmann::json::array();
    for (const v1::ModelInfo& m : reply->models()) {
      nlohmann::json tables = nlohmann::json::array();
      if (!*json) {
        std::printf("%s version %llu, %d tables\n", m.name().c_str(),
                    static_cast<unsigned long long>(m.version()),
                    m.tables_size());
      }
      for (const v1::TableInfo& t : m.tables()) {
        if (!*json) {
          std::printf("  %-16s dim %-5u rows %llu\n", t.name().c_str(), t.dim(),
                      static_cast<unsigned long long>(t.rows()));
        }
        tables.push_back({{"name", t.name()},
                          {"dim", t.dim()},
                          {"rows", t.rows()},
                          {"default_value", t.default_value()},
                          {"default_row", t.default_row()}});
      }
      nlohmann::json model = {
          {"name", m.name()}, {"version", m.version()}, {"tables", tables}};
      if (m.dense_inputs_size() > 0) {
        nlohmann::json inputs = nlohmann::json::array();
        nlohmann::json outputs = nlohmann::json::array();
        for (const v1::DenseTensorInfo& in : m.dense_inputs()) {
          inputs.push_back({{"name", in.name()},
                            {"shape", in.shape()},
                            {"binding", in.binding()}});
          if (!*json) {
            std::printf("  dense input  %-12s %-16s <- %s\n", in.name().c_str(),
                        ShapeText(in.shape()).c_str(), in.binding().c_str());
          }
        }
        for (const v1::DenseTensorInfo& o : m.dense_outputs()) {
          outputs.push_back({{"name", o.name()}, {"shape", o.shape()}});
          if (!*json) {
            std::printf("  dense output %-12s %s\n", o.name().c_str(),
                        ShapeText(o.shape()).c_str());
          }
        }
        model["dense"] = {{"inputs", inputs}, {"outputs", outputs}};
      }
      out.push_back(std::move(model));
    }
    if (*json) std::printf("%s\n", out.dump().c_str());
  });
}

void AddStats(CLI::App& app) {
  auto args = std::make_shared<ClientOptions>();
  CLI::App* cmd =
      app.add_subcommand("stats", "Print a server's lookup and tier counters");
  AddConnectionFlags(cmd, args.get());
  cmd->callback([args] {
    StrataClient client(*args);
    auto reply = client.GetStats();
    if (!reply.ok()) {
      Fail("stats", absl::StatusCodeToString(reply.status().code()) + ": " +
                        std::string(reply.status().message()));
    }
    std::printf("lookup requests %llu, keys %llu, default rows %llu\n",
                static_cast<unsigned long long>(reply->lookup_requests()),
                static_cast<unsigned long long>(reply->lookup_keys()),
                static_cast<unsigned long long>(reply->default_rows()));
    const v1::UpdateStats& u = reply->updates();
    std::printf(
        "updates: kafka %s, applied %llu messages / %llu rows, "
        "skipped %llu, lost to retention %llu, lag %llu, partitions %u\n",
        u.kafka_enabled() ? "on" : "off",
        static_cast<unsigned long long>(u.applied_messages()),
        static_cast<unsigned long long>(u.applied_rows()),
        static_cast<unsigned long long>(u.skipped_messages()),
        static_cast<unsigned long long>(u.lost_messages()),
        static_cast<unsigned long long>(u.lag()), u.assigned_partitions());
    for (const v1::TierStats& t : reply->tiers()) {
      double rate = t.lookups() ? 100.0 * t.hits() / t.lookups() : 0.0;
      std::printf(
          "  %-10s lookups %llu hits %llu (%.1f%%) rows %llu bytes %llu\n",
          t.tier().c_str(), static_cast<unsigned long long>(t.lookups()),
          static_cast<unsigned long long>(t.hits()), rate,
          static_cast<unsigned long long>(t.rows()),
          static_cast<unsigned long long>(t.bytes()));
    }
  });
}

}  // namespace strata::cli
