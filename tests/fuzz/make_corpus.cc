// Writes the fuzz targets' seed corpus: a few small valid and near-valid
// inputs per target, one file each, under OUT/<target>/ (the committed
// corpus is tests/fuzz/corpus/). Rerun after changing a format:
//   cmake --build build-fuzz --target strata_fuzz_make_corpus
//   build-fuzz/tests/fuzz/strata_fuzz_make_corpus tests/fuzz/corpus
// The ONNX seeds are built with the dense tests' OnnxBuilder, plus the
// smallest PyTorch fixture (tests/data/onnx/dlrm.onnx) copied as is.
// Reproducers kept as regression seeds that this program does not write
// (onnx_load_fuzz/regression_output_batch_constant_2) are left in place.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/update/update_codec.h"
#include "strata/v1/embedding.pb.h"
#include "tests/unit/onnx_builder.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& dir, const std::string& name,
           const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

std::vector<float> Floats(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 0.25f * float(i) - 1.0f;
  return v;
}

void HctrSeeds(const fs::path& dir) {
  const std::string two = EncodeHctr(2, {1, 2}, Floats(4));
  Write(dir, "valid_dim2_two_keys", two);
  Write(dir, "valid_dim1_empty", EncodeHctr(1, {}, {}));
  Write(dir, "valid_dim4_three_keys",
        EncodeHctr(4, {7, -1, 1LL << 40}, Floats(12)));
  Write(dir, "truncated_record", two.substr(0, two.size() - 1));
  Write(dir, "bad_magic", "HCTX" + two.substr(4));
  std::string odd = two;
  odd[4] = 7;  // value size 7: not whole floats
  Write(dir, "value_size_not_floats", odd);
  Write(dir, "dim0_header", std::string("HCTR\0\0\0\0", 8));
  Write(dir, "topic_hps", "hps_et.m.t");
  Write(dir, "topic_strata", "strata.m");
}

void UpdateBatchSeeds(const fs::path& dir) {
  Write(dir, "valid_dim3", EncodeUpdateBatch("m", "t", 3, {1, 2}, Floats(6)));
  Write(dir, "valid_empty", EncodeUpdateBatch("m", "t", 1, {}, {}));
  Write(dir, "valid_dotted_names",
        EncodeUpdateBatch("m.v2", "t.0", 2, {-5}, Floats(2)));
  Write(dir, "values_short", EncodeUpdateBatch("m", "t", 3, {1, 2}, Floats(5)));
  Write(dir, "dim0", EncodeUpdateBatch("m", "t", 0, {}, {}));
  Write(dir, "dim_too_large",
        EncodeUpdateBatch("m", "t", kMaxUpdateDim + 1, {}, {}));
  Write(dir, "bad_model_name",
        EncodeUpdateBatch("m/x", "t", 1, {1}, Floats(1)));
}

v1::TableKeys* Table(v1::LookupRequest& r, const std::string& name,
                     std::vector<int64_t> keys) {
  v1::TableKeys* t = r.add_tables();
  t->set_table(name);
  for (int64_t k : keys) t->add_keys(k);
  return t;
}

void Bags(v1::TableKeys* t, std::vector<int64_t> offsets, v1::Pooling p) {
  for (int64_t o : offsets) t->add_offsets(o);
  t->set_pooling(p);
}

void LookupSeeds(const fs::path& dir) {
  auto write = [&](const std::string& name, const v1::LookupRequest& r) {
    Write(dir, name, r.SerializeAsString());
  };
  v1::LookupRequest r;
  r.set_model("m");
  Table(r, "t0", {1, 2, 3});
  write("valid_one_table", r);
  Table(r, "t1", {3, 9});
  Table(r, "t.2", {});
  r.set_value_dtype(v1::FLOAT16);
  write("valid_three_tables_fp16", r);

  v1::LookupRequest bags;
  bags.set_model("m");
  bags.set_version(1);
  Bags(Table(bags, "t1", {1, 2, 3, 4, 5}), {0, 2, 2, 5}, v1::SUM);
  Bags(Table(bags, "t0", {1}), {0, 1}, v1::MEAN);
  write("valid_bags", bags);

  v1::LookupRequest bad_offsets = bags;
  bad_offsets.mutable_tables(0)->set_offsets(1, 6);
  write("offsets_decrease", bad_offsets);
  v1::LookupRequest bad_end = bags;
  bad_end.mutable_tables(0)->set_offsets(3, 4);
  write("offsets_short_of_keys", bad_end);
  v1::LookupRequest no_pool = bags;
  no_pool.mutable_tables(1)->set_pooling(v1::NONE);
  write("offsets_without_pooling", no_pool);

  v1::LookupRequest twice;
  twice.set_model("n");
  Table(twice, "t0", {1});
  Table(twice, "t0", {2});
  write("table_twice", twice);

  v1::LookupRequest missing;
  missing.set_model("n");
  missing.set_version(7);
  Table(missing, "t1", {1});
  write("missing_version", missing);

  v1::LookupRequest many;
  many.set_model("m");
  many.set_value_dtype(v1::BFLOAT16);
  Table(many, "t0", std::vector<int64_t>(300, 4));
  write("too_many_keys", many);
}

void SizesSeed(const fs::path& dir, const std::string& name, uint64_t keys,
               uint64_t emb, uint32_t dim) {
  std::string b(20, '\0');
  std::memcpy(b.data(), &keys, 8);
  std::memcpy(b.data() + 8, &emb, 8);
  std::memcpy(b.data() + 16, &dim, 4);
  Write(dir, name, b);
}

void HugeCtrSizesSeeds(const fs::path& dir) {
  SizesSeed(dir, "valid_3rows_dim2", 24, 24, 0);
  SizesSeed(dir, "valid_expected_dim", 24, 24, 2);
  SizesSeed(dir, "dim_not_expected", 24, 24, 3);
  SizesSeed(dir, "key_not_int64", 23, 24, 0);
  SizesSeed(dir, "key_empty", 0, 24, 0);
  SizesSeed(dir, "emb_empty", 8, 0, 0);
  SizesSeed(dir, "sizes_disagree", 16, 12, 0);
  SizesSeed(dir, "large_dim", 8, 4ull << 20, 0);
  // Regressions: a dim past uint32 was truncated (to 0, or to 2) and the
  // sizes accepted.
  SizesSeed(dir, "regression_dim_truncated_to_0", 24, 12ull << 56, 0);
  SizesSeed(dir, "regression_dim_wraps_to_2", 8, 4 * ((1ull << 32) + 2), 0);
}

void OnnxSeeds(const fs::path& dir) {
  using testing::AttrInt;
  using testing::AttrInts;
  using testing::OnnxBuilder;
  {
    OnnxBuilder b;
    b.Input("x", {4}).Initializer("W", {3, 4}, Floats(12));
    b.Initializer("B", {3}, Floats(3));
    AttrInt(b.Node("Gemm", {"x", "W", "B"}, {"g"}), "transB", 1);
    b.Node("Relu", {"g"}, {"r"});
    b.Node("Sigmoid", {"r"}, {"y"});
    b.Output("y");
    Write(dir, "gemm_relu_sigmoid", b.Serialize());
  }
  {
    OnnxBuilder b;
    b.Input("x", {2, 3}).Input("z", {3, 2});
    b.Node("MatMul", {"x", "z"}, {"m"});
    AttrInt(b.Node("Softmax", {"m"}, {"y"}), "axis", -1);
    b.Output("y");
    Write(dir, "matmul_softmax", b.Serialize());
  }
  {
    OnnxBuilder b;
    b.Input("x", {3, 4}).Input("e", {2, 4}).InitializerInt64("axes", {1}, {1});
    AttrInt(b.Node("Concat", {"x", "e"}, {"c"}), "axis", 1);
    b.Node("ReduceSum", {"c", "axes"}, {"s"});
    AttrInts(b.Node("Transpose", {"c"}, {"t"}), "perm", {0, 2, 1});
    b.Node("Mul", {"t", "t"}, {"y"});
    b.Output("y").Output("s");
    Write(dir, "concat_reduce_transpose", b.Serialize());
  }
  {
    OnnxBuilder b;
    b.Input("x", {3, 4}).InitializerInt64("zero", {}, {0});
    b.InitializerInt64("minus1", {1}, {-1}).InitializerInt64("ax", {1}, {0});
    b.Node("Shape", {"x"}, {"s"});
    b.Node("Gather", {"s", "zero"}, {"n"});
    b.Node("Unsqueeze", {"n", "ax"}, {"n1"});
    AttrInt(b.Node("Concat", {"n1", "minus1"}, {"shape"}), "axis", 0);
    b.Node("Reshape", {"x", "shape"}, {"y"});
    b.Output("y");
    Write(dir, "shape_gather_reshape", b.Serialize());
  }
  {
    OnnxBuilder b;
    b.Input("x", {1, 6}).InitializerInt64("s", {3}, {1, 2, 1});
    b.InitializerInt64("st", {1}, {1}).InitializerInt64("en", {1}, {100});
    b.InitializerInt64("ax", {1}, {-1}).InitializerInt64("sp", {1}, {2});
    b.Node("Expand", {"x", "s"}, {"e"});
    b.Node("Shape", {"e"}, {"es"});
    onnx::NodeProto& c = b.Node("ConstantOfShape", {"es"}, {"ones"});
    onnx::AttributeProto* v = c.add_attribute();
    v->set_name("value");
    v->set_type(onnx::AttributeProto::TENSOR);
    v->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    v->mutable_t()->add_dims(1);
    v->mutable_t()->add_float_data(1.5f);
    b.Node("Add", {"e", "ones"}, {"a"});
    b.Node("Slice", {"a", "st", "en", "ax", "sp"}, {"y"});
    b.Output("y");
    Write(dir, "expand_constantofshape_slice", b.Serialize());
  }
  {
    OnnxBuilder b;
    b.Input("x", {2, 1, 4}).InitializerInt64("ax", {1}, {2});
    b.Node("Squeeze", {"x", "ax"}, {"q"});
    AttrInt(b.Node("Flatten", {"q"}, {"f"}), "axis", 1);
    AttrInts(b.Node("ReduceMean", {"f"}, {"y"}), "axes", {-1});
    b.Output("y");
    Write(dir, "squeeze_flatten_reducemean", b.Serialize());
  }
  {
    OnnxBuilder b;  // near-valid: an int64 input
    b.Input("x", {4}, onnx::TensorProto::INT64);
    b.Node("Identity", {"x"}, {"y"});
    b.Output("y");
    Write(dir, "int64_input", b.Serialize());
  }
  {
    OnnxBuilder b;  // near-valid: an unsupported operator
    b.Input("x", {4});
    b.Node("Conv", {"x"}, {"y"});
    b.Output("y");
    Write(dir, "unsupported_op", b.Serialize());
  }
  {
    OnnxBuilder b;  // regression: the product of the target dims overflowed
    b.Input("x", {4}).InitializerInt64("s", {3}, {-1, 1LL << 60, 729});
    b.Node("Reshape", {"x", "s"}, {"y"});
    b.Output("y");
    Write(dir, "regression_reshape_shape_overflow", b.Serialize());
  }
  std::ifstream in(STRATA_ONNX_DATA "/dlrm.onnx", std::ios::binary);
  Write(dir, "dlrm_fixture",
        std::string(std::istreambuf_iterator<char>(in), {}));
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  strata::HctrSeeds(out / "hctr_codec_fuzz");
  strata::UpdateBatchSeeds(out / "update_batch_fuzz");
  strata::LookupSeeds(out / "lookup_validate_fuzz");
  strata::HugeCtrSizesSeeds(out / "hugectr_sizes_fuzz");
  strata::OnnxSeeds(out / "onnx_load_fuzz");
  return 0;
}
