#include "engine/model/dense_binding.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/common/status_macros.h"

namespace strata {
namespace {

std::string ShapeText(const std::vector<int64_t>& dims) {
  std::vector<std::string> parts;
  for (int64_t d : dims) parts.push_back(d < 0 ? "B" : absl::StrCat(d));
  return absl::StrCat("(", absl::StrJoin(parts, ", "), ")");
}

absl::StatusOr<DenseBinding> ParseBinding(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dense input binding \"", text,
        "\" is not NAME=dense, NAME=table:T or NAME=tables:T1,T2,..."));
  }
  DenseBinding b;
  b.input = text.substr(0, eq);
  const std::string what = text.substr(eq + 1);
  if (what == "dense") {
    b.kind = DenseBinding::Kind::kDense;
    return b;
  }
  const size_t colon = what.find(':');
  const std::string kind = what.substr(0, colon);
  if (colon == std::string::npos || (kind != "table" && kind != "tables")) {
    return absl::InvalidArgumentError(
        absl::StrCat("dense input binding \"", text, "\": \"", what,
                     "\" is not dense, table:T or tables:T1,T2,..."));
  }
  b.kind = kind == "table" ? DenseBinding::Kind::kTable
                           : DenseBinding::Kind::kTables;
  b.tables = absl::StrSplit(what.substr(colon + 1), ',', absl::SkipEmpty());
  if (b.tables.empty() ||
      (b.kind == DenseBinding::Kind::kTable && b.tables.size() != 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dense input binding \"", text, "\": ",
        kind == "table" ? "table: takes one table" : "tables: takes tables"));
  }
  return b;
}

// Checks `input`'s declared shape against what `b` feeds it.
absl::Status CheckShape(const TensorSignature& input, const DenseBinding& b,
                        const std::map<std::string, uint32_t>& dims) {
  const std::string bound = b.ToString();
  auto refuse = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("graph input \"", input.name, "\" ", ShapeText(input.dims),
                     " cannot take ", bound, ": ", why));
  };
  uint32_t dim = 0;
  for (const std::string& t : b.tables) {
    auto it = dims.find(t);
    if (it == dims.end()) return refuse(absl::StrCat("no table \"", t, "\""));
    if (dim != 0 && it->second != dim) {
      return refuse(absl::StrCat("table \"", t, "\" has dim ", it->second,
                                 ", the others ", dim));
    }
    dim = it->second;
  }
  const std::vector<int64_t>& d = input.dims;
  switch (b.kind) {
    case DenseBinding::Kind::kDense:
      if (d.size() != 2 || d[1] <= 0) return refuse("it must be (B, F)");
      return absl::OkStatus();
    case DenseBinding::Kind::kTable:
      if (d.size() != 2 || d[1] != dim) {
        return refuse(absl::StrCat("it must be (B, ", dim, ")"));
      }
      return absl::OkStatus();
    case DenseBinding::Kind::kTables:
      if (d.size() != 3 || d[1] != int64_t(b.tables.size()) || d[2] != dim) {
        return refuse(
            absl::StrCat("it must be (B, ", b.tables.size(), ", ", dim, ")"));
      }
      return absl::OkStatus();
  }
  return refuse("unknown binding");
}

}  // namespace

absl::StatusOr<DenseSpec> BindDenseInputs(
    const DenseNetwork& network, const std::vector<TableSpec>& tables,
    const std::vector<std::string>& explicit_bindings) {
  std::map<std::string, uint32_t> dims;
  for (const TableSpec& t : tables) dims[t.name] = t.dim;
  std::map<std::string, DenseBinding> chosen;
  for (const std::string& text : explicit_bindings) {
    STRATA_ASSIGN_OR_RETURN(DenseBinding b, ParseBinding(text));
    bool known = false;
    for (const TensorSignature& in : network.inputs())
      known |= in.name == b.input;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("dense input binding \"", text,
                       "\": the graph has no input \"", b.input, "\""));
    }
    if (!chosen.emplace(b.input, b).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph input \"", b.input, "\" is bound twice"));
    }
  }
  DenseSpec spec;
  std::string dense_input;
  for (const TensorSignature& in : network.inputs()) {
    DenseBinding b;
    if (auto it = chosen.find(in.name); it != chosen.end()) {
      b = it->second;
    } else if (in.name == "dense") {
      b.input = in.name;
      b.kind = DenseBinding::Kind::kDense;
    } else if (dims.count(in.name) != 0) {
      b.input = in.name;
      b.kind = DenseBinding::Kind::kTable;
      b.tables = {in.name};
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "graph input \"", in.name, "\" ", ShapeText(in.dims),
          " is bound to nothing: name it \"dense\" or after a table, or pass "
          "--dense-input ",
          in.name, "=dense|table:T|tables:T1,T2,..."));
    }
    STRATA_RETURN_IF_ERROR(CheckShape(in, b, dims));
    if (b.kind == DenseBinding::Kind::kDense) {
      if (!dense_input.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("graph inputs \"", dense_input, "\" and \"", in.name,
                         "\" are both bound to the dense features"));
      }
      dense_input = in.name;
      spec.dense_features = static_cast<uint32_t>(in.dims[1]);
    }
    spec.bindings.push_back(std::move(b));
  }
  for (const TensorSignature& out : network.outputs()) {
    spec.outputs.push_back(out.name);
  }
  return spec;
}

absl::StatusOr<DenseSpec> BindDenseGraph(
    std::string_view onnx, const std::vector<TableSpec>& tables,
    const std::vector<std::string>& explicit_bindings) {
  absl::StatusOr<std::unique_ptr<DenseNetwork>> network =
      DenseNetwork::Load(onnx);
  if (!network.ok()) {
    return absl::Status(
        network.status().code(),
        absl::StrCat("dense graph: ", network.status().message()));
  }
  STRATA_ASSIGN_OR_RETURN(
      DenseSpec spec, BindDenseInputs(**network, tables, explicit_bindings));
  spec.graph_bytes = onnx.size();
  return spec;
}

}  // namespace strata
