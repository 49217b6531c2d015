// Offline subcommands: gen-model and import. They work on files and the data
// dir directly; import needs the server stopped (it takes the data dir lock).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "client/commands.h"
#include "client/progress_bar.h"
#include "engine/builder/offline.h"

namespace strata::cli {

void AddGenModel(CLI::App& app) {
  auto options = std::make_shared<GeneratorOptions>();
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "gen-model",
      "Write a synthetic model in HugeCTR's sparse format (<table>.model/key "
      "and emb_vector): the Criteo-shaped 26-table model scaled by --scale, "
      "or --tables x --rows. Same flags, same bytes.");
  cmd->add_option("--out", *out, "Folder to write")->required();
  cmd->add_option(
      "--scale", options->scale,
      "Criteo 1TB table sizes times this (e.g. 0.01 = 1.78 M rows)");
  cmd->add_option("--tables", options->tables, "Number of tables (no --scale)");
  cmd->add_option("--rows", options->rows, "Rows per table (no --scale)");
  cmd->add_option("--dim", options->dim, "Floats per row")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed of every value")
      ->capture_default_str();
  cmd->callback([options, out] {
    auto tables = GenerateHugeCtrModel(*out, *options);
    if (!tables.ok()) Fail("gen-model", std::string(tables.status().message()));
    uint64_t rows = 0;
    for (const TableSpec& t : *tables) rows += t.rows;
    std::printf("wrote %zu tables, %llu rows, dim %u to %s\n", tables->size(),
                static_cast<unsigned long long>(rows), options->dim,
                out->c_str());
  });
}

void AddImport(CLI::App& app) {
  struct Args {
    std::string data_dir = "./strata-data";
    std::string model;
    std::string from;
    ImportOptions import;
    std::string update_offsets;
    std::string dense_file;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import a HugeCTR sparse model folder (or a `strata export` snapshot) "
      "into a data dir as the model's "
      "next version (offline: stop the server using the data dir first). "
      "Everything is validated before anything is written; a failed import "
      "leaves nothing behind.");
  cmd->add_option("--data-dir", args->data_dir, "strata-server's data dir")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "Model name")->required();
  cmd->add_option("--from", args->from,
                  "Folder holding <table>.model/{key,emb_vector}")
      ->required();
  cmd->add_option("--dim", args->import.dim,
                  "Expected dim of every table (default: inferred)");
  cmd->add_option("--default-value", args->import.default_value,
                  "Value of every element of a missing key's row")
      ->capture_default_str();
  cmd->add_option("--default-row", args->import.default_row,
                  "Default row instead of --default-value: vector:V0,V1,... "
                  "(dim values) or hash:SEED:LOW:HIGH (per key, uniform in "
                  "[LOW, HIGH), the same on every pod)");
  cmd->add_option("--dense", args->dense_file,
                  "ONNX graph of the model's dense network, run by Infer");
  cmd->add_option(
      "--dense-input", args->import.dense_inputs,
      "Bind a graph input: NAME=dense, NAME=table:T or NAME=tables:T1,T2,... "
      "(stacked (B, n, dim)); repeatable. By default an input named \"dense\" "
      "takes the dense features and one named like a table takes its rows");
  cmd->add_option("--update-offsets", args->update_offsets,
                  "Kafka offsets the snapshot was built at, as "
                  "topic/partition=next_offset,...; older deltas are skipped");
  cmd->callback([args] {
    auto offsets = ParseUpdateOffsets(args->update_offsets);
    if (!offsets.ok())
      Fail("import", std::string(offsets.status().message()), 2);
    args->import.update_offsets = *offsets;
    if (!args->dense_file.empty()) {
      std::ifstream file(args->dense_file, std::ios::binary);
      std::stringstream bytes;
      bytes << file.rdbuf();
      if (!file || bytes.str().empty()) {
        Fail("import", "cannot read the dense graph " + args->dense_file, 2);
      }
      args->import.dense_graph = bytes.str();
    }
    ProgressBar bar("rows");
    args->import.progress = [&bar](const ImportProgress& p) {
      bar.Update(p.rows_done, p.rows_total,
                 p.table.empty() ? std::string(p.phase)
                                 : std::string(p.phase) + " " + p.table);
    };
    auto manifest = ImportHugeCtrIntoDataDir(args->data_dir, args->model,
                                             args->from, args->import);
    bar.Finish();
    if (!manifest.ok()) {
      Fail("import", std::string(manifest.status().message()));
    }
    uint64_t rows = 0;
    for (const TableSpec& t : manifest->tables) rows += t.rows;
    std::printf(
        "imported model %s version %llu: %zu tables, %llu rows%s into %s\n",
        manifest->name.c_str(),
        static_cast<unsigned long long>(manifest->version),
        manifest->tables.size(), static_cast<unsigned long long>(rows),
        manifest->dense.has_value() ? " and a dense network" : "",
        args->data_dir.c_str());
  });
}

void AddExport(CLI::App& app) {
  struct Args {
    std::string data_dir = "./strata-data";
    std::string model;
    uint64_t version = 0;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a model version as a snapshot folder (HugeCTR's layout plus "
      "strata_snapshot.json: dims, default rows, checksums and the update "
      "offsets its rows include) that `strata import`, `strata models load` "
      "and a bootstrapping pod load. Offline: stop the server using the data "
      "dir first (a running pod streams the same with Admin/StreamSnapshot).");
  cmd->add_option("--data-dir", args->data_dir, "strata-server's data dir")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "Model name")->required();
  cmd->add_option("--version", args->version,
                  "Version to export (default: the newest stored)");
  cmd->add_option("--out", args->out, "Folder to create")->required();
  cmd->callback([args] {
    ProgressBar bar("rows");
    auto info =
        ExportFromDataDir(args->data_dir, args->model, args->version, args->out,
                          [&bar](uint64_t done, uint64_t total) {
                            bar.Update(done, total, "exporting");
                          });
    bar.Finish();
    if (!info.ok()) Fail("export", std::string(info.status().message()));
    uint64_t rows = 0;
    for (const SnapshotTable& t : info->tables) rows += t.rows;
    std::printf("exported model %s version %llu: %zu tables, %llu rows to %s\n",
                info->model.c_str(),
                static_cast<unsigned long long>(info->version),
                info->tables.size(), static_cast<unsigned long long>(rows),
                args->out.c_str());
  });
}

}  // namespace strata::cli
