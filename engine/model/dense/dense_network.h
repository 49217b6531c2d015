// DenseNetwork: the dense part of a recommender (an ONNX graph exported from
// PyTorch or TensorFlow), loaded once and run on batches of samples whose
// embedding rows the tiers already looked up.
//
// Load parses the graph, checks every node against the supported operators
// (an unsupported operator or a bad attribute is refused naming the node),
// folds constant subgraphs, and fuses adjacent element-wise nodes. The batch
// axis is axis 0 of every graph input and output; every other axis of an
// input is static, so an input holds `input_sample_size(i)` floats per sample.
//
// A DenseSession holds the buffers of one thread's runs: Prepare(batch)
// resolves the shapes of every tensor for that batch size (once per batch
// size, cached) and sizes the buffers (grown to the largest batch seen,
// reused after), so a steady stream of batches allocates nothing.
//
// Ownership: a session borrows its network, which must outlive it.
// Thread safety: a DenseNetwork is immutable after Load and may be shared by
// any number of threads; a DenseSession is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/tensor_type.h"

namespace strata {

// A graph input or output as the graph declares it.
struct TensorSignature {
  std::string name;
  TensorType type = TensorType::kFloat32;
  std::vector<int64_t> dims;  // dims[0] is the batch axis (-1: dynamic)
};

enum class DenseBackendKind : uint8_t {
  kCpu,   // OpenBLAS, single-threaded per run (parallelism is the workers')
  kCuda,  // cuBLAS and small kernels; FAILED_PRECONDITION without a device
};

struct DenseNetworkOptions {
  DenseBackendKind backend = DenseBackendKind::kCpu;
  // Largest batch a session prepares; Prepare refuses more.
  int64_t max_batch = 4096;
};

class DenseSession;

class DenseNetwork {
 public:
  virtual ~DenseNetwork() = default;

  // `onnx` is a serialized onnx.ModelProto. INVALID_ARGUMENT names what is
  // wrong: a parse failure, an unsupported operator or attribute (with the
  // node's name and type), an input or output that is not float32, or a
  // non-batch input axis that is not static.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DenseNetwork>> Load(
      std::string_view onnx, const DenseNetworkOptions& options = {});

  virtual const std::vector<TensorSignature>& inputs() const = 0;
  virtual const std::vector<TensorSignature>& outputs() const = 0;
  // Floats per sample of input i: the product of dims[1..].
  virtual int64_t input_sample_size(size_t i) const = 0;
  // One line per node kind with its count, and what folding and fusion did.
  virtual std::string Describe() const = 0;

  virtual std::unique_ptr<DenseSession> NewSession() const = 0;
};

class DenseSession {
 public:
  virtual ~DenseSession() = default;

  // Resolves shapes and sizes buffers for `batch` samples (1..max_batch).
  [[nodiscard]] virtual absl::Status Prepare(int64_t batch) = 0;
  // After Prepare: where the caller writes input i, (batch, sample size).
  virtual absl::Span<float> input(size_t i) = 0;
  // Runs the graph on the inputs written since Prepare.
  [[nodiscard]] virtual absl::Status Run() = 0;

  struct Output {
    std::vector<int64_t> shape;      // shape[0] == batch
    absl::Span<const float> values;  // row-major, host memory
  };
  // After Run: output j, valid until the next Prepare or Run.
  virtual const Output& output(size_t j) const = 0;

  // How many times this session has (re)allocated its buffers: it stops
  // growing once the largest batch has been prepared (tests check that).
  virtual int64_t buffer_allocations() const { return 0; }
};

}  // namespace strata
