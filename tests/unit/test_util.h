// Helpers shared by tests: temporary folders and HugeCTR fixture files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::testing {

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `<dir>/<table>.model/{key,emb_vector}` with raw bytes as given.
void WriteHugeCtrTable(const std::string& dir, const std::string& table,
                       const std::vector<int64_t>& keys,
                       const std::vector<float>& values);
void WriteFile(const std::string& path, const void* data, size_t bytes);
std::vector<char> ReadFile(const std::string& path);

}  // namespace strata::testing
