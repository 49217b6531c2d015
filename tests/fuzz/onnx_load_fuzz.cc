// Fuzzes loading a dense network from ONNX bytes (DenseNetwork::Load:
// protobuf parse, graph checks and kernel creation, constant folding,
// fusion, shape inference) and, for a graph that loads, one run: a session
// prepares batches 1 and 3 and runs them on deterministic inputs.
//
// Properties: a refused graph is INVALID_ARGUMENT; a loaded one has float32
// inputs and outputs with the batch on axis 0, prepares and runs (or refuses
// with a status, never a crash), and answers outputs of `batch` rows whose
// value count matches their shape. STRATA_FUZZ_VERBOSE=1 prints each load's
// status (to see which seeds load).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/model/dense/dense_network.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// A graph with an input this large is loaded but not run (the run would
// measure the allocator, not the executor).
constexpr int64_t kMaxRunInputFloats = int64_t{1} << 20;

void RunOnce(const strata::DenseNetwork& net, int64_t batch) {
  std::unique_ptr<strata::DenseSession> session = net.NewSession();
  if (!session->Prepare(batch).ok()) return;
  for (size_t i = 0; i < net.inputs().size(); ++i) {
    absl::Span<float> in = session->input(i);
    STRATA_FUZZ_CHECK(int64_t(in.size()) == batch * net.input_sample_size(i));
    for (size_t k = 0; k < in.size(); ++k) in[k] = float(k % 7) * 0.25f - 0.5f;
  }
  if (!session->Run().ok()) return;
  for (size_t j = 0; j < net.outputs().size(); ++j) {
    const strata::DenseSession::Output& out = session->output(j);
    STRATA_FUZZ_CHECK(!out.shape.empty() && out.shape[0] == batch);
    int64_t n = 1;
    for (int64_t d : out.shape) n *= d;
    STRATA_FUZZ_CHECK(int64_t(out.values.size()) == n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::DenseNetworkOptions options;
  options.max_batch = 4;
  absl::StatusOr<std::unique_ptr<strata::DenseNetwork>> net =
      strata::DenseNetwork::Load(
          std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (std::getenv("STRATA_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "load: %s\n", net.status().ToString().c_str());
  }
  if (!net.ok()) {
    STRATA_FUZZ_CHECK(net.status().code() ==
                      absl::StatusCode::kInvalidArgument);
    return 0;
  }
  bool run = true;
  for (size_t i = 0; i < (*net)->inputs().size(); ++i) {
    const strata::TensorSignature& s = (*net)->inputs()[i];
    STRATA_FUZZ_CHECK(s.type == strata::TensorType::kFloat32);
    STRATA_FUZZ_CHECK(!s.dims.empty());
    const int64_t n = (*net)->input_sample_size(i);
    STRATA_FUZZ_CHECK(n >= 0);
    if (n > kMaxRunInputFloats) run = false;
  }
  for (const strata::TensorSignature& s : (*net)->outputs()) {
    STRATA_FUZZ_CHECK(s.type == strata::TensorType::kFloat32);
  }
  (*net)->Describe();
  if (!run) return 0;
  RunOnce(**net, 1);
  RunOnce(**net, 3);
  return 0;
}
