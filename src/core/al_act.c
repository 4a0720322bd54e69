/* The activation table. Each elementwise row is two small inline scalar functions
 * (f, df) and one ELEMENTWISE line that turns them into array kernels, so the loops
 * inline the math and vectorise; then the lookup and parameter checks iterate it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "al_act.h"
#include "al_vec.h"

/* ---- Vectorisable building blocks ---------------------------------------- */

/* AL_INLINE (al_vec.h): the scalar forms inline into every clone of the array
 * kernels, expm1_f included. */
AL_INLINE float bits_to_float(uint32_t u)
{
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

AL_INLINE uint32_t float_to_bits(float f)
{
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* c ? a : b by bit masks. Both sides are computed anyway; a branch would let the
 * compiler sink one side's arithmetic under it, and since floating-point operations
 * may trap (we do not build with -fno-trapping-math) it then refuses to vectorise. */
AL_INLINE float sel(int c, float a, float b)
{
  uint32_t m = (uint32_t)0 - (uint32_t)(c != 0);
  return bits_to_float((float_to_bits(a) & m) | (float_to_bits(b) & ~m));
}

/* 2^n for -126 ≤ n ≤ 127, built in the exponent field. */
AL_INLINE float pow2i(int32_t n)
{
  return bits_to_float((uint32_t)(n + 127) << 23);
}

/* Writes x = n·ln2 + r with |r| ≤ ln2/2 and returns e^r − 1 (Taylor to r⁷: the
 * remainder is below 1e-8 relative). ln2 is split in two so that n·ln2_hi is
 * exact. Valid for |x| < 2^21·ln2. */
AL_INLINE float reduce_exp(float x, int32_t *n)
{
  const float magic = 12582912.0f; /* 1.5·2^23: adding it rounds to an integer */
  float t = x * 1.44269504f + magic;
  float nf = t - magic;
  *n = (int32_t)(float_to_bits(t) - float_to_bits(magic));
  float r = (x - nf * 0.693359375f) - nf * -2.12194440e-4f;
  return r + r * r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
                      r * (1.0f / 720 + r * (1.0f / 5040))))));
}

/* e^x within about 1 ulp. The library's expf cannot be vectorised without
 * -ffast-math; this can, and its results do not depend on the libm. 2^n is
 * applied in two halves so that subnormal results and e^88.7 both come out
 * right; NaN propagates. */
AL_INLINE float exp_f(float x)
{
  float xc = sel(x < -104.0f, -104.0f, x); /* e^-104 rounds to 0 */
  xc = sel(xc > 89.0f, 89.0f, xc);          /* e^89 overflows to inf */
  int32_t n;
  float p = reduce_exp(xc, &n);
  int32_t n1 = n / 2;
  return ((1.0f + p) * pow2i(n1)) * pow2i(n - n1);
}

/* e^x − 1 within about 2 ulp, accurate near 0: 2^n·(p + 1 − 2^-n). */
AL_INLINE float expm1_f(float x)
{
  float xc = sel(x < -30.0f, -30.0f, x); /* e^-30 − 1 is −1 in float */
  xc = sel(xc > 89.0f, 89.0f, xc);
  int32_t n;
  float p = reduce_exp(xc, &n);
  int32_t n1 = n / 2;
  float inv = pow2i(-n1) * pow2i(n1 - n);
  return ((p + (1.0f - inv)) * pow2i(n1)) * pow2i(n - n1);
}

/* σ(z), and σ(−z) in *neg, without overflow: e = e^-|z| ≤ 1, 1/(1 + e) is the
 * larger of the two and e/(1 + e) the smaller. σ(−z) this way avoids the
 * cancellation of 1 − σ(z) for large z. */
AL_INLINE float sigm2(float z, float *neg)
{
  float e = exp_f(-fabsf(z));
  float s = 1.0f / (1.0f + e);
  *neg = sel(z >= 0.0f, e * s, s);
  return sel(z >= 0.0f, s, e * s);
}

AL_INLINE float sigm(float z)
{
  float neg;
  return sigm2(z, &neg);
}

/* σ'(z) = σ(z)σ(−z), accurate in both tails, where y(1 − y) from a rounded y loses
 * its digits once y is near 1. */
AL_INLINE float dsigm(float z)
{
  float neg;
  return sigm2(z, &neg) * neg;
}

#define SELU_ALPHA 1.6732632423543772f
#define SELU_LAMBDA 1.0507009873554805f
#define SQRT1_2 0.70710678118654752f    /* 1/√2 */
#define INV_SQRT_2PI 0.39894228040143268f /* 1/√(2π) */
#define SQRT_2_PI 0.79788456080286536f  /* √(2/π) */
#define GELU_C 0.044715f

/* ---- Scalar forms ---------------------------------------------------------
 * f(x, p) and df(x, y, p) with y = f(x); the kinks follow PyTorch's conventions. */

AL_INLINE float identity_f(float x, const float *p) { (void)p; return x; }
AL_INLINE float identity_df(float x, float y, const float *p)
{
  (void)x, (void)y, (void)p;
  return 1.0f;
}

/* NaN stays NaN (the last arm), so a diverged input is not hidden as 0. The forms
 * with sel, not ?:, are what let these loops vectorise (see sel). */
AL_INLINE float step_f(float x, const float *p)
{
  (void)p;
  return sel(x > 0.0f, 1.0f, sel(x <= 0.0f, 0.0f, x));
}
/* The true derivative is 0; a surrogate, when on, stands in for it. With k = 0 the
 * sigmoid surrogate is exactly 0, so it needs no test of its own. */
AL_INLINE float step_df(float x, float y, const float *p)
{
  (void)y;
  float st = fabsf(x) <= 1.0f ? 1.0f : 0.0f;
  return sel(p[0] != 0.0f, st, p[1] * dsigm(p[1] * x));
}

AL_INLINE float sigmoid_f(float x, const float *p) { (void)p; return sigm(x); }
AL_INLINE float sigmoid_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  return dsigm(x);
}

/* tanh|x| = −m/(m + 2) with m = e^{−2|x|} − 1: no overflow, no cancellation near 0. */
AL_INLINE float tanh_f(float x, const float *p)
{
  (void)p;
  float m = expm1_f(-2.0f * fabsf(x));
  return copysignf(-m / (m + 2.0f), x);
}
/* 1 − tanh² = 4e/(1 + e)² with e = e^{−2|x|}, from x: 1 − y² from the rounded y
 * has no correct digit left once |x| passes about 9. */
AL_INLINE float tanh_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  float e = exp_f(-2.0f * fabsf(x));
  float s = 1.0f / (1.0f + e);
  return 4.0f * e * s * s;
}

/* NaN and −0 come through as they are (x < 0 is false for both). */
AL_INLINE float relu_f(float x, const float *p) { (void)p; return sel(x < 0.0f, 0.0f, x); }
AL_INLINE float relu_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  return sel(x > 0.0f, 1.0f, 0.0f);
}

/* Negative slope s: leaky_relu, prelu and rrelu (evaluation mode) share these. */
AL_INLINE float slope_f(float x, float s) { return sel(x > 0.0f, x, s * x); }
AL_INLINE float slope_df(float x, float s) { return sel(x > 0.0f, 1.0f, s); }

AL_INLINE float leaky_relu_f(float x, const float *p) { return slope_f(x, p[0]); }
AL_INLINE float leaky_relu_df(float x, float y, const float *p)
{
  (void)y;
  return slope_df(x, p[0]);
}

AL_INLINE float prelu_f(float x, const float *p) { return slope_f(x, p[0]); }
AL_INLINE float prelu_df(float x, float y, const float *p)
{
  (void)y;
  return slope_df(x, p[0]);
}

AL_INLINE float rrelu_f(float x, const float *p) { return slope_f(x, 0.5f * (p[0] + p[1])); }
AL_INLINE float rrelu_df(float x, float y, const float *p)
{
  (void)y;
  return slope_df(x, 0.5f * (p[0] + p[1]));
}

/* The derivatives of the exponential family use α·e^x from x, not y + α, which
 * would cancel for very negative x. */
AL_INLINE float elu_f(float x, const float *p) { return sel(x > 0.0f, x, p[0] * expm1_f(x)); }
AL_INLINE float elu_df(float x, float y, const float *p)
{
  (void)y;
  return sel(x > 0.0f, 1.0f, p[0] * exp_f(x));
}

AL_INLINE float selu_f(float x, const float *p)
{
  (void)p;
  return SELU_LAMBDA * sel(x > 0.0f, x, SELU_ALPHA * expm1_f(x));
}
AL_INLINE float selu_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  return SELU_LAMBDA * sel(x > 0.0f, 1.0f, SELU_ALPHA * exp_f(x));
}

/* max(0, x) + min(0, α(e^{x/α} − 1)) is x for x > 0 and the second term otherwise. */
AL_INLINE float celu_f(float x, const float *p)
{
  return sel(x > 0.0f, x, p[0] * expm1_f(x / p[0]));
}
AL_INLINE float celu_df(float x, float y, const float *p)
{
  (void)y;
  return sel(x > 0.0f, 1.0f, exp_f(x / p[0]));
}

/* Φ(x) = erfc(−x/√2)/2: for x < 0, 1 + erf would cancel. */
AL_INLINE float gelu_f(float x, const float *p)
{
  (void)p;
  return 0.5f * x * erfcf(-x * SQRT1_2);
}
AL_INLINE float gelu_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  return 0.5f * erfcf(-x * SQRT1_2) + x * INV_SQRT_2PI * exp_f(-0.5f * x * x);
}

/* ½(1 + tanh u) = σ(2u), which does not cancel for x < 0. */
AL_INLINE float gelu_tanh_f(float x, const float *p)
{
  (void)p;
  return x * sigm(2.0f * SQRT_2_PI * (x + GELU_C * x * x * x));
}
AL_INLINE float gelu_tanh_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  float v = 2.0f * SQRT_2_PI * (x + GELU_C * x * x * x);
  float du = SQRT_2_PI * (1.0f + 3.0f * GELU_C * x * x);
  float neg, s = sigm2(v, &neg);
  return s + x * 2.0f * s * neg * du;
}

AL_INLINE float silu_f(float x, const float *p) { (void)p; return x * sigm(x); }
AL_INLINE float silu_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  float neg, s = sigm2(x, &neg);
  return s * (1.0f + x * neg);
}

/* t = tanh(softplus x) = m/(m + 2) with m = e^x(e^x + 2); for x ≥ 0 divided through
 * by e^{2x} so that only e^{−|x|} ≤ 1 appears. 1 − t is formed directly (it is
 * 2/(m + 2)), since it is small exactly where t is near 1. */
AL_INLINE float mish_t(float x, float *one_minus_t)
{
  float e = exp_f(-fabsf(x));
  float m = e * (e + 2.0f);
  float den = 1.0f + 2.0f * e + 2.0f * e * e;
  *one_minus_t = sel(x >= 0.0f, 2.0f * e * e / den, 2.0f / (m + 2.0f));
  return sel(x >= 0.0f, (1.0f + 2.0f * e) / den, m / (m + 2.0f));
}
AL_INLINE float mish_f(float x, const float *p)
{
  (void)p;
  float omt;
  return x * mish_t(x, &omt);
}
AL_INLINE float mish_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  float omt;
  float t = mish_t(x, &omt);
  return t + x * omt * (1.0f + t) * sigm(x);
}

/* log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}); linear once βx passes the threshold. */
AL_INLINE float softplus_f(float x, const float *p)
{
  float z = p[0] * x;
  float sp = ((z > 0.0f ? z : 0.0f) + log1pf(exp_f(-fabsf(z)))) / p[0];
  return sel(z > p[1], x, sp);
}
AL_INLINE float softplus_df(float x, float y, const float *p)
{
  (void)y;
  float z = p[0] * x;
  return sel(z > p[1], 1.0f, sigm(z));
}

AL_INLINE float softsign_f(float x, const float *p) { (void)p; return x / (1.0f + fabsf(x)); }
/* From x: (1 − |y|)² would lose digits as |y| → 1. */
AL_INLINE float softsign_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  float a = 1.0f + fabsf(x);
  return 1.0f / (a * a);
}

AL_INLINE float hardtanh_f(float x, const float *p)
{
  return sel(x < p[0], p[0], sel(x > p[1], p[1], x));
}
AL_INLINE float hardtanh_df(float x, float y, const float *p)
{
  (void)y;
  return sel((x > p[0]) & (x < p[1]), 1.0f, 0.0f);
}

/* clamp(x + 3, 0, 6)/6 as PyTorch computes it: exact 0, 1/2 and 1. */
AL_INLINE float hardsigmoid_f(float x, const float *p)
{
  (void)p;
  float v = x + 3.0f;
  return sel(v < 0.0f, 0.0f, sel(v > 6.0f, 6.0f, v)) / 6.0f;
}
AL_INLINE float hardsigmoid_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  return sel((x > -3.0f) & (x < 3.0f), 1.0f / 6.0f, 0.0f);
}

AL_INLINE float hardswish_f(float x, const float *p) { return x * hardsigmoid_f(x, p); }
/* PyTorch ≥ 2.7 (pull 148049): 0 for x ≤ −3, 1 for x ≥ 3, so each kink takes the
 * value of its outer piece. Earlier versions gave −1/2 and 3/2 there. */
AL_INLINE float hardswish_df(float x, float y, const float *p)
{
  (void)y, (void)p;
  return sel(x <= -3.0f, 0.0f, sel(x < 3.0f, (2.0f * x + 3.0f) / 6.0f, 1.0f));
}

/* ---- Array kernels ------------------------------------------------------- */

/* Every kernel below runs its loops in AL_EACH (al_vec.h). */

/* The parameters in a local array: the loops can then keep them in registers,
 * where through p every store to y might have changed them. */
static void load_params(float q[AL_ACT_MAX_PARAMS], const al_act *self, const float *p)
{
  for (int k = 0; k < AL_ACT_MAX_PARAMS; k++)
    q[k] = k < self->nparams ? p[k] : 0.0f;
}

/* Each array kernel is compiled for SSE2, AVX2 and AVX-512 (AL_CLONES): 2-3x on the
 * exp-based rows where the processor has the wider units, with the same results. */
#define ELEMENTWISE(fn)                                                                 \
  AL_CLONES static void fn##_forward(const al_act *self, float *y, const float *x,      \
                                     size_t rows, size_t cols, const float *p)          \
  {                                                                                     \
    float q[AL_ACT_MAX_PARAMS];                                                         \
    load_params(q, self, p);                                                            \
    AL_EACH(rows * cols, i, y[i] = fn##_f(x[i], q));                                    \
  }                                                                                     \
  AL_CLONES static void fn##_derivative(const al_act *self, float *d, const float *x,   \
                                        const float *y, size_t n, const float *p)       \
  {                                                                                     \
    float q[AL_ACT_MAX_PARAMS];                                                         \
    load_params(q, self, p);                                                            \
    AL_EACH(n, i, d[i] = fn##_df(x[i], y[i], q));                                       \
  }                                                                                     \
  AL_CLONES static void fn##_backward(const al_act *self, float *dx, const float *x,    \
                                      const float *y, const float *dy, size_t rows,     \
                                      size_t cols, const float *p)                      \
  {                                                                                     \
    float q[AL_ACT_MAX_PARAMS];                                                         \
    load_params(q, self, p);                                                            \
    AL_EACH(rows * cols, i, dx[i] = dy[i] * fn##_df(x[i], y[i], q));                    \
  }

ELEMENTWISE(identity)
ELEMENTWISE(step)
ELEMENTWISE(sigmoid)
ELEMENTWISE(tanh)
ELEMENTWISE(relu)
ELEMENTWISE(leaky_relu)
ELEMENTWISE(prelu)
ELEMENTWISE(rrelu)
ELEMENTWISE(elu)
ELEMENTWISE(selu)
ELEMENTWISE(celu)
ELEMENTWISE(gelu)
ELEMENTWISE(gelu_tanh)
ELEMENTWISE(silu)
ELEMENTWISE(mish)
ELEMENTWISE(softplus)
ELEMENTWISE(softsign)
ELEMENTWISE(hardtanh)
ELEMENTWISE(hardsigmoid)
ELEMENTWISE(hardswish)

/* The row's maximum; a NaN anywhere reaches the output through e^{x−m}. */
static float row_max(const float *x, size_t cols)
{
  float m = x[0];
  for (size_t j = 1; j < cols; j++)
    m = x[j] > m ? x[j] : m;
  return m;
}

/* Row-wise, stable: e^{x−max} never overflows and the largest term is 1. The exps run
 * over the whole block in one vector loop (rows of 10 classes would each be a scalar
 * tail): y = x − max row by row first, then y = e^y; the same values as e^{x−max}. */
AL_CLONES static void softmax_forward(const al_act *self, float *y, const float *x,
                                      size_t rows, size_t cols, const float *p)
{
  (void)self, (void)p;
  if (cols == 0)
    return;
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    float m = row_max(xr, cols);
    AL_EACH(cols, j, yr[j] = xr[j] - m);
  }
  AL_EACH(rows * cols, i, y[i] = exp_f(y[i]));
  for (size_t r = 0; r < rows; r++) {
    float *yr = y + r * cols;
    float s = 0.0f;
    for (size_t j = 0; j < cols; j++)
      s += yr[j];
    float inv = 1.0f / s;
    AL_EACH(cols, j, yr[j] *= inv);
  }
}

/* dx_i = y_i(dy_i − Σ_j dy_j y_j); the sum comes first, so dx may be dy. */
static void softmax_backward(const al_act *self, float *dx, const float *x, const float *y,
                             const float *dy, size_t rows, size_t cols, const float *p)
{
  (void)self, (void)x, (void)p;
  for (size_t r = 0; r < rows; r++) {
    const float *yr = y + r * cols, *dyr = dy + r * cols;
    float *dxr = dx + r * cols;
    float dot = 0.0f;
    for (size_t j = 0; j < cols; j++)
      dot += dyr[j] * yr[j];
    AL_EACH(cols, j, dxr[j] = yr[j] * (dyr[j] - dot));
  }
}

/* y = x − max − log Σ e^{x−max}. */
static void log_softmax_forward(const al_act *self, float *y, const float *x, size_t rows,
                                size_t cols, const float *p)
{
  (void)self, (void)p;
  for (size_t r = 0; r < rows && cols > 0; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    float m = row_max(xr, cols);
    float s = 0.0f;
    for (size_t j = 0; j < cols; j++)
      s += exp_f(xr[j] - m);
    float ls = logf(s);
    /* (x − m) − log s: x − m is exact near the maximum, where m + log s would round. */
    AL_EACH(cols, j, yr[j] = (xr[j] - m) - ls);
  }
}

/* dx_i = dy_i − softmax_i·Σ_j dy_j, with softmax_i = e^{y_i}. */
static void log_softmax_backward(const al_act *self, float *dx, const float *x,
                                 const float *y, const float *dy, size_t rows, size_t cols,
                                 const float *p)
{
  (void)self, (void)x, (void)p;
  for (size_t r = 0; r < rows; r++) {
    const float *yr = y + r * cols, *dyr = dy + r * cols;
    float *dxr = dx + r * cols;
    float sum = 0.0f;
    for (size_t j = 0; j < cols; j++)
      sum += dyr[j];
    AL_EACH(cols, j, dxr[j] = dyr[j] - exp_f(yr[j]) * sum);
  }
}

/* ---- Parameter relations and moving kinks --------------------------------- */

static const char *step_check(const float *p)
{
  return p[0] != 0.0f && p[1] != 0.0f ? "straight_through and surrogate_k cannot both be on"
                                      : NULL;
}

static const char *rrelu_check(const float *p)
{
  return p[0] > p[1] ? "lower must not exceed upper" : NULL;
}

static const char *hardtanh_check(const float *p)
{
  return p[0] >= p[1] ? "min must be less than max" : NULL;
}

static int hardtanh_kinks(const float *p, float kinks[2])
{
  kinks[0] = p[0];
  kinks[1] = p[1];
  return 2;
}

/* Where βx reaches the threshold f switches to x, with a jump of log1p(e^-t)/β. */
static int softplus_kinks(const float *p, float kinks[2])
{
  kinks[0] = p[1] / p[0];
  return 1;
}

/* ---- The table ------------------------------------------------------------ */

#define KERNELS(fn)                                                       \
  .f = fn##_f, .df = fn##_df, .forward = fn##_forward,                    \
  .derivative = fn##_derivative, .backward = fn##_backward

#define BIG 1e6f          /* upper bound of open-ended parameters: finite, generous */
#define POSITIVE 1e-6f    /* lower bound of parameters that must be > 0 */

static const al_act table[] = {
  {.name = "identity", .formula = "x", KERNELS(identity)},
  {.name = "step", .formula = "1 if x > 0 else 0", KERNELS(step),
   .nparams = 2,
   .params = {{"straight_through", 0.0f, 0.0f, 1.0f, 1,
               "1: surrogate gradient 1 on |x| <= 1 (straight-through estimator)"},
              {"surrogate_k", 0.0f, 0.0f, BIG, 0,
               "k > 0: surrogate gradient k*sigmoid(kx)*(1 - sigmoid(kx)); 0: off"}},
   .check = step_check, .flags = AL_ACT_SATURATING, .nkinks = 1, .kinks = {0.0f}},
  {.name = "sigmoid", .formula = "1/(1 + e^-x)", KERNELS(sigmoid),
   .flags = AL_ACT_SATURATING},
  {.name = "tanh", .formula = "(e^x - e^-x)/(e^x + e^-x)", KERNELS(tanh),
   .flags = AL_ACT_SATURATING},
  {.name = "relu", .formula = "max(0, x)", KERNELS(relu),
   .flags = AL_ACT_RELU_LIKE, .nkinks = 1, .kinks = {0.0f}},
  {.name = "leaky_relu", .formula = "x if x > 0 else gamma*x", KERNELS(leaky_relu),
   .nparams = 1, .params = {{"gamma", 0.01f, 0.0f, BIG, 0, "slope for x <= 0"}},
   .flags = AL_ACT_RELU_LIKE, .nkinks = 1, .kinks = {0.0f}},
  /* alpha may be negative: it is learned, and a trained value must load back. */
  {.name = "prelu", .formula = "x if x > 0 else alpha*x (alpha learned)", KERNELS(prelu),
   .nparams = 1,
   .params = {{"alpha", 0.25f, -BIG, BIG, 0, "slope for x <= 0; its initial value when learned"}},
   .flags = AL_ACT_TRAINABLE | AL_ACT_RELU_LIKE, .nkinks = 1, .kinks = {0.0f}},
  {.name = "rrelu",
   .formula = "x if x > 0 else a*x, a ~ U(lower, upper) in training, (lower + upper)/2 in evaluation",
   KERNELS(rrelu), .nparams = 2,
   .params = {{"lower", 1.0f / 8, 0.0f, BIG, 0, "smallest slope for x <= 0"},
              {"upper", 1.0f / 3, 0.0f, BIG, 0, "largest slope for x <= 0"}},
   .check = rrelu_check, .flags = AL_ACT_STOCHASTIC | AL_ACT_RELU_LIKE, .nkinks = 1,
   .kinks = {0.0f}},
  {.name = "elu", .formula = "x if x > 0 else alpha*(e^x - 1)", KERNELS(elu),
   .nparams = 1, .params = {{"alpha", 1.0f, POSITIVE, BIG, 0, "value approached as x -> -inf is -alpha"}},
   .flags = AL_ACT_RELU_LIKE, .nkinks = 1, .kinks = {0.0f}},
  {.name = "selu", .formula = "lambda*(x if x > 0 else alpha*(e^x - 1)), alpha = 1.6733, lambda = 1.0507",
   KERNELS(selu), .flags = AL_ACT_RELU_LIKE, .nkinks = 1, .kinks = {0.0f}},
  /* f' is continuous at 0 (1 on both sides) but has a corner there. */
  {.name = "celu", .formula = "max(0, x) + min(0, alpha*(e^(x/alpha) - 1))", KERNELS(celu),
   .nparams = 1, .params = {{"alpha", 1.0f, POSITIVE, BIG, 0, "value approached as x -> -inf is -alpha"}},
   .flags = AL_ACT_RELU_LIKE, .nkinks = 1, .kinks = {0.0f}},
  {.name = "gelu", .formula = "x*Phi(x) = x*(1 + erf(x/sqrt 2))/2", KERNELS(gelu)},
  {.name = "gelu_tanh", .formula = "x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))/2",
   KERNELS(gelu_tanh)},
  {.name = "silu", .formula = "x*sigmoid(x)", KERNELS(silu)},
  {.name = "mish", .formula = "x*tanh(softplus(x))", KERNELS(mish)},
  {.name = "softplus", .formula = "log(1 + e^(beta*x))/beta, x once beta*x > threshold",
   KERNELS(softplus), .nparams = 2,
   .params = {{"beta", 1.0f, POSITIVE, BIG, 0, "sharpness"},
              {"threshold", 20.0f, POSITIVE, BIG, 0, "beta*x above which f is x"}},
   .nkinks = 1, .kinks = {20.0f}, .kinks_at = softplus_kinks},
  {.name = "softsign", .formula = "x/(1 + |x|)", KERNELS(softsign), .flags = AL_ACT_SATURATING,
   .nkinks = 1, .kinks = {0.0f}}, /* f' has a corner at 0 (f'' jumps from 2 to −2) */
  {.name = "hardtanh", .formula = "clamp(x, min, max)", KERNELS(hardtanh), .nparams = 2,
   .params = {{"min", -1.0f, -BIG, BIG, 0, "lower output bound"},
              {"max", 1.0f, -BIG, BIG, 0, "upper output bound"}},
   .check = hardtanh_check, .flags = AL_ACT_SATURATING, .nkinks = 2, .kinks = {-1.0f, 1.0f},
   .kinks_at = hardtanh_kinks},
  {.name = "hardsigmoid", .formula = "clamp(x/6 + 1/2, 0, 1)", KERNELS(hardsigmoid),
   .flags = AL_ACT_SATURATING, .nkinks = 2, .kinks = {-3.0f, 3.0f}},
  {.name = "hardswish", .formula = "x*clamp(x/6 + 1/2, 0, 1)", KERNELS(hardswish),
   .nkinks = 2, .kinks = {-3.0f, 3.0f}},
  {.name = "softmax", .formula = "e^x_i / sum_j e^x_j (over each row)",
   .forward = softmax_forward, .backward = softmax_backward,
   .flags = AL_ACT_ROWWISE | AL_ACT_OUTPUT},
  {.name = "log_softmax", .formula = "x_i - log sum_j e^x_j (over each row)",
   .forward = log_softmax_forward, .backward = log_softmax_backward,
   .flags = AL_ACT_ROWWISE | AL_ACT_OUTPUT},
};

#define NROWS ((int)(sizeof table / sizeof table[0]))

/* ---- Lookup and validation ------------------------------------------------ */

int al_act_count(void)
{
  return NROWS;
}

const al_act *al_act_at(int i)
{
  return i >= 0 && i < NROWS ? &table[i] : NULL;
}

const al_act *al_act_find(const char *name)
{
  if (name == NULL)
    return NULL;
  for (int i = 0; i < NROWS; i++)
    if (strcmp(table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

/* Appends s to buf (capacity cap, always terminated), cutting it if needed. */
static void append(char *buf, size_t cap, const char *s)
{
  size_t len = strlen(buf);
  if (len + 1 < cap)
    snprintf(buf + len, cap - len, "%s", s);
}

al_status al_act_lookup(const al_act **out, const char *name, al_err *err)
{
  const al_act *a = al_act_find(name);
  if (out != NULL)
    *out = a;
  if (a != NULL)
    return AL_OK;
  char names[AL_ERR_MSG_MAX] = "";
  for (int i = 0; i < NROWS; i++) {
    if (i > 0)
      append(names, sizeof names, ", ");
    append(names, sizeof names, table[i].name);
  }
  /* The name is cut so that a long one cannot push the list out of the message. */
  return al_fail(err, AL_ERR_NAME, "unknown activation '%.64s' (valid: %s)",
                 name != NULL ? name : "(null)", names);
}

al_status al_act_param_index(int *idx, const al_act *a, const char *name, al_err *err)
{
  if (idx != NULL)
    *idx = -1;
  for (int i = 0; name != NULL && i < a->nparams; i++) {
    if (strcmp(a->params[i].name, name) == 0) {
      if (idx != NULL)
        *idx = i;
      return AL_OK;
    }
  }
  const char *shown = name != NULL ? name : "(null)";
  if (a->nparams == 0)
    return al_fail(err, AL_ERR_NAME, "unknown parameter '%.64s' for %s (it has no parameters)",
                   shown, a->name);
  char names[AL_ERR_MSG_MAX] = "";
  for (int i = 0; i < a->nparams; i++) {
    if (i > 0)
      append(names, sizeof names, ", ");
    append(names, sizeof names, a->params[i].name);
  }
  return al_fail(err, AL_ERR_NAME, "unknown parameter '%.64s' for %s (valid: %s)", shown,
                 a->name, names);
}

void al_act_defaults(const al_act *a, float p[AL_ACT_MAX_PARAMS])
{
  for (int i = 0; i < AL_ACT_MAX_PARAMS; i++)
    p[i] = i < a->nparams ? a->params[i].def : 0.0f;
}

al_status al_act_check_params(const al_act *a, const float *p, al_err *err)
{
  if (a->nparams > 0 && p == NULL)
    return al_fail(err, AL_ERR_ARG, "%s: parameters missing", a->name);
  for (int i = 0; i < a->nparams; i++) {
    const al_act_param *d = &a->params[i];
    double v = p[i];
    if (!isfinite(v))
      return al_fail(err, AL_ERR_ARG, "%s: %s = %g is not a finite number", a->name, d->name, v);
    if (v < d->lo || v > d->hi)
      return al_fail(err, AL_ERR_ARG, "%s: %s = %g outside [%g, %g]", a->name, d->name, v,
                     (double)d->lo, (double)d->hi);
    if (d->integer && v != floor(v))
      return al_fail(err, AL_ERR_ARG, "%s: %s = %g is not a whole number", a->name, d->name, v);
  }
  const char *why = a->check != NULL ? a->check(p) : NULL;
  if (why != NULL) {
    char vals[AL_ERR_MSG_MAX] = "";
    for (int i = 0; i < a->nparams; i++) {
      char one[96];
      snprintf(one, sizeof one, "%s%s = %g", i > 0 ? ", " : "", a->params[i].name,
               (double)p[i]);
      append(vals, sizeof vals, one);
    }
    return al_fail(err, AL_ERR_ARG, "%s: %s (%s)", a->name, why, vals);
  }
  return AL_OK;
}

int al_act_kinks(float kinks[2], const al_act *a, const float *p)
{
  if (a->kinks_at != NULL && p != NULL)
    return a->kinks_at(p, kinks);
  for (int i = 0; i < a->nkinks && i < 2; i++)
    kinks[i] = a->kinks[i];
  return a->nkinks;
}
