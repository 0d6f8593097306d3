// Native C baseline for oko's WASM kernels, built by bench/kernels.bench.ts with
// gcc -O3 -march=native. Same frames, same work as the WASM kernels; prints one JSON line per
// kernel: {"name", "nsPerOp", "check"}. Usage: kernels <frames.raw> <W> <H> <count> <pw> <ph> <ms>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

#ifdef __AVX2__
// |a-b| > t count, AVX2 (the form PERFORMANCE.md measured), 2x unrolled, u8 counters flushed per 255 steps
static size_t diff_count_avx2(const uint8_t *a, const uint8_t *b, size_t n, int t) {
  const __m256i th = _mm256_set1_epi8((char)t), z = _mm256_setzero_si256();
  __m256i tot = z; size_t i = 0;
  while (i + 64 <= n) {
    __m256i acc0 = z, acc1 = z; size_t lim = i + 255 * 64; if (lim > n) lim = n - (n - i) % 64;
    for (; i < lim; i += 64) {
      __m256i x0 = _mm256_loadu_si256((const __m256i *)(a + i)), y0 = _mm256_loadu_si256((const __m256i *)(b + i));
      __m256i x1 = _mm256_loadu_si256((const __m256i *)(a + i + 32)), y1 = _mm256_loadu_si256((const __m256i *)(b + i + 32));
      __m256i d0 = _mm256_sub_epi8(_mm256_max_epu8(x0, y0), _mm256_min_epu8(x0, y0));
      __m256i d1 = _mm256_sub_epi8(_mm256_max_epu8(x1, y1), _mm256_min_epu8(x1, y1));
      acc0 = _mm256_sub_epi8(acc0, _mm256_cmpeq_epi8(_mm256_subs_epu8(d0, th), z));
      acc1 = _mm256_sub_epi8(acc1, _mm256_cmpeq_epi8(_mm256_subs_epu8(d1, th), z));
    }
    tot = _mm256_add_epi64(tot, _mm256_add_epi64(_mm256_sad_epu8(acc0, z), _mm256_sad_epu8(acc1, z)));
  }
  uint64_t o[4]; _mm256_storeu_si256((__m256i *)o, tot);
  size_t c = i - (size_t)(o[0] + o[1] + o[2] + o[3]);
  for (; i < n; i++) { int d = a[i] - b[i]; d = d < 0 ? -d : d; c += d > t; }
  return c;
}
#endif

// same with SSE2 (128-bit, what WASM SIMD maps to)
static size_t diff_count_sse2(const uint8_t *a, const uint8_t *b, size_t n, int t) {
  const __m128i th = _mm_set1_epi8((char)t), z = _mm_setzero_si128();
  __m128i tot = z; size_t i = 0;
  while (i + 16 <= n) {
    __m128i acc = z; size_t lim = i + 255 * 16; if (lim > n) lim = n - (n - i) % 16;
    for (; i < lim; i += 16) {
      __m128i x = _mm_loadu_si128((const __m128i *)(a + i)), y = _mm_loadu_si128((const __m128i *)(b + i));
      __m128i d = _mm_or_si128(_mm_subs_epu8(x, y), _mm_subs_epu8(y, x));
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_subs_epu8(d, th), z));
    }
    tot = _mm_add_epi64(tot, _mm_sad_epu8(acc, z));
  }
  size_t c = i - (size_t)(_mm_cvtsi128_si64(tot) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(tot, tot)));
  for (; i < n; i++) { int d = a[i] - b[i]; d = d < 0 ? -d : d; c += d > t; }
  return c;
}

// plain C, left to gcc's auto-vectoriser
static size_t threshold_c(const uint8_t *restrict s, uint8_t *restrict d, size_t n, uint8_t t) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) { uint8_t on = s[i] > t; d[i] = on ? 255 : 0; c += on; }
  return c;
}

// area average with equal boxes (fx × fy), as oko's downscale does for integer ratios
static void downscale_c(const uint8_t *restrict src, int stride, int sw, int sh, uint8_t *restrict dst, int dw, int dh, uint16_t *restrict acc) {
  int fx = sw / dw, fy = sh / dh; uint32_t c = fx * fy, m = ((1u << 23) + c / 2) / c;
  for (int y = 0; y < dh; y++) {
    const uint8_t *r0 = src + (size_t)y * fy * stride;
    for (int x = 0; x < sw; x++) acc[x] = r0[x];
    for (int r = 1; r < fy; r++) { const uint8_t *p = r0 + (size_t)r * stride; for (int x = 0; x < sw; x++) acc[x] += p[x]; }
    for (int x = 0; x < dw; x++) { uint32_t s = 0; for (int k = 0; k < fx; k++) s += acc[x * fx + k]; dst[y * dw + x] = (uint8_t)((s * m + (1u << 22)) >> 23); }
  }
}

#define AVG(a, b) (uint8_t)(((a) + (b) + 1) >> 1)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define SEP3(NAME, OP)                                                                                            \
  static void NAME(const uint8_t *restrict s, uint8_t *restrict d, uint8_t *restrict t, int w, int h) {             \
    for (int y = 0; y < h; y++) {                                                                                 \
      const uint8_t *p = s + (size_t)y * w; uint8_t *q = t + (size_t)y * w;                                       \
      q[0] = OP(p[0], p[0], p[1]);                                                                                \
      for (int x = 1; x < w - 1; x++) q[x] = OP(p[x - 1], p[x], p[x + 1]);                                        \
      q[w - 1] = OP(p[w - 2], p[w - 1], p[w - 1]);                                                                \
    }                                                                                                             \
    for (int y = 0; y < h; y++) {                                                                                 \
      const uint8_t *a = t + (size_t)(y > 0 ? y - 1 : 0) * w, *b = t + (size_t)y * w, *c = t + (size_t)(y < h - 1 ? y + 1 : h - 1) * w; \
      uint8_t *q = d + (size_t)y * w;                                                                             \
      for (int x = 0; x < w; x++) q[x] = OP(a[x], b[x], c[x]);                                                    \
    }                                                                                                             \
  }
#define BLUR(l, c, r) AVG(AVG(l, r), c)
#define ERODE(l, c, r) MIN(MIN(l, c), r)
#define DILATE(l, c, r) MAX(MAX(l, c), r)
SEP3(blur3_c, BLUR)
SEP3(erode3_c, ERODE)
SEP3(dilate3_c, DILATE)

static volatile size_t sink;
static int cmpd(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return (a > b) - (a < b); }
static double samples[1 << 20];
// Times batches of 4 calls and reports the median batch: preemption by other processes on a busy
// machine lands in a few samples instead of the total (tinybench and the OpenCV peer do the same).

typedef struct { const char *name; double ns; size_t check; } result_t;

int main(int argc, char **argv) {
  if (argc < 8) { fprintf(stderr, "usage: kernels frames.raw W H count pw ph ms\n"); return 2; }
  int W = atoi(argv[2]), H = atoi(argv[3]), N = atoi(argv[4]), pw = atoi(argv[5]), ph = atoi(argv[6]);
  double budget = atof(argv[7]) * 1e6;
  size_t fs = (size_t)W * H, ps = (size_t)pw * ph;
  uint8_t *fr = aligned_alloc(64, (fs * N + 63) / 64 * 64);
  FILE *f = fopen(argv[1], "rb"); if (!f || fread(fr, 1, fs * N, f) != fs * N) { fprintf(stderr, "cannot read frames\n"); return 1; } fclose(f);
  uint8_t *small = aligned_alloc(64, ps * 4 + 64), *out = small + ps, *tmp = small + 2 * ps;
  uint16_t *acc = aligned_alloc(64, W * 2 + 64);
  downscale_c(fr, W, W, H, small, pw, ph, acc);
#define TIME(NAME, EXPR) do { size_t chk = 0; int i = 0, ns = 0; double t0 = now_ns();                          \
    while (now_ns() - t0 < budget && ns < (1 << 20)) { double s0 = now_ns();                                    \
      for (int r = 0; r < 4; r++, i++) { chk += (size_t)(EXPR); } samples[ns++] = (now_ns() - s0) / 4; }        \
    qsort(samples, ns, sizeof(double), cmpd); sink = chk;                                                         \
    printf("{\"name\":\"%s\",\"nsPerOp\":%.1f,\"samples\":%d}\n", NAME, samples[ns / 2], ns); } while (0)
#define A (fr + (size_t)(i % N) * fs)
#define B (fr + (size_t)((i + 1) % N) * fs)
  // cold: a ring of N frames, frame i against i+1 (as a stream would)
#ifdef __AVX2__
  TIME("absDiffThresholdCount 1080p avx2", diff_count_avx2(A, B, fs, 25));
#endif
  TIME("absDiffThresholdCount 1080p sse2", diff_count_sse2(A, B, fs, 25));
  TIME("downscaleArea 1080p->processing", (downscale_c(A, W, W, H, out, pw, ph, acc), out[7]));
  TIME("blur3 processing", (blur3_c(small, out, tmp, pw, ph), out[5]));
  TIME("erode3 processing", (erode3_c(small, out, tmp, pw, ph), out[5]));
  TIME("dilate3 processing", (dilate3_c(small, out, tmp, pw, ph), out[5]));
  TIME("threshold processing", threshold_c(small, out, ps, 128));
  return 0;
}
