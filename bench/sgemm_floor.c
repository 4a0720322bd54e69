/* The sgemm floor: the time of exactly the GEMM calls one SGD step of an MLP makes
 * (forward x·W, backward δ·Wᵀ for every layer but the first, and the update folded
 * into W += α·xᵀδ), with actlab's shapes and strides, over one epoch, nothing else.
 *   sgemm_floor [--layers 784,200,10] [--batch 100] [--rows 60000] [--threads 1]
 * Prints the epoch's wall and CPU seconds on the last line of stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#define MAX_LAYERS 16
#define ALIGN 64

static float *alloc_floats(size_t n, float value)
{
  size_t bytes = (n * sizeof(float) + ALIGN - 1) / ALIGN * ALIGN;
  float *p = aligned_alloc(ALIGN, bytes);
  if (p)
    for (size_t i = 0; i < n; i++)
      p[i] = value;
  return p;
}

/* Wall time, and the process's CPU time, which other programs on a shared machine
 * disturb less: the benchmark reports both. */
static double clock_of(clockid_t id)
{
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct floor_net {
  int n;                   /* dense layers */
  int width[MAX_LAYERS + 1];
  int batch;
  float *w[MAX_LAYERS];    /* width[i] × width[i+1] */
  float *act[MAX_LAYERS + 1]; /* act[0]: the batch, act[i+1]: layer i's output */
  float *delta[2];         /* batch × widest */
} floor_net;

/* The GEMMs of one step, in the order al_net_forward and al_net_backward_sgd make them. */
static void step(floor_net *f, float alpha)
{
  const int b = f->batch;
  for (int i = 0; i < f->n; i++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, f->width[i + 1], f->width[i],
                1.0f, f->act[i], f->width[i], f->w[i], f->width[i + 1], 0.0f, f->act[i + 1],
                f->width[i + 1]);
  int cur = 0;
  for (int i = f->n - 1; i >= 0; i--) {
    const int in = f->width[i], out = f->width[i + 1];
    if (i > 0) /* δ_prev = δ·Wᵀ: batch × in */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, in, out, 1.0f, f->delta[cur],
                  out, f->w[i], out, 0.0f, f->delta[1 - cur], in);
    /* W += α·xᵀδ: in × out */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, b, alpha, f->act[i], in,
                f->delta[cur], out, 1.0f, f->w[i], out);
    cur = 1 - cur;
  }
}

static int parse_layers(floor_net *f, const char *s)
{
  f->n = -1;
  while (*s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < 1 || v > 100000 || f->n + 1 > MAX_LAYERS)
      return 0;
    f->width[++f->n] = (int)v;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return 0;
  }
  return f->n >= 1;
}

int main(int argc, char **argv)
{
  floor_net f = {0};
  const char *layers = "784,200,10";
  int rows = 60000, threads = 1, status = 1;
  f.batch = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--layers") == 0)
      layers = argv[i + 1];
    else if (strcmp(argv[i], "--batch") == 0)
      f.batch = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--rows") == 0)
      rows = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--threads") == 0)
      threads = atoi(argv[i + 1]);
    else {
      fprintf(stderr, "sgemm_floor: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!parse_layers(&f, layers) || f.batch < 1 || rows < f.batch || threads < 1) {
    fprintf(stderr, "sgemm_floor: bad --layers, --batch, --rows or --threads\n");
    return 2;
  }
  openblas_set_num_threads(threads);

  int widest = 0;
  for (int i = 0; i <= f.n; i++)
    widest = f.width[i] > widest ? f.width[i] : widest;
  int ok = 1;
  for (int i = 0; i < f.n; i++)
    ok &= (f.w[i] = alloc_floats((size_t)f.width[i] * (size_t)f.width[i + 1], 0.01f)) != NULL;
  for (int i = 0; i <= f.n; i++)
    ok &= (f.act[i] = alloc_floats((size_t)f.batch * (size_t)f.width[i], 0.5f)) != NULL;
  for (int k = 0; k < 2; k++)
    ok &= (f.delta[k] = alloc_floats((size_t)f.batch * (size_t)widest, 0.001f)) != NULL;
  if (!ok) {
    fprintf(stderr, "sgemm_floor: out of memory\n");
    goto done;
  }

  /* A tiny α keeps the weights where they are: the floor must not drift into
   * subnormals or infinities over many steps. */
  const float alpha = -1e-7f;
  for (int s = 0; s < 10; s++) /* warm-up: OpenBLAS's buffers, page faults */
    step(&f, alpha);
  const int steps = rows / f.batch;
  double t0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
  for (int s = 0; s < steps; s++)
    step(&f, alpha);
  double t = clock_of(CLOCK_MONOTONIC) - t0, c = clock_of(CLOCK_PROCESS_CPUTIME_ID) - c0;
  fprintf(stderr, "sgemm_floor: layers %s, batch %d, %d steps, %d thread(s), OpenBLAS core %s\n",
          layers, f.batch, steps, threads, openblas_get_corename());
  printf("%.6f %.6f\n", t, c);
  status = 0;

done:
  for (int i = 0; i < f.n; i++)
    free(f.w[i]);
  for (int i = 0; i <= f.n; i++)
    free(f.act[i]);
  free(f.delta[0]);
  free(f.delta[1]);
  return status;
}
