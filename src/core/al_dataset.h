/* Image classification data sets in IDX files (MNIST, Fashion-MNIST or four files of
 * the user's): loading with validation, pixels kept as uint8, and the train / test /
 * validation parts handed to the trainer as al_data views with their normalisation. */
#ifndef AL_DATASET_H
#define AL_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "al_data.h"
#include "al_err.h"
#include "al_idx.h"

#define AL_DATASET_MAX_CLASSES 256
#define AL_DATASET_NAME_MAX 64

typedef enum al_part {
  AL_PART_TRAIN = 0,
  AL_PART_TEST = 1,
  AL_PART_VALIDATION = 2
} al_part;

typedef enum al_norm {
  AL_NORM_SCALE = 0,      /* x = p / 255 */
  AL_NORM_STANDARDIZE = 1 /* x = (p − mean) / std over the training part's pixels */
} al_norm;

/* Which training rows are trained on and which are held out for validation.
 * The training part is chosen first: the first train_n rows of the training file,
 * or (random = 1) a seeded random sample of train_n rows (stream AL_STREAM_DATA of
 * subset_seed), kept in file order. The validation part is then validation_n rows
 * drawn at random (AL_STREAM_DATA of validation_seed) from the training-file rows
 * NOT in the training part, in the order drawn; the two are disjoint by construction.
 * train_n = 0 means "all rows left after validation": with random = 0 that trains on
 * the first N − validation_n rows and validates on (a shuffle of) the last ones.
 * train_n + validation_n must not exceed the training file's rows. */
typedef struct al_split_opts {
  int train_n;              /* 0: every row not held out */
  int random;               /* 0: the first train_n rows; 1: a seeded random subset */
  uint64_t subset_seed;
  int validation_n;         /* 0: no validation part */
  uint64_t validation_seed;
} al_split_opts;

/* A loaded data set. {0} is the empty state (safe to release); al_dataset_release
 * returns to it. Pixel and label arrays point into the IDX payloads it owns. */
typedef struct al_dataset {
  char name[AL_DATASET_NAME_MAX]; /* "mnist", "fashion-mnist" or the caller's name */
  int height, width;       /* image size (28 × 28) */
  int inputs;              /* height · width */
  int classes;             /* labels are 0 .. classes-1 */
  int n_train_file;        /* rows in the training files (60000) */
  int n_train, n_validation, n_test; /* sizes of the parts after al_dataset_split */
  const uint8_t *train_pixels; /* n_train_file × inputs */
  const uint8_t *train_labels; /* n_train_file */
  const uint8_t *test_pixels;  /* n_test × inputs */
  const uint8_t *test_labels;  /* n_test */
  int *train_rows;         /* n_train training-file rows; NULL: rows 0 .. n_train-1 */
  int *validation_rows;    /* n_validation training-file rows; NULL when none */
  double mean, std;        /* pixel statistics (0..255) of the training part,
                              recomputed by al_dataset_split (in double) */
  al_idx idx[4];           /* train images, train labels, test images, test labels */
  char digit_names[AL_DATASET_MAX_CLASSES][4]; /* "0", "1", ... for non-Fashion sets */
} al_dataset;

/* Where the data lives: $ACTLAB_DATA if set and not empty, else $XDG_CACHE_HOME/actlab
 * (when that is an absolute path), else $HOME/.cache/actlab. Written into buf
 * (size bytes, NUL-terminated). AL_ERR_ARG when it does not fit or no home is known. */
al_status al_dataset_dir(char *buf, size_t size, al_err *err);

/* Loads "mnist" or "fashion-mnist" from dir (NULL: al_dataset_dir()), i.e. from
 * <dir>/<name>/{train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte}, each raw or with .gz appended (raw is tried first).
 * Whole training part, no validation (as al_dataset_split with an all-zero al_split_opts).
 * Errors: AL_ERR_NAME (unknown name, message lists the valid ones), AL_ERR_IO
 * (a file missing: the message says to run scripts/fetch-data.sh), and those of
 * al_dataset_load_files. On failure d is left empty. */
al_status al_dataset_load(al_dataset *d, const char *name, const char *dir, al_err *err);

/* Loads four IDX files given by path (raw or gzip): images must be type ubyte with
 * 3 dimensions (count, height, width), labels ubyte with 1 (count); image and label
 * counts must agree; train and test image sizes must agree; every label must be
 * below classes (1 .. AL_DATASET_MAX_CLASSES; MNIST-like sets use 10). name is
 * copied (truncated) into d->name; "fashion-mnist" gets Fashion-MNIST's class names,
 * any other name "0", "1", .... Errors name the file (and the index of a bad label).
 * d is overwritten (release a loaded one first); on failure it is left empty. */
al_status al_dataset_load_files(al_dataset *d, const char *name, const char *train_images,
                                const char *train_labels, const char *test_images,
                                const char *test_labels, int classes, al_err *err);

/* Chooses the training and validation parts (see al_split_opts) and recomputes
 * mean / std over the training part. AL_ERR_ARG on sizes that do not fit; d keeps
 * its previous split then. */
al_status al_dataset_split(al_dataset *d, const al_split_opts *s, al_err *err);

/* Fills out with a view of one part (borrowing d's arrays: d must outlive out):
 * labels as targets (out = classes, one-hot when gathered), pixels scaled by norm.
 * AL_ERR_ARG for an unknown part or norm, or the validation part when it is empty. */
al_status al_dataset_data(al_data *out, const al_dataset *d, al_part part, al_norm norm,
                          al_err *err);

/* Rows in a part (0 for an unknown part). */
int al_dataset_count(const al_dataset *d, al_part part);
/* Class of example i of a part, or -1 when i or part is out of range. */
int al_dataset_label(const al_dataset *d, al_part part, int i);
/* Name of class k ("t-shirt", ... for Fashion-MNIST; "0", "1", ... otherwise), or NULL. */
const char *al_dataset_class_name(const al_dataset *d, int k);
/* "train", "test", "validation"; NULL for an unknown part. */
const char *al_dataset_part_name(al_part part);

/* Frees everything d owns and leaves it empty. */
void al_dataset_release(al_dataset *d);

#endif
