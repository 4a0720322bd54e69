/* A training or test set as the trainer sees it: inputs as uint8 pixels (scaled
 * while gathering a batch) or floats, targets as class labels (one-hot) or floats.
 * An al_data borrows every array; whoever filled it keeps them alive. */
#ifndef AL_DATA_H
#define AL_DATA_H

#include <stdint.h>
#include "al_mat.h"

typedef struct al_data {
  int n;                 /* examples */
  int in;                /* input features */
  int out;               /* target width: classes for labels */
  const uint8_t *pixels; /* n_src × in bytes, x = byte · scale − shift; or NULL */
  float scale, shift;
  const float *x;        /* n_src × in floats; or NULL (exactly one of pixels, x) */
  const uint8_t *labels; /* class of each source row, 0..out-1; or NULL */
  const float *t;        /* n_src × out floats; or NULL (exactly one of labels, t) */
  const int *rows;       /* example i is source row rows[i]; NULL: example i is row i */
  int n_src;             /* source rows that pixels/x and labels/t hold; 0 means n */
} al_data;

/* Copies examples order[first .. first+count) (or first .. first+count when order
 * is NULL) into x (count × in) and t (count × out, one-hot for labels); labels_out,
 * when not NULL, receives each example's class (or -1 for float targets).
 * Shapes are checked; no allocation. */
al_status al_data_gather(al_mat *x, al_mat *t, int *labels_out, const al_data *d,
                         const int *order, int first, int count);
/* Checks that d is consistent (sizes ≥ 1, one input and one target source,
 * labels < out); the message names the field. */
al_status al_data_check(const al_data *d, const char *what, al_err *err);

#endif
