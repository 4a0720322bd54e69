/* Measures an activation's properties by sampling its forward and derivative
 * kernels: a grid over [−10, 10], patches around its kinks, far points for the
 * tails. The rules are written down in al_props.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "al_props.h"

#define GRID_HALF 1000 /* grid points −10, −9.99, …, 10 */
#define GRID_STEP 0.01
#define H 1e-3         /* one-sided difference step */
#define MAX_KINKS 2
#define NFAR 8
#define BISECT_LEVELS 40

/* Ordered, so the far points merge into the sorted samples for the monotonic check. */
static const float far_x[NFAR] = {-1e6f, -1e4f, -1e3f, -1e2f, 1e2f, 1e3f, 1e4f, 1e6f};

/* Beyond the grid (kinks at 20 or 2e4) floats are coarser, so spacings grow with |x|. */
static double spread(double x)
{
  return fabs(x) > 10.0 ? fabs(x) / 10.0 : 1.0;
}

/* Two values close enough to be the same bound (float rounding of one value). */
static int same(double u, double v)
{
  return fabs(u - v) <= 1e-6 * fmax(1.0, fmax(fabs(u), fabs(v)));
}

/* A change between neighbouring samples too large to be a slope at this spacing. */
static int jumps(float u, float v)
{
  return !(fabsf(v - u) <= 1e-3f * fmaxf(1.0f, fmaxf(fabsf(u), fabsf(v))));
}

static int cmp_float(const void *pa, const void *pb)
{
  float u = *(const float *)pa, v = *(const float *)pb;
  return (u > v) - (u < v);
}

/* The shortest decimal within tol of v (0 first), or v itself. */
static double round_within(double v, double tol)
{
  if (fabs(v) <= tol)
    return 0.0;
  for (int digits = 1; digits <= 9; digits++) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    double r = strtod(buf, NULL);
    if (fabs(r - v) <= tol)
      return r;
  }
  return v;
}

/* What f does beyond the far points on one side, from f at 1e3, 1e4 and 1e6 (away
 * from 0): +1 or −1 when it keeps growing up or down, 0 when it has settled (the
 * limit goes to *limit), 2 when a NaN hides it. Settling is judged per decade: a
 * bounded tail changes less over the two decades [1e4, 1e6] than over the one
 * before (softsign: 1e-4 against 9e-4), log x changes twice as much. */
static int tail(double *limit, float f3, float f4, float f6)
{
  if (isnan(f3) || isnan(f4) || isnan(f6))
    return 2;
  if (isinf(f6))
    return f6 > 0 ? 1 : -1;
  if (isinf(f3) || isinf(f4))
    return 2;
  double d1 = (double)f4 - f3, d2 = (double)f6 - f4, mag = fmax(1.0, fabs(f6));
  if (fabs(d2) > 1e-5 * mag && fabs(d2) >= fabs(d1))
    return d2 > 0 ? 1 : -1;
  *limit = round_within(f6, fmin(fabs(d2), 1e-3 * mag));
  return 0;
}

/* No jump between neighbouring samples: each interval whose ends differ noticeably is
 * halved towards its larger change until nothing is left to halve; a slope fades
 * away, a jump stays. Intervals wider than the local spacing (from the grid's end
 * to a kink's patch far out) were not sampled densely and are not judged. All
 * intervals advance together, so a kernel that calls a script runs once per level.
 * scratch: 6·np floats. */
static int continuous(const al_act *a, const float *p, const float *x, const float *y,
                      int np, float *scratch)
{
  float *lo = scratch, *hi = lo + np, *flo = hi + np, *fhi = flo + np;
  float *mid = fhi + np, *fmid = mid + np;
  int m = 0;
  for (int i = 0; i + 1 < np; i++) {
    double wide = fmax(fabs(x[i]), fabs(x[i + 1]));
    if ((double)x[i + 1] - x[i] > 1.01 * GRID_STEP * spread(wide))
      continue;
    if (jumps(y[i], y[i + 1])) {
      lo[m] = x[i], hi[m] = x[i + 1], flo[m] = y[i], fhi[m] = y[i + 1];
      m++;
    }
  }
  for (int level = 0; level < BISECT_LEVELS && m > 0; level++) {
    int active = 0;
    for (int k = 0; k < m; k++) {
      float md = lo[k] + (hi[k] - lo[k]) * 0.5f;
      int inside = md > lo[k] && md < hi[k];
      mid[k] = inside ? md : lo[k];
      active += inside;
    }
    if (!active)
      break;
    a->forward(a, fmid, mid, (size_t)m, 1, p);
    for (int k = 0; k < m; k++) {
      if (mid[k] == lo[k])
        continue;
      if (!isfinite(fmid[k]))
        return 0;
      if (fabsf(fmid[k] - flo[k]) >= fabsf(fhi[k] - fmid[k]))
        hi[k] = mid[k], fhi[k] = fmid[k];
      else
        lo[k] = mid[k], flo[k] = fmid[k];
    }
  }
  for (int k = 0; k < m; k++)
    if (jumps(flo[k], fhi[k]))
      return 0;
  return 1;
}

/* v follows prev without going against dir (+1 rising, −1 falling), float noise
 * of 1e-6 relative forgiven. */
static int keeps_direction(float prev, float v, int dir)
{
  if (isnan(prev) || isnan(v))
    return 0;
  if (v == prev)
    return 1;
  double step = dir * ((double)v - prev);
  if (step >= 0.0)
    return 1;
  if (isinf(prev) || isinf(v))
    return 0;
  return -step <= 1e-6 * fmax(1.0, fmax(fabs(prev), fabs(v)));
}

/* The grid's samples (sorted) and the far ones merged in order of x, then checked
 * in both directions. scratch: np + NFAR floats. */
static int monotonic(const float *x, const float *y, int np, const float *yf, float *scratch)
{
  int i = 0, j = 0, n = 0;
  while (i < np || j < NFAR)
    scratch[n++] = j == NFAR || (i < np && x[i] <= far_x[j]) ? y[i++] : yf[j++];
  int up = 1, down = 1;
  for (int k = 1; k < n; k++) {
    up = up && keeps_direction(scratch[k - 1], scratch[k], 1);
    down = down && keeps_direction(scratch[k - 1], scratch[k], -1);
  }
  return up || down;
}

/* f reaches v on a flat piece or at a corner: at a sampled finite point where f' = 0
 * (relu's 0 for x < 0, an extremum), at a kink or at the float beside one (step's 0
 * and 1, also when a surrogate makes f' nonzero there), not a tail still creeping
 * towards its limit. The first np of the nd samples are the points, the rest lie
 * beside the kinks. */
static int reached(double v, const float *x, const float *y, const float *d, int np, int nd,
                   const float *kinks, int nk)
{
  for (int i = 0; i < nd; i++) {
    if (!same(y[i], v))
      continue;
    int at_kink = i >= np;
    for (int k = 0; k < nk; k++)
      at_kink = at_kink || x[i] == kinks[k];
    if (at_kink || d[i] == 0.0f)
      return 1;
  }
  return 0;
}

/* The grid and, around each finite kink, the kink and a neighbour on each side;
 * sorted, repeats removed. Returns the count. */
static int build_points(float *x, const float *kinks, int nk)
{
  int np = 0;
  for (int i = -GRID_HALF; i <= GRID_HALF; i++)
    x[np++] = (float)((double)i / 100.0);
  for (int k = 0; k < nk; k++) {
    if (!isfinite(kinks[k]))
      continue;
    float dk = (float)(GRID_STEP * spread(kinks[k]));
    x[np++] = kinks[k] - dk;
    x[np++] = kinks[k];
    x[np++] = kinks[k] + dk;
  }
  qsort(x, (size_t)np, sizeof *x, cmp_float);
  int u = 0;
  for (int i = 0; i < np; i++)
    if (u == 0 || x[i] != x[u - 1])
      x[u++] = x[i];
  return u;
}

al_status al_act_properties(al_act_props *out, const al_act *a, const float *p, al_err *err)
{
  al_status st = AL_OK;
  float *buf = NULL;
  float defaults[AL_ACT_MAX_PARAMS], kinks[MAX_KINKS];

  if (out == NULL || a == NULL)
    return al_fail(err, AL_ERR_ARG, "properties: output and activation must not be NULL");
  if (a->flags & AL_ACT_ROWWISE)
    return al_fail(err, AL_ERR_ARG, "elementwise activation expected, '%s' is row-wise",
                   a->name);
  if (a->forward == NULL || a->derivative == NULL)
    return al_fail(err, AL_ERR_ARG, "'%s' has no forward or derivative kernel", a->name);
  if (p == NULL) {
    al_act_defaults(a, defaults);
    p = defaults;
  } else if ((st = al_act_check_params(a, p, err)) != AL_OK) {
    return st;
  }
  int nk = al_act_kinks(kinks, a, p);
  nk = nk < 0 ? 0 : nk > MAX_KINKS ? MAX_KINKS : nk;

  /* Samples in one block, so a single forward call covers them:
   * [points | one float either side of each kink | points − h | points + h | far]. */
  const int np_max = 2 * GRID_HALF + 1 + 3 * MAX_KINKS, nu_max = 2 * MAX_KINKS;
  const size_t cap = 3 * (size_t)np_max + nu_max + NFAR;
  buf = malloc((2 * cap + (size_t)(np_max + nu_max) + 6 * (size_t)np_max) * sizeof *buf);
  if (buf == NULL) {
    st = al_fail(err, AL_ERR_NOMEM, "properties: out of memory");
    goto done;
  }
  float *x = buf, *y = x + cap, *d = y + cap, *scratch = d + np_max + nu_max;

  int np = build_points(x, kinks, nk), nu = 0;
  for (int k = 0; k < nk; k++) {
    if (isfinite(kinks[k])) {
      x[np + nu++] = nextafterf(kinks[k], -INFINITY);
      x[np + nu++] = nextafterf(kinks[k], INFINITY);
    }
  }
  const int nd = np + nu; /* where f′ is evaluated */
  float *xl = x + nd, *xr = xl + np, *xf = xr + np;
  for (int i = 0; i < np; i++) {
    float h = (float)(H * spread(x[i]));
    xl[i] = x[i] - h;
    xr[i] = x[i] + h;
  }
  memcpy(xf, far_x, sizeof far_x);
  const size_t n = (size_t)nd + 2 * (size_t)np + NFAR;
  a->forward(a, y, x, n, 1, p);
  a->derivative(a, d, x, y, (size_t)nd, p);
  const float *yl = y + nd, *yr = yl + np, *yf = yr + np;

  int finite = 1;
  for (int i = 0; i < np; i++)
    finite = finite && isfinite(y[i]) && isfinite(yl[i]) && isfinite(yr[i]);

  out->continuous = finite && continuous(a, p, x, y, np, scratch);
  out->monotonic = monotonic(x, y, np, yf, scratch);

  /* Not affine: distance of every finite sample from the chord through f(±10). */
  double y0 = NAN, y1 = NAN, f0 = NAN;
  for (int i = 0; i < np; i++) {
    if (x[i] == -10.0f)
      y0 = y[i];
    else if (x[i] == 10.0f)
      y1 = y[i];
    else if (x[i] == 0.0f)
      f0 = y[i];
  }
  double slope = (y1 - y0) / 20.0, dev = 0.0, size = 1.0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(y[i]))
      continue;
    dev = fmax(dev, fabs(y[i] - (y0 + slope * ((double)x[i] + 10.0))));
    size = fmax(size, fabs(y[i]));
  }
  out->nonlinear = !finite || !(dev <= 1e-4 * size);

  int diff = finite;
  for (int i = 0; i < np && diff; i++) {
    double dl = ((double)y[i] - yl[i]) / ((double)x[i] - xl[i]);
    double dr = ((double)yr[i] - y[i]) / ((double)xr[i] - x[i]);
    diff = fabs(dr - dl) <= 1e-2 * fmax(1.0, fmax(fabs(dl), fabs(dr)));
  }
  out->differentiable = diff;

  /* Range: the samples, widened to the tails' limits. */
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (isfinite(y[i])) {
      lo = fmin(lo, y[i]);
      hi = fmax(hi, y[i]);
    }
  }
  double lim[2] = {NAN, NAN};
  int t[2] = {tail(&lim[0], yf[2], yf[1], yf[0]), tail(&lim[1], yf[5], yf[6], yf[7])};
  int lo_limit = 0, hi_limit = 0;
  for (int s = 0; s < 2; s++) {
    if (t[s] != 0)
      continue;
    if (lim[s] < lo || same(lim[s], lo))
      lo = fmin(lo, lim[s]), lo_limit = 1;
    if (lim[s] > hi || same(lim[s], hi))
      hi = fmax(hi, lim[s]), hi_limit = 1;
  }
  out->lo_open = lo_limit && !reached(lo, x, y, d, np, nd, kinks, nk);
  out->hi_open = hi_limit && !reached(hi, x, y, d, np, nd, kinks, nk);
  if (t[0] == -1 || t[1] == -1)
    lo = -INFINITY, out->lo_open = 1;
  if (t[0] == 1 || t[1] == 1)
    hi = INFINITY, out->hi_open = 1;
  if (lo > hi) /* nothing finite anywhere */
    lo = hi = NAN;
  out->lo = lo;
  out->hi = hi;

  out->zero_centred = fabs(f0) <= 1e-6 && lo < 0.0 && hi > 0.0;

  double maxd = NAN;
  for (int i = 0; i < nd; i++)
    if (isfinite(d[i]) && !(d[i] <= maxd))
      maxd = d[i];
  out->max_derivative = maxd;

done:
  free(buf);
  return st;
}
