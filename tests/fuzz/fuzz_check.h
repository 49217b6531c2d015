// STRATA_FUZZ_CHECK: the fuzz targets' assertion. A property that does not
// hold prints itself and aborts, which libFuzzer reports as a crash with the
// input that caused it. Kept in release builds (unlike assert).
//
// Header-only; no state.
#pragma once

#include <cstdio>
#include <cstdlib>

#define STRATA_FUZZ_CHECK(cond)                                           \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                      \
      std::abort();                                                       \
    }                                                                     \
  } while (0)
