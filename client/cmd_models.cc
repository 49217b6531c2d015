// `strata models load | get | unload | serve`: model versions on a running
// server (Admin/LoadModel, GetModel, UnloadModel, ServeVersion). `load`
// follows the load with a progress bar until the version serves or fails.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "client/commands.h"
#include "client/progress_bar.h"
#include "client/strata_client.h"
#include "engine/builder/offline.h"
#include "nlohmann/json.hpp"

namespace strata::cli {
namespace {

[[noreturn]] void FailCall(const char* command, const absl::Status& s) {
  Fail(command,
       absl::StatusCodeToString(s.code()) + ": " + std::string(s.message()));
}

nlohmann::json LoadJson(const v1::LoadStatus& l) {
  return {{"version", l.version()},     {"state", l.state()},
          {"rows_done", l.rows_done()}, {"rows_total", l.rows_total()},
          {"seconds", l.seconds()},     {"rows_per_s", l.rows_per_s()},
          {"eta_s", l.eta_s()},         {"error", l.error()}};
}

bool Finished(const v1::LoadStatus& l) {
  return l.state() == "serving" || l.state() == "staged" ||
         l.state() == "failed";
}

void AddLoad(CLI::App* models) {
  struct Args {
    ClientOptions client;
    v1::LoadModelRequest request;
    std::string update_offsets;
    bool no_wait = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = models->add_subcommand(
      "load",
      "Load a HugeCTR sparse model folder as a new version while the server "
      "serves; when it is ready the model's serving version switches to it "
      "atomically (in-flight requests finish on the old one). Shows progress "
      "until the version serves; a failed load leaves the old version "
      "serving.");
  AddConnectionFlags(cmd, &args->client);
  cmd->add_option("--model", *args->request.mutable_name(), "Model name")
      ->required();
  cmd->add_option("--from", *args->request.mutable_source_dir(),
                  "Folder of <table>.model/{key,emb_vector} on the server's "
                  "disk (a relative path is made absolute here)")
      ->required();
  cmd->add_option_function<uint64_t>(
      "--version", [args](uint64_t v) { args->request.set_version(v); },
      "Version to create (default: one above the newest stored)");
  cmd->add_option_function<uint32_t>(
      "--dim", [args](uint32_t v) { args->request.set_dim(v); },
      "Expected dim of every table (default: as the files say)");
  cmd->add_option_function<float>(
      "--default-value",
      [args](float v) { args->request.set_default_value(v); },
      "Value of every element of a missing key's row (default 0)");
  cmd->add_option_function<std::string>(
      "--default-row",
      [args](const std::string& v) { args->request.set_default_row(v); },
      "Default row instead of --default-value: vector:V0,V1,... (dim "
      "values) or hash:SEED:LOW:HIGH (per key, uniform in [LOW, HIGH))");
  cmd->add_flag_function(
      "--stage", [args](int64_t) { args->request.set_stage_only(true); },
      "Load without serving: only requests pinning the version reach it");
  cmd->add_option("--update-offsets", args->update_offsets,
                  "Kafka offsets the folder includes, as "
                  "topic/partition=next_offset,...");
  cmd->add_flag("--no-wait", args->no_wait,
                "Return once the load is queued (follow it with `models get`)");
  cmd->callback([args] {
    std::filesystem::path from(args->request.source_dir());
    if (from.is_relative()) {
      args->request.set_source_dir(std::filesystem::absolute(from).string());
    }
    auto offsets = ParseUpdateOffsets(args->update_offsets);
    if (!offsets.ok())
      Fail("models load", std::string(offsets.status().message()), 2);
    args->request.mutable_update_offsets()->insert(offsets->begin(),
                                                   offsets->end());
    StrataClient client(args->client);
    auto queued = client.LoadModel(args->request);
    if (!queued.ok()) FailCall("models load", queued.status());
    const std::string& name = args->request.name();
    const uint64_t version = queued->load().version();
    if (args->no_wait) {
      std::printf("loading %s version %llu\n", name.c_str(),
                  static_cast<unsigned long long>(version));
      return;
    }
    ProgressBar bar("rows");
    v1::LoadStatus load = queued->load();
    while (!Finished(load)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      auto got = client.GetModel(name);
      if (!got.ok()) FailCall("models load", got.status());
      if (got->load().version() != version) {
        Fail("models load", "another load of " + name + " replaced this one");
      }
      load = got->load();
      bar.Update(load.rows_done(), load.rows_total(), load.state());
    }
    bar.Finish();
    if (load.state() == "failed") Fail("models load", load.error());
    std::printf("%s version %llu %s after %.1f s (%llu rows, %.0f rows/s)\n",
                name.c_str(), static_cast<unsigned long long>(version),
                load.state() == "serving" ? "serves" : "is staged",
                load.seconds(),
                static_cast<unsigned long long>(load.rows_total()),
                load.seconds() > 0 ? load.rows_total() / load.seconds() : 0.0);
  });
}

void AddGet(CLI::App* models) {
  auto args = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = models->add_subcommand(
      "get",
      "Print a model's serving, loaded and stored versions and its "
      "latest load, as JSON");
  AddConnectionFlags(cmd, args.get());
  cmd->add_option("--model", *name, "Model name")->required();
  cmd->callback([args, name] {
    StrataClient client(*args);
    auto got = client.GetModel(*name);
    if (!got.ok()) FailCall("models get", got.status());
    nlohmann::json out = {{"name", got->name()},
                          {"serving_version", got->serving_version()},
                          {"loaded_versions", got->loaded_versions()},
                          {"stored_versions", got->stored_versions()}};
    if (got->has_load()) out["load"] = LoadJson(got->load());
    std::printf("%s\n", out.dump(2).c_str());
  });
}

void AddUnload(CLI::App* models) {
  auto args = std::make_shared<ClientOptions>();
  auto request = std::make_shared<v1::UnloadModelRequest>();
  CLI::App* cmd = models->add_subcommand(
      "unload",
      "Stop serving a model (it stays unloaded across restarts), or with "
      "--version and --delete-data delete one stored version that does not "
      "serve");
  AddConnectionFlags(cmd, args.get());
  cmd->add_option("--model", *request->mutable_name(), "Model name")
      ->required();
  cmd->add_option_function<uint64_t>(
      "--version", [request](uint64_t v) { request->set_version(v); },
      "Delete this version (needs --delete-data)");
  cmd->add_flag_function(
      "--delete-data", [request](int64_t) { request->set_delete_data(true); },
      "Also delete the data: every version, or the one --version names");
  cmd->callback([args, request] {
    StrataClient client(*args);
    auto done = client.UnloadModel(*request);
    if (!done.ok()) FailCall("models unload", done.status());
    std::printf("done\n");
  });
}

void AddServe(CLI::App* models) {
  auto args = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();
  auto version = std::make_shared<uint64_t>(0);
  CLI::App* cmd = models->add_subcommand(
      "serve",
      "Make a stored version the serving one (a rollback, or a "
      "staged version going live)");
  AddConnectionFlags(cmd, args.get());
  cmd->add_option("--model", *name, "Model name")->required();
  cmd->add_option("--version", *version, "Version to serve")->required();
  cmd->callback([args, name, version] {
    StrataClient client(*args);
    auto done = client.ServeVersion(*name, *version);
    if (!done.ok()) FailCall("models serve", done.status());
    std::printf("%s version %llu serves\n", name->c_str(),
                static_cast<unsigned long long>(*version));
  });
}

}  // namespace

void AddModelControl(CLI::App* models) {
  AddLoad(models);
  AddGet(models);
  AddUnload(models);
  AddServe(models);
}

}  // namespace strata::cli
