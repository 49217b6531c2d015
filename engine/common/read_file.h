// ReadWholeFile: the bytes of a small file (a config, a certificate, a
// token) in one string, or NOT_FOUND "cannot read <what> <path>".
//
// A plain function; thread-safe.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace strata {

inline absl::StatusOr<std::string> ReadWholeFile(const std::string& what,
                                                 const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace strata
