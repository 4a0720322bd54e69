/* Data-set handles: the four IDX files checked against their roles, the seeded
 * train / validation split, and al_data views with the chosen normalisation. */
#include "al_dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "al_rng.h"

static const char *const fashion_names[10] = {
  "t-shirt", "trouser", "pullover", "dress", "coat",
  "sandal", "shirt", "sneaker", "bag", "ankle boot"
};

/* File names inside <dir>/<set>/, in the order of al_dataset.idx. */
static const char *const file_names[4] = {
  "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
};

static const char *const known_sets[] = {"mnist", "fashion-mnist"};

al_status al_dataset_dir(char *buf, size_t size, al_err *err) {
  const char *v;
  int n;
  if ((v = getenv("ACTLAB_DATA")) && *v)
    n = snprintf(buf, size, "%s", v);
  else if ((v = getenv("XDG_CACHE_HOME")) && v[0] == '/') /* XDG: relative values are ignored */
    n = snprintf(buf, size, "%s/actlab", v);
  else if ((v = getenv("HOME")) && *v)
    n = snprintf(buf, size, "%s/.cache/actlab", v);
  else
    return al_fail(err, AL_ERR_ARG,
                   "no data directory: set ACTLAB_DATA (HOME and XDG_CACHE_HOME are not set)");
  if (n < 0 || (size_t)n >= size)
    return al_fail(err, AL_ERR_ARG, "data directory path does not fit in %zu bytes", size);
  return AL_OK;
}

static int exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

al_status al_dataset_load(al_dataset *d, const char *name, const char *dir, al_err *err) {
  al_dataset empty = {0};
  char root[4096];
  char paths[4][4200];
  size_t nsets = sizeof known_sets / sizeof known_sets[0];
  size_t k;

  *d = empty;
  for (k = 0; k < nsets; k++)
    if (name && strcmp(name, known_sets[k]) == 0) break;
  if (k == nsets)
    return al_fail(err, AL_ERR_NAME, "unknown data set '%s' (expected mnist or fashion-mnist)",
                   name ? name : "(null)");
  if (dir) {
    if (snprintf(root, sizeof root, "%s", dir) >= (int)sizeof root)
      return al_fail(err, AL_ERR_ARG, "data directory path too long");
  } else {
    al_status st = al_dataset_dir(root, sizeof root, err);
    if (st != AL_OK) return st;
  }
  for (int i = 0; i < 4; i++) {
    snprintf(paths[i], sizeof paths[i], "%s/%s/%s", root, name, file_names[i]);
    if (exists(paths[i])) continue;
    snprintf(paths[i], sizeof paths[i], "%s/%s/%s.gz", root, name, file_names[i]);
    if (exists(paths[i])) continue;
    return al_fail(err, AL_ERR_IO,
                   "%s: %s/%s/%s not found (nor with .gz); run scripts/fetch-data.sh to "
                   "install the data sets into %s, or set ACTLAB_DATA", name, root, name,
                   file_names[i], root);
  }
  return al_dataset_load_files(d, name, paths[0], paths[1], paths[2], paths[3], 10, err);
}

/* Checks one file's type and dimension count against its role. */
static al_status check_role(const al_idx *x, const char *path, int want_dims,
                            const char *role, al_err *err) {
  if (x->type != AL_IDX_U8)
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: %s must have element type 0x08 (ubyte), found 0x%02x (%s)",
                   path, role, x->type, al_idx_type_name(x->type));
  if (x->ndims != want_dims)
    return al_fail(err, AL_ERR_FORMAT, "%s: %s need %d dimension%s%s, found %d", path, role,
                   want_dims, want_dims == 1 ? "" : "s",
                   want_dims == 1 ? " (count)" : " (count, rows, columns)", x->ndims);
  if (x->dims[0] == 0 || x->dims[0] > INT32_MAX)
    return al_fail(err, AL_ERR_FORMAT, "%s: %s count %lu is outside 1 .. %ld", path, role,
                   (unsigned long)x->dims[0], (long)INT32_MAX);
  return AL_OK;
}

static al_status check_labels(const al_idx *x, const char *path, int classes, al_err *err) {
  const uint8_t *l = x->data;
  for (size_t i = 0; i < x->count; i++)
    if (l[i] >= classes)
      return al_fail(err, AL_ERR_FORMAT,
                     "%s: label %d at index %zu (byte offset %zu) is outside 0..%d",
                     path, l[i], i, i + 8, classes - 1);
  return AL_OK;
}

al_status al_dataset_load_files(al_dataset *d, const char *name, const char *train_images,
                                const char *train_labels, const char *test_images,
                                const char *test_labels, int classes, al_err *err) {
  al_dataset empty = {0};
  al_split_opts whole = {0};
  const char *paths[4] = {train_images, train_labels, test_images, test_labels};
  al_dataset *t = NULL;
  al_status st;

  *d = empty;
  if (classes < 1 || classes > AL_DATASET_MAX_CLASSES)
    return al_fail(err, AL_ERR_ARG, "classes must be 1 to %d, got %d",
                   AL_DATASET_MAX_CLASSES, classes);
  for (int i = 0; i < 4; i++)
    if (!paths[i]) return al_fail(err, AL_ERR_ARG, "no path for %s", file_names[i]);
  /* Built aside (the struct is large; on the heap) and moved into d only when whole. */
  t = calloc(1, sizeof *t);
  if (!t) return al_fail(err, AL_ERR_NOMEM, "cannot allocate a data set");
  snprintf(t->name, sizeof t->name, "%s", name ? name : "data");
  for (int i = 0; i < 4; i++)
    if ((st = al_idx_read(&t->idx[i], paths[i], err)) != AL_OK) goto done;
  for (int i = 0; i < 4; i++) {
    st = check_role(&t->idx[i], paths[i], i % 2 ? 1 : 3, i % 2 ? "labels" : "images", err);
    if (st != AL_OK) goto done;
  }
  const al_idx *tri = &t->idx[0], *trl = &t->idx[1], *tei = &t->idx[2], *tel = &t->idx[3];
  for (int i = 0; i < 4; i += 2) {
    if (t->idx[i].dims[0] != t->idx[i + 1].dims[0]) {
      st = al_fail(err, AL_ERR_FORMAT, "%s has %lu images but %s has %lu labels", paths[i],
                   (unsigned long)t->idx[i].dims[0], paths[i + 1],
                   (unsigned long)t->idx[i + 1].dims[0]);
      goto done;
    }
  }
  if ((uint64_t)tri->dims[1] * tri->dims[2] == 0 ||
      (uint64_t)tri->dims[1] * tri->dims[2] > INT32_MAX) {
    st = al_fail(err, AL_ERR_FORMAT, "%s: image size %lu x %lu is outside 1 .. %ld pixels",
                 paths[0], (unsigned long)tri->dims[1], (unsigned long)tri->dims[2],
                 (long)INT32_MAX);
    goto done;
  }
  if (tei->dims[1] != tri->dims[1] || tei->dims[2] != tri->dims[2]) {
    st = al_fail(err, AL_ERR_FORMAT, "%s: images are %lu x %lu but the training images (%s) "
                 "are %lu x %lu", paths[2], (unsigned long)tei->dims[1],
                 (unsigned long)tei->dims[2], paths[0], (unsigned long)tri->dims[1],
                 (unsigned long)tri->dims[2]);
    goto done;
  }
  if ((st = check_labels(trl, paths[1], classes, err)) != AL_OK) goto done;
  if ((st = check_labels(tel, paths[3], classes, err)) != AL_OK) goto done;

  t->height = (int)tri->dims[1];
  t->width = (int)tri->dims[2];
  t->inputs = t->height * t->width;
  t->classes = classes;
  t->n_train_file = (int)tri->dims[0];
  t->n_test = (int)tei->dims[0];
  t->train_pixels = tri->data;
  t->train_labels = trl->data;
  t->test_pixels = tei->data;
  t->test_labels = tel->data;
  for (int k = 0; k < classes; k++) /* k < 256: at most three digits */
    snprintf(t->digit_names[k], sizeof t->digit_names[k], "%d", k & 0xff);
  if ((st = al_dataset_split(t, &whole, err)) != AL_OK) goto done;
  *d = *t;
  free(t);
  t = NULL;
done:
  if (t) {
    al_dataset_release(t);
    free(t);
  }
  return st;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Mean and (population) standard deviation of the pixels of rows (n of them; NULL:
 * rows 0 .. n-1), through a histogram of the 256 byte values: exact counts, then
 * the moments in double. A constant image set gets std 1 so standardising is safe. */
static void pixel_stats(double *mean, double *std, const al_dataset *d, const int *rows, int n) {
  uint64_t hist[256] = {0};
  size_t in = (size_t)d->inputs;
  for (int i = 0; i < n; i++) {
    const uint8_t *p = d->train_pixels + (size_t)(rows ? rows[i] : i) * in;
    for (size_t j = 0; j < in; j++) hist[p[j]]++;
  }
  double total = (double)n * (double)in, m = 0, v = 0;
  for (int b = 0; b < 256; b++) m += (double)b * (double)hist[b];
  m /= total;
  for (int b = 0; b < 256; b++) v += ((double)b - m) * ((double)b - m) * (double)hist[b];
  *mean = m;
  *std = v > 0 ? sqrt(v / total) : 1.0;
}

al_status al_dataset_split(al_dataset *d, const al_split_opts *s, al_err *err) {
  int *all = NULL, *train = NULL, *valid = NULL;
  uint8_t *taken = NULL;
  al_status st;
  int n = d->n_train_file;
  al_rng rng;

  if (n < 1) return al_fail(err, AL_ERR_ARG, "data set is empty (not loaded)");
  if (s->train_n < 0 || s->validation_n < 0) {
    st = al_fail(err, AL_ERR_ARG, "train_n and validation_n must be >= 0, got %d and %d",
                 s->train_n, s->validation_n);
    goto done;
  }
  if (s->validation_n > n || s->train_n > n - s->validation_n) {
    st = al_fail(err, AL_ERR_ARG,
                 "train_n (%d) + validation_n (%d) exceeds the %d training rows of %s",
                 s->train_n, s->validation_n, n, d->name);
    goto done;
  }
  int nt = s->train_n ? s->train_n : n - s->validation_n;
  int nv = s->validation_n;
  if (nt < 1) {
    st = al_fail(err, AL_ERR_ARG, "validation_n (%d) leaves no training rows of %s's %d",
                 nv, d->name, n);
    goto done;
  }
  all = malloc((size_t)n * sizeof *all);
  taken = calloc((size_t)n, 1);
  if (!all || !taken) {
    st = al_fail(err, AL_ERR_NOMEM, "cannot allocate the split of %d rows", n);
    goto done;
  }
  if (s->random) {
    train = malloc((size_t)nt * sizeof *train);
    if (!train) {
      st = al_fail(err, AL_ERR_NOMEM, "cannot allocate %d training rows", nt);
      goto done;
    }
    for (int i = 0; i < n; i++) all[i] = i;
    al_rng_seed(&rng, s->subset_seed, AL_STREAM_DATA);
    al_rng_shuffle(&rng, all, n);
    memcpy(train, all, (size_t)nt * sizeof *train);
    qsort(train, (size_t)nt, sizeof *train, cmp_int); /* file order, for locality */
    for (int i = 0; i < nt; i++) taken[train[i]] = 1;
  } else {
    for (int i = 0; i < nt; i++) taken[i] = 1;
  }
  if (nv > 0) {
    int nrest = 0;
    for (int i = 0; i < n; i++)
      if (!taken[i]) all[nrest++] = i;
    valid = malloc((size_t)nv * sizeof *valid);
    if (!valid) {
      st = al_fail(err, AL_ERR_NOMEM, "cannot allocate %d validation rows", nv);
      goto done;
    }
    al_rng_seed(&rng, s->validation_seed, AL_STREAM_DATA);
    al_rng_shuffle(&rng, all, nrest);
    memcpy(valid, all, (size_t)nv * sizeof *valid);
  }
  pixel_stats(&d->mean, &d->std, d, train, nt);
  free(d->train_rows);
  free(d->validation_rows);
  d->train_rows = train;
  d->validation_rows = valid;
  d->n_train = nt;
  d->n_validation = nv;
  train = valid = NULL;
  st = AL_OK;
done:
  free(all);
  free(taken);
  free(train);
  free(valid);
  return st;
}

int al_dataset_count(const al_dataset *d, al_part part) {
  switch (part) {
  case AL_PART_TRAIN: return d->n_train;
  case AL_PART_TEST: return d->n_test;
  case AL_PART_VALIDATION: return d->n_validation;
  default: return 0;
  }
}

/* Source pixels, labels and row map of a part. */
static void part_arrays(const al_dataset *d, al_part part, const uint8_t **pixels,
                        const uint8_t **labels, const int **rows) {
  *pixels = part == AL_PART_TEST ? d->test_pixels : d->train_pixels;
  *labels = part == AL_PART_TEST ? d->test_labels : d->train_labels;
  *rows = part == AL_PART_TRAIN ? d->train_rows
          : part == AL_PART_VALIDATION ? d->validation_rows : NULL;
}

al_status al_dataset_data(al_data *out, const al_dataset *d, al_part part, al_norm norm,
                          al_err *err) {
  al_data empty = {0};
  *out = empty;
  if (d->inputs < 1) return al_fail(err, AL_ERR_ARG, "data set is empty (not loaded)");
  if (!al_dataset_part_name(part))
    return al_fail(err, AL_ERR_ARG, "unknown part %d (expected train, test or validation)",
                   (int)part);
  if (norm != AL_NORM_SCALE && norm != AL_NORM_STANDARDIZE)
    return al_fail(err, AL_ERR_ARG, "unknown normalisation %d (expected scale or standardize)",
                   (int)norm);
  if (al_dataset_count(d, part) < 1)
    return al_fail(err, AL_ERR_ARG, "%s has no %s part (set a validation size)", d->name,
                   al_dataset_part_name(part));
  out->n = al_dataset_count(d, part);
  out->in = d->inputs;
  out->out = d->classes;
  part_arrays(d, part, &out->pixels, &out->labels, &out->rows);
  out->n_src = part == AL_PART_TEST ? d->n_test : d->n_train_file;
  if (norm == AL_NORM_SCALE) {
    out->scale = 1.0f / 255.0f;
    out->shift = 0.0f;
  } else { /* x = p·scale − shift = (p − mean) / std */
    out->scale = (float)(1.0 / d->std);
    out->shift = (float)(d->mean / d->std);
  }
  return AL_OK;
}

int al_dataset_label(const al_dataset *d, al_part part, int i) {
  const uint8_t *pixels, *labels;
  const int *rows;
  if (!al_dataset_part_name(part) || i < 0 || i >= al_dataset_count(d, part)) return -1;
  part_arrays(d, part, &pixels, &labels, &rows);
  return labels[rows ? rows[i] : i];
}

const char *al_dataset_class_name(const al_dataset *d, int k) {
  if (k < 0 || k >= d->classes) return NULL;
  if (strcmp(d->name, "fashion-mnist") == 0 && k < 10) return fashion_names[k];
  return d->digit_names[k];
}

const char *al_dataset_part_name(al_part part) {
  switch (part) {
  case AL_PART_TRAIN: return "train";
  case AL_PART_TEST: return "test";
  case AL_PART_VALIDATION: return "validation";
  default: return NULL;
  }
}

void al_dataset_release(al_dataset *d) {
  if (!d) return;
  for (int i = 0; i < 4; i++) al_idx_release(&d->idx[i]);
  free(d->train_rows);
  free(d->validation_rows);
  memset(d, 0, sizeof *d);
}
