// The DenseSession of NetworkImpl: a plan per batch size (cached, the most
// recent kPlanCacheSize kept), one arena grown to the largest plan, and the
// loop that runs the plan's steps on the backend.
#include <list>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/model/dense/cpu_backend.h"
#include "engine/model/dense/execution_plan.h"
#include "engine/model/dense/network_impl.h"

namespace strata {
namespace {

constexpr size_t kPlanCacheSize = 64;

class SessionImpl final : public DenseSession {
 public:
  explicit SessionImpl(const NetworkImpl& net)
      : net_(net), graph_(net.graph()), backend_(NewCpuBackend()) {
    const_ptrs_.assign(graph_.value_names.size(), nullptr);
  }

  ~SessionImpl() override {
    if (arena_ != nullptr) backend_->Free(arena_);
    for (void* p : const_ptrs_) {
      if (p != nullptr) backend_->Free(p);
    }
  }

  absl::Status Prepare(int64_t batch) override {
    plan_ = nullptr;
    if (batch < 1 || batch > net_.options().max_batch) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch ", batch, " outside [1, ", net_.options().max_batch, "]"));
    }
    auto it = cache_.find(batch);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
    } else {
      absl::StatusOr<std::unique_ptr<ExecutionPlan>> plan =
          BuildPlan(graph_, batch, backend_->host_memory());
      if (!plan.ok()) return plan.status();
      lru_.push_front(*std::move(plan));
      cache_[batch] = lru_.begin();
      if (lru_.size() > kPlanCacheSize) {
        cache_.erase(lru_.back()->batch);
        lru_.pop_back();
      }
    }
    const ExecutionPlan& p = *lru_.front();
    if (arena_ == nullptr || p.arena_bytes > arena_bytes_) {
      if (arena_ != nullptr) backend_->Free(arena_);
      arena_ = nullptr;
      absl::StatusOr<void*> a = backend_->Alloc(p.arena_bytes);
      if (!a.ok()) return a.status();
      arena_ = *a;
      arena_bytes_ = p.arena_bytes;
      ++allocations_;
    }
    const bool host = backend_->host_memory();
    if (!host) {
      absl::Status s = UploadConstants(p);
      if (!s.ok()) return s;
      for (int v : p.uploads) {
        const HostTensor& t = *p.metas[v].value;
        s = backend_->CopyToDevice(Ptr(p, v), t.data(), t.bytes());
        if (!s.ok()) return s;
      }
    }
    inputs_.resize(graph_.inputs.size());
    staging_.resize(graph_.inputs.size());
    for (size_t i = 0; i < graph_.inputs.size(); ++i) {
      const int v = graph_.inputs[i];
      const size_t n = NumElements(p.metas[v].shape);
      if (host) {
        inputs_[i] = absl::Span<float>(static_cast<float*>(Ptr(p, v)), n);
      } else {
        staging_[i].resize(n);
        inputs_[i] = absl::MakeSpan(staging_[i]);
      }
    }
    outputs_.resize(graph_.outputs.size());
    out_host_.resize(graph_.outputs.size());
    for (size_t j = 0; j < graph_.outputs.size(); ++j) {
      outputs_[j].shape = p.metas[graph_.outputs[j]].shape;
      outputs_[j].values = {};
    }
    plan_ = &p;
    return absl::OkStatus();
  }

  absl::Span<float> input(size_t i) override { return inputs_[i]; }

  absl::Status Run() override {
    if (plan_ == nullptr) {
      return absl::FailedPreconditionError("Run before a successful Prepare");
    }
    const ExecutionPlan& p = *plan_;
    const bool host = backend_->host_memory();
    if (!host) {
      for (size_t i = 0; i < graph_.inputs.size(); ++i) {
        absl::Status s =
            backend_->CopyToDevice(Ptr(p, graph_.inputs[i]), staging_[i].data(),
                                   staging_[i].size() * sizeof(float));
        if (!s.ok()) return s;
      }
    }
    for (const ExecutionPlan::Step& st : p.steps) {
      const GraphNode& n = *st.node;
      in_refs_.clear();
      out_refs_.clear();
      for (int v : n.inputs) {
        in_refs_.push_back(v >= 0 ? TensorRef{Ptr(p, v), &p.metas[v]}
                                  : TensorRef{});
      }
      for (int v : n.outputs) {
        out_refs_.push_back(TensorRef{Ptr(p, v), &p.metas[v]});
      }
      void* scratch = static_cast<char*>(arena_) + st.scratch_offset;
      absl::Status s = n.kernel->Run(*backend_, in_refs_, out_refs_, scratch);
      if (!s.ok()) {
        return absl::Status(s.code(),
                            absl::StrCat("node '", n.name, "' (", n.op_type,
                                         "): ", s.message()));
      }
    }
    absl::Status s = backend_->Synchronize();
    if (!s.ok()) return s;
    for (size_t j = 0; j < graph_.outputs.size(); ++j) {
      const int v = graph_.outputs[j];
      const size_t n = NumElements(p.metas[v].shape);
      if (host || p.homes[v] == ValueHome::kConstant) {
        const void* data = p.homes[v] == ValueHome::kConstant
                               ? graph_.constants[v]->data()
                               : Ptr(p, v);
        outputs_[j].values =
            absl::Span<const float>(static_cast<const float*>(data), n);
      } else {
        out_host_[j].resize(n);
        s = backend_->CopyToHost(out_host_[j].data(), Ptr(p, v),
                                 n * sizeof(float));
        if (!s.ok()) return s;
        outputs_[j].values = out_host_[j];
      }
    }
    return absl::OkStatus();
  }

  const Output& output(size_t j) const override { return outputs_[j]; }
  int64_t buffer_allocations() const override { return allocations_; }

 private:
  void* Ptr(const ExecutionPlan& p, int v) const {
    switch (p.homes[v]) {
      case ValueHome::kArena:
        return static_cast<char*>(arena_) + p.offsets[v];
      case ValueHome::kConstant:
        return backend_->host_memory()
                   ? const_cast<void*>(graph_.constants[v]->data())
                   : const_ptrs_[v];
      case ValueHome::kHost:
        return backend_->host_memory()
                   ? const_cast<void*>(p.metas[v].value->data())
                   : static_cast<char*>(arena_) + p.offsets[v];
      case ValueHome::kNone:
        break;
    }
    return nullptr;
  }

  // Device copies of the constants a plan reads (once per session).
  absl::Status UploadConstants(const ExecutionPlan& p) {
    for (size_t v = 0; v < p.homes.size(); ++v) {
      if (p.homes[v] != ValueHome::kConstant || const_ptrs_[v] != nullptr) {
        continue;
      }
      const HostTensor& t = *graph_.constants[v];
      absl::StatusOr<void*> d = backend_->Alloc(t.bytes());
      if (!d.ok()) return d.status();
      const_ptrs_[v] = *d;
      absl::Status s = backend_->CopyToDevice(*d, t.data(), t.bytes());
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  const NetworkImpl& net_;
  const Graph& graph_;
  std::unique_ptr<TensorBackend> backend_;

  std::list<std::unique_ptr<ExecutionPlan>> lru_;  // most recent first
  absl::flat_hash_map<int64_t,
                      std::list<std::unique_ptr<ExecutionPlan>>::iterator>
      cache_;
  const ExecutionPlan* plan_ = nullptr;

  void* arena_ = nullptr;
  size_t arena_bytes_ = 0;
  int64_t allocations_ = 0;
  std::vector<void*> const_ptrs_;  // by value; non-host backends only

  std::vector<absl::Span<float>> inputs_;
  std::vector<std::vector<float>> staging_;  // non-host backends only
  std::vector<Output> outputs_;
  std::vector<std::vector<float>> out_host_;
  std::vector<TensorRef> in_refs_, out_refs_;
};

}  // namespace

std::unique_ptr<DenseSession> NewDenseSession(const NetworkImpl& network) {
  return std::make_unique<SessionImpl>(network);
}

}  // namespace strata
