/* Times actlab's trainer (al_train, the core alone, no Lua) on MNIST for the benchmark.
 *   bench_train epoch [--hidden 200] [--act relu] [--threads 1] [--shuffle 1] [--epochs 1]
 *     one epoch on the 60,000 training images, batch 100, lr 0.05, softmax output;
 *     a warm-up epoch on 1,000 images first, and no test-set evaluation in the timing
 *     (the trainer evaluates on one test image only). With --epochs N (for profiling)
 *     N epochs are trained and the time of one is printed.
 *   bench_train ch5 [--epochs 2000] [--threads 1]
 *     the chapter-5 run: 784-200-10 sigmoid, U(−0.5, 0.5) weights, the first 1,000
 *     training images in order, tested on the 10,000 test images every epochs/10 epochs.
 * Prints the wall and CPU seconds on the last line of stdout; the final accuracy goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "al_dataset.h"
#include "al_net.h"
#include "al_train.h"

/* Wall time, and the process's CPU time, which other programs on a shared machine
 * disturb less: the benchmark reports both. */
static double clock_of(clockid_t id)
{
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct args {
  int ch5;
  int hidden[8], nhidden;
  const char *act;
  int threads, shuffle, epochs;
} args;

static int parse_list(int *out, int *n, const char *s)
{
  *n = 0;
  while (*s && *n < 8) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < 1 || v > 100000 || (*end && *end != ','))
      return 0;
    out[(*n)++] = (int)v;
    s = *end ? end + 1 : end;
  }
  return *n >= 1 && !*s;
}

static int parse(args *a, int argc, char **argv)
{
  *a = (args){.hidden = {200}, .nhidden = 1, .act = "relu", .threads = 1, .shuffle = 1,
              .epochs = 1};
  if (argc < 2 || (strcmp(argv[1], "epoch") && strcmp(argv[1], "ch5")))
    return 0;
  a->ch5 = strcmp(argv[1], "ch5") == 0;
  if (a->ch5) {
    a->act = "sigmoid";
    a->shuffle = 0;
    a->epochs = 2000;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (strcmp(k, "--hidden") == 0) {
      if (!parse_list(a->hidden, &a->nhidden, v))
        return 0;
    } else if (strcmp(k, "--act") == 0) {
      a->act = v;
    } else if (strcmp(k, "--threads") == 0) {
      a->threads = atoi(v);
    } else if (strcmp(k, "--shuffle") == 0) {
      a->shuffle = atoi(v);
    } else if (strcmp(k, "--epochs") == 0) {
      a->epochs = atoi(v);
    } else {
      return 0;
    }
  }
  return (argc % 2 == 0) && a->threads >= 1 && a->epochs >= 1;
}

/* dense(h) act … dense(10) softmax; uniform U(lo, hi) weights when lo < hi, else auto. */
static al_status make_net(al_net *net, const args *a, float lo, float hi, al_err *err)
{
  al_layer_spec specs[2 * 8 + 2];
  const al_act *f = NULL, *softmax = al_act_find("softmax");
  al_status st = al_act_lookup(&f, a->act, err);
  if (st != AL_OK)
    return st;
  al_init init = lo < hi ? (al_init){AL_INIT_UNIFORM, lo, hi} : (al_init){AL_INIT_AUTO, 0, 0};
  int n = 0;
  for (int i = 0; i < a->nhidden; i++) {
    specs[n++] = (al_layer_spec){.kind = AL_LAYER_DENSE, .units = a->hidden[i], .init = init};
    specs[n] = (al_layer_spec){.kind = AL_LAYER_ACT, .act = f};
    al_act_defaults(f, specs[n++].params);
  }
  specs[n++] = (al_layer_spec){.kind = AL_LAYER_DENSE, .units = 10, .init = init};
  specs[n++] = (al_layer_spec){.kind = AL_LAYER_ACT, .act = softmax};
  return al_net_create(net, 784, specs, n, 1, err);
}

int main(int argc, char **argv)
{
  args a;
  al_dataset ds = {0};
  al_net net = {0};
  al_err err = {0};
  int status = 1;
  if (!parse(&a, argc, argv)) {
    fprintf(stderr, "usage: bench_train epoch|ch5 [--hidden 200[,…]] [--act NAME] "
                    "[--threads N] [--shuffle 0|1] [--epochs N]\n");
    return 2;
  }
  openblas_set_num_threads(a.threads);
  al_data train, test;
  if (al_dataset_load(&ds, "mnist", NULL, &err) != AL_OK ||
      al_dataset_data(&train, &ds, AL_PART_TRAIN, AL_NORM_SCALE, &err) != AL_OK ||
      al_dataset_data(&test, &ds, AL_PART_TEST, AL_NORM_SCALE, &err) != AL_OK)
    goto fail;
  if (a.ch5 ? make_net(&net, &a, -0.5f, 0.5f, &err) : make_net(&net, &a, 0, 0, &err))
    goto fail;

  al_train_opts o;
  al_train_opts_default(&o);
  o.shuffle = a.shuffle;
  o.seed = 1;
  al_train_report rep;
  double t, c;
  if (a.ch5) {
    train.n = 1000;
    o.epochs = a.epochs;
    o.eval_every = a.epochs / 10 > 0 ? a.epochs / 10 : 1;
    double t0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
    if (al_train(&rep, &net, &train, &test, &o, NULL, NULL, &err) != AL_OK)
      goto fail;
    t = clock_of(CLOCK_MONOTONIC) - t0;
    c = clock_of(CLOCK_PROCESS_CPUTIME_ID) - c0;
  } else {
    al_data warm = train, one = test;
    warm.n = 1000;
    one.n = 1;
    if (al_train(&rep, &net, &warm, &one, &o, NULL, NULL, &err) != AL_OK)
      goto fail;
    al_net_init_params(&net, 1);
    o.epochs = a.epochs;
    o.eval_every = 0;
    double t0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
    if (al_train(&rep, &net, &train, &one, &o, NULL, NULL, &err) != AL_OK)
      goto fail;
    t = clock_of(CLOCK_MONOTONIC) - t0;
    c = clock_of(CLOCK_PROCESS_CPUTIME_ID) - c0;
    t /= a.epochs;
    c /= a.epochs;
    /* The accuracy that matters comes after the clock stopped. */
    al_evaluate(&rep.test_loss, &rep.test_acc, &net, &test, AL_LOSS_AUTO, 1000, NULL);
  }
  fprintf(stderr, "bench_train: %s, %d hidden layer(s) of %d, %s, %d thread(s), OpenBLAS "
          "core %s: test loss %.4f, accuracy %.4f, status %s\n", a.ch5 ? "ch5" : "epoch",
          a.nhidden, a.hidden[0], a.act, a.threads, openblas_get_corename(), rep.test_loss,
          rep.test_acc, al_status_str(rep.status));
  printf("%.6f %.6f\n", t, c);
  status = 0;
  goto done;

fail:
  fprintf(stderr, "bench_train: %s\n", err.msg);
done:
  al_net_release(&net);
  al_dataset_release(&ds);
  return status;
}
