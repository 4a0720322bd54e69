/* Loop helpers for the core's elementwise kernels (private: included by .c files only).
 * AL_EACH runs a statement over 0..n-1 in a form GCC vectorises at -O2 as well as -O3;
 * AL_CLONES compiles a kernel for SSE2, AVX2 and AVX-512 and lets the loader pick. */
#ifndef AL_VEC_H
#define AL_VEC_H

#include <stddef.h>
#include <string.h> /* and through it the C library's feature macros (__GLIBC__) */

/* GCC at -O2 vectorises only loops whose trip count is known and that need no run-time
 * alias check: so AL_EACH goes in fixed blocks with a scalar tail, and ivdep records
 * that outputs alias inputs at most exactly (in place). "unroll 1": at -O3 GCC would
 * first unroll a 16-trip block completely and then fail to vectorise the straight-line
 * code for some statements (relu and hardtanh ran scalar). */
#define AL_VEC_BLOCK 16
#if defined(__GNUC__) && !defined(__clang__)
#define AL_IVDEP _Pragma("GCC ivdep") _Pragma("GCC unroll 1")
#else
#define AL_IVDEP
#endif
#define AL_EACH(n, i, stmt)                                                   \
  do {                                                                        \
    size_t b_ = 0;                                                            \
    for (; b_ + AL_VEC_BLOCK <= (n); b_ += AL_VEC_BLOCK) {                    \
      AL_IVDEP for (size_t i = b_; i < b_ + AL_VEC_BLOCK; i++) { stmt; }      \
    }                                                                         \
    for (size_t i = b_; i < (n); i++) { stmt; }                               \
  } while (0)

/* Inline helpers called from cloned kernels must be forced inline: GCC otherwise
 * leaves some as calls in the AVX clones, and the loop around them runs scalar. */
#if defined(__GNUC__) && !defined(__clang__)
#define AL_INLINE static inline __attribute__((always_inline))
#else
#define AL_INLINE static inline
#endif

/* The build targets plain x86-64 (SSE2); these kernels also come in AVX2 and AVX-512
 * versions, chosen once at load time (an ifunc: GCC ≥ 11 on glibc). The results are
 * the same bits on every path: no fast-math, and ISO C mode (-std=c11) keeps a·b + c
 * unfused; only the sign and payload of a NaN may differ. -DAL_NO_CLONES turns it off. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__x86_64__) && \
    defined(__GLIBC__) && !defined(AL_NO_CLONES)
#define AL_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define AL_CLONES
#endif

#endif
