// The cuda TensorBackend's matrix-product kernels: the bias fill and scale
// that run before a product, and a built-in tiled SGEMM (row-major, strided
// batches, either operand transposed) used when cuBLAS cannot be loaded or
// the arguments exceed its int ranges. The SGEMM accumulates in float32 with
// FMA, in k order per output: results differ from BLAS only by rounding.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "engine/cuda/dense_kernels.cuh"

namespace strata {
namespace dense_cuda {

struct GemmParams {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 0.0f;
  const float* a = nullptr;
  int64_t lda = 0, stride_a = 0;
  const float* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  float* c = nullptr;
  int64_t ldc = 0, stride_c = 0;
};

// C_b[i, j] = beta * bias[b*sb + i*sm + j*sn] over (batch, m, n).
__global__ void GemmBiasKernel(GemmParams p, const float* bias, int64_t sb,
                               int64_t sm, int64_t sn) {
  for (int64_t e = GlobalThread(); e < p.batch * p.m * p.n;
       e += GridThreads()) {
    const int64_t j = e % p.n, r = e / p.n;
    const int64_t i = r % p.m, b = r / p.m;
    p.c[b * p.stride_c + i * p.ldc + j] =
        p.beta * bias[b * sb + i * sm + j * sn];
  }
}

// C_b *= beta over (batch, m, n): a product with k == 0 and no bias.
__global__ void GemmScaleKernel(GemmParams p) {
  for (int64_t e = GlobalThread(); e < p.batch * p.m * p.n;
       e += GridThreads()) {
    const int64_t j = e % p.n, r = e / p.n;
    const int64_t i = r % p.m, b = r / p.m;
    p.c[b * p.stride_c + i * p.ldc + j] *= p.beta;
  }
}

constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
// kThreads (256) threads as 16 x 16, each computing 4 x 4 outputs of a
// 64 x 64 tile: rows ty + 16 r, columns tx + 16 c.
static_assert(kThreads == 256, "SgemmKernel assumes 16 x 16 threads");

// C_b = alpha op(A_b) op(B_b) + beta C_b (C_b not read when beta == 0, as
// BLAS). Blocks walk the (batch, m tiles, n tiles) tiles grid-stride.
__global__ void __launch_bounds__(kThreads) SgemmKernel(GemmParams p) {
  __shared__ float as[kTileK][kTileM + 1];  // as[q][i] = op(A)(i, q)
  __shared__ float bs[kTileK][kTileN + 1];  // bs[q][j] = op(B)(q, j)
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t tiles_m = (p.m + kTileM - 1) / kTileM;
  const int64_t tiles_n = (p.n + kTileN - 1) / kTileN;
  const int64_t tiles = p.batch * tiles_m * tiles_n;
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t b = t / (tiles_m * tiles_n);
    const int64_t row0 = (t / tiles_n) % tiles_m * kTileM;
    const int64_t col0 = t % tiles_n * kTileN;
    const float* a = p.a + b * p.stride_a;
    const float* bm = p.b + b * p.stride_b;
    float acc[4][4] = {};
    for (int64_t k0 = 0; k0 < p.k; k0 += kTileK) {
      // Loads walk the contiguous direction of each operand.
      for (int l = threadIdx.x; l < kTileM * kTileK; l += kThreads) {
        const int q = p.trans_a ? l / kTileM : l % kTileK;
        const int i = p.trans_a ? l % kTileM : l / kTileK;
        const int64_t gi = row0 + i, gq = k0 + q;
        float v = 0.0f;
        if (gi < p.m && gq < p.k) {
          v = p.trans_a ? a[gq * p.lda + gi] : a[gi * p.lda + gq];
        }
        as[q][i] = v;
      }
      for (int l = threadIdx.x; l < kTileK * kTileN; l += kThreads) {
        const int q = p.trans_b ? l % kTileK : l / kTileN;
        const int j = p.trans_b ? l / kTileK : l % kTileN;
        const int64_t gj = col0 + j, gq = k0 + q;
        float v = 0.0f;
        if (gj < p.n && gq < p.k) {
          v = p.trans_b ? bm[gj * p.ldb + gq] : bm[gq * p.ldb + gj];
        }
        bs[q][j] = v;
      }
      __syncthreads();
#pragma unroll
      for (int q = 0; q < kTileK; ++q) {
        float av[4], bv[4];
#pragma unroll
        for (int r = 0; r < 4; ++r) av[r] = as[q][ty + 16 * r];
#pragma unroll
        for (int c = 0; c < 4; ++c) bv[c] = bs[q][tx + 16 * c];
#pragma unroll
        for (int r = 0; r < 4; ++r) {
#pragma unroll
          for (int c = 0; c < 4; ++c) acc[r][c] = fmaf(av[r], bv[c], acc[r][c]);
        }
      }
      __syncthreads();
    }
    float* c = p.c + b * p.stride_c;
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int64_t gi = row0 + ty + 16 * r;
      if (gi >= p.m) continue;
#pragma unroll
      for (int cc = 0; cc < 4; ++cc) {
        const int64_t gj = col0 + tx + 16 * cc;
        if (gj >= p.n) continue;
        float v = p.alpha * acc[r][cc];
        if (p.beta != 0.0f) v += p.beta * c[gi * p.ldc + gj];
        c[gi * p.ldc + gj] = v;
      }
    }
  }
}

}  // namespace dense_cuda
}  // namespace strata
