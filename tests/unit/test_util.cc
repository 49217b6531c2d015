#include "tests/unit/test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace strata::testing {

TempDir::TempDir() {
  std::string base = std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/strata-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed under " + base);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void WriteFile(const std::string& path, const void* data, size_t bytes) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data),
            static_cast<std::streamsize>(bytes));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<char> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void WriteHugeCtrTable(const std::string& dir, const std::string& table,
                       const std::vector<int64_t>& keys,
                       const std::vector<float>& values) {
  const std::string t = dir + "/" + table + ".model";
  WriteFile(t + "/key", keys.data(), keys.size() * sizeof(int64_t));
  WriteFile(t + "/emb_vector", values.data(), values.size() * sizeof(float));
}

}  // namespace strata::testing
