/* IDX files (the MNIST format), raw or gzip-compressed, detected from the content.
 * Nothing is allocated from an unchecked header: the dimensions' product is checked
 * for overflow and the payload must be exactly as long as the header promises. */
#ifndef AL_IDX_H
#define AL_IDX_H

#include <stddef.h>
#include <stdint.h>
#include "al_err.h"

/* Element types, the magic's third byte. */
enum {
  AL_IDX_U8 = 0x08,
  AL_IDX_I8 = 0x09,
  AL_IDX_I16 = 0x0B,
  AL_IDX_I32 = 0x0C,
  AL_IDX_F32 = 0x0D,
  AL_IDX_F64 = 0x0E
};

/* More dimensions than this is refused (images have 3, labels 1). */
#define AL_IDX_MAX_DIMS 8

/* A parsed IDX file. {0} is the empty state; al_idx_release returns to it. */
typedef struct al_idx {
  int type;                        /* AL_IDX_U8 ... AL_IDX_F64 */
  int ndims;                       /* 1 .. AL_IDX_MAX_DIMS */
  uint32_t dims[AL_IDX_MAX_DIMS];  /* dims[0] is the item count */
  size_t count;                    /* product of dims: elements in data */
  size_t elem_size;                /* bytes per element: 1, 2, 4 or 8 */
  void *data;                      /* count elements, converted to host byte order;
                                      points inside block */
  void *block;                     /* the one allocation behind data; owned */
} al_idx;

/* Parses buf[0 .. len), which holds a whole IDX file, raw or gzip (magic 1f 8b;
 * concatenated gzip members are accepted). name labels error messages (a path).
 * The payload is copied (or decompressed) into memory owned by out; buf is not kept.
 * Errors: AL_ERR_FORMAT (bad magic or type, too many dimensions, dimension product
 * overflowing, content shorter or longer than the header promises, corrupt gzip),
 * AL_ERR_NOMEM. The message names the file, what was expected and what was found.
 * On failure out is left empty. Never reads outside buf. */
al_status al_idx_parse(al_idx *out, const void *buf, size_t len, const char *name,
                       al_err *err);

/* Reads the file at path with one read and parses it as al_idx_parse does, keeping
 * a raw file's buffer instead of copying it. AL_ERR_IO when it cannot be read. */
al_status al_idx_read(al_idx *out, const char *path, al_err *err);

/* Frees the payload and leaves idx empty; harmless on an empty idx. */
void al_idx_release(al_idx *idx);

/* "ubyte", "byte", "short", "int", "float", "double"; "unknown" otherwise. */
const char *al_idx_type_name(int type);

#endif
