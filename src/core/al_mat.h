/* float32 row-major matrices on 64-byte aligned storage; products through cblas_sgemm.
 * A matrix either owns its storage (al_mat_alloc, freed by al_mat_release) or is a
 * view of someone else's (al_mat_wrap, al_mat_view_rows) and frees nothing.
 * Every shape is checked: a mismatch returns AL_ERR_SHAPE and touches nothing. */
#ifndef AL_MAT_H
#define AL_MAT_H

#include <stddef.h>
#include "al_err.h"
#include "al_rng.h"

#define AL_MAT_ALIGN 64

typedef struct al_mat {
  float *data; /* rows × cols, row-major, contiguous (a row view keeps that true) */
  int rows, cols;
  int owned;   /* 1 when al_mat_release must free data */
} al_mat;

/* Element (i, j), 0-based, unchecked: for inner loops that checked shapes already. */
#define AL_AT(m, i, j) ((m)->data[(size_t)(i) * (size_t)(m)->cols + (size_t)(j)])

/* Allocates a zero-filled rows × cols matrix (rows, cols ≥ 1) into m.
 * On failure m is left empty ({0}) and AL_ERR_ARG / AL_ERR_NOMEM is returned.
 * The caller owns the storage: release with al_mat_release. */
al_status al_mat_alloc(al_mat *m, int rows, int cols);
/* Frees owned storage and leaves m empty; harmless on views and empty matrices. */
void al_mat_release(al_mat *m);
/* A view of caller memory (rows × cols floats); owns nothing. */
al_mat al_mat_wrap(float *data, int rows, int cols);
/* *view = rows [first, first+count) of m, sharing m's storage (mini-batches). */
al_status al_mat_view_rows(al_mat *view, const al_mat *m, int first, int count);

size_t al_mat_size(const al_mat *m);                          /* rows · cols */
int al_mat_same_shape(const al_mat *a, const al_mat *b);
al_status al_mat_copy(al_mat *dst, const al_mat *src);        /* same shape */
void al_mat_fill(al_mat *m, float v);
al_status al_mat_transpose(al_mat *dst, const al_mat *src);   /* dst: src.cols × src.rows */

/* c = alpha · op(a) · op(b) + beta · c, op(x) = xᵀ when trans_x is nonzero.
 * c must not alias a or b. */
al_status al_mat_gemm(al_mat *c, float alpha, const al_mat *a, int trans_a,
                      const al_mat *b, int trans_b, float beta);

al_status al_mat_add_row(al_mat *m, const al_mat *row);       /* m[i,:] += row (1 × cols) */
/* out (1 × cols) = alpha · Σ_i m[i,:] + beta · out */
al_status al_mat_col_sums(al_mat *out, const al_mat *m, float alpha, float beta);
/* Elementwise; c may alias a or b. */
al_status al_mat_add(al_mat *c, const al_mat *a, const al_mat *b);
al_status al_mat_sub(al_mat *c, const al_mat *a, const al_mat *b);
al_status al_mat_mul(al_mat *c, const al_mat *a, const al_mat *b);  /* Hadamard product */
al_status al_mat_axpy(al_mat *y, float alpha, const al_mat *x);     /* y += alpha · x */
void al_mat_scale(al_mat *m, float s);
void al_mat_clamp_min(al_mat *m, float lo);                   /* m = max(m, lo) */
/* out[i] = index of the largest entry of row i (first one on ties); out has m->rows entries. */
al_status al_mat_argmax_rows(int *out, const al_mat *m);

void al_mat_fill_uniform(al_mat *m, al_rng *rng, float lo, float hi);  /* U[lo, hi) */
void al_mat_fill_normal(al_mat *m, al_rng *rng, float mean, float std);

int al_mat_all_finite(const al_mat *m);                       /* 1 when no NaN / Inf */
double al_mat_norm(const al_mat *m);                          /* Frobenius norm, in double */

#endif
