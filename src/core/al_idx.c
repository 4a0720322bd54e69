/* IDX reading: header checks first, then one exact-size buffer for the payload.
 * gzip goes through zlib's inflate, with the header decompressed before anything
 * is allocated and the allocation bounded by what the compressed input can hold. */
#include "al_idx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZLIB_CONST /* next_in is const: the input buffer is never written */
#include <zlib.h>

/* Deflate emits at least one bit per 258 output bytes (its longest match), so a
 * compressed input of len bytes can never hold more than about 1032·len bytes. A
 * header promising more is refused before the allocation, as "too short". */
#define DEFLATE_MAX_RATIO 1032u

typedef struct header {
  int type, ndims;
  uint32_t dims[AL_IDX_MAX_DIMS];
  size_t elem_size;
  size_t count;       /* product of dims */
  size_t hdr_bytes;   /* 4 + 4 · ndims */
  size_t total;       /* hdr_bytes + count · elem_size: the exact file length */
} header;

static const char *label(const char *name) { return name ? name : "IDX data"; }

const char *al_idx_type_name(int type) {
  switch (type) {
  case AL_IDX_U8: return "ubyte";
  case AL_IDX_I8: return "byte";
  case AL_IDX_I16: return "short";
  case AL_IDX_I32: return "int";
  case AL_IDX_F32: return "float";
  case AL_IDX_F64: return "double";
  default: return "unknown";
  }
}

static size_t type_size(int type) {
  switch (type) {
  case AL_IDX_U8: case AL_IDX_I8: return 1;
  case AL_IDX_I16: return 2;
  case AL_IDX_I32: case AL_IDX_F32: return 4;
  case AL_IDX_F64: return 8;
  default: return 0;
  }
}

/* Checks the 4-byte magic m and fills type, ndims and hdr_bytes. */
static al_status check_magic(header *h, const uint8_t *m, const char *name, al_err *err) {
  if (m[0] != 0 || m[1] != 0)
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: not an IDX file: expected bytes 00 00 at offset 0, found %02x %02x",
                   label(name), m[0], m[1]);
  h->type = m[2];
  h->elem_size = type_size(m[2]);
  if (h->elem_size == 0)
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: bad IDX element type 0x%02x at byte 2: expected 0x08 (ubyte), "
                   "0x09, 0x0B, 0x0C, 0x0D or 0x0E", label(name), m[2]);
  h->ndims = m[3];
  if (h->ndims < 1 || h->ndims > AL_IDX_MAX_DIMS)
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: bad IDX dimension count %d at byte 3: expected 1 to %d",
                   label(name), h->ndims, AL_IDX_MAX_DIMS);
  h->hdr_bytes = 4 + 4 * (size_t)h->ndims;
  return AL_OK;
}

/* Reads the big-endian dimensions d (4 · ndims bytes) and computes the sizes,
 * refusing a product that does not fit a size_t. */
static al_status check_dims(header *h, const uint8_t *d, const char *name, al_err *err) {
  size_t count = 1;
  int overflow = 0;
  char dims[AL_IDX_MAX_DIMS * 16] = "";
  size_t used = 0;
  for (int i = 0; i < h->ndims; i++) {
    const uint8_t *p = d + 4 * i;
    h->dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (h->dims[i] != 0 && count > SIZE_MAX / h->dims[i])
      overflow = 1;
    else
      count *= h->dims[i];
    int k = snprintf(dims + used, sizeof dims - used, "%s%lu", i ? " x " : "",
                     (unsigned long)h->dims[i]);
    if (k > 0 && (size_t)k < sizeof dims - used) used += (size_t)k;
  }
  if (overflow || count > (SIZE_MAX - h->hdr_bytes) / h->elem_size)
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: IDX dimensions %s of %zu-byte elements overflow the size range",
                   label(name), dims, h->elem_size);
  h->count = count;
  h->total = h->hdr_bytes + count * h->elem_size;
  return AL_OK;
}

/* Moves a multi-byte payload to the (aligned) start of block and converts it from
 * big-endian to host order; a ubyte payload stays where it is. */
static void *finish_payload(uint8_t *block, const header *h) {
  uint8_t *src = block + h->hdr_bytes;
  if (h->elem_size == 1) return src;
  memmove(block, src, h->count * h->elem_size);
  for (size_t i = 0; i < h->count; i++) {
    uint8_t *p = block + i * h->elem_size;
    if (h->elem_size == 2) {
      uint16_t v = (uint16_t)(p[0] << 8 | p[1]);
      memcpy(p, &v, 2);
    } else if (h->elem_size == 4) {
      uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
      memcpy(p, &v, 4);
    } else {
      uint64_t v = 0;
      for (int b = 0; b < 8; b++) v = v << 8 | p[b];
      memcpy(p, &v, 8);
    }
  }
  return block;
}

static void fill(al_idx *out, const header *h, uint8_t *block) {
  out->type = h->type;
  out->ndims = h->ndims;
  memcpy(out->dims, h->dims, sizeof h->dims);
  out->count = h->count;
  out->elem_size = h->elem_size;
  out->block = block;
  out->data = finish_payload(block, h);
}

/* An uncompressed file in buf. own, when not NULL, is buf itself (malloc'd) and is
 * adopted on success instead of copied; the caller frees it on failure. */
static al_status parse_raw(al_idx *out, const uint8_t *buf, size_t len, uint8_t *own,
                           const char *name, al_err *err) {
  header h = {0};
  al_status st;
  uint8_t *block = NULL;
  if (len < 4) {
    st = al_fail(err, AL_ERR_FORMAT,
                 "%s: too short for an IDX file: expected at least 4 bytes of header, "
                 "found %zu", label(name), len);
    goto done;
  }
  if ((st = check_magic(&h, buf, name, err)) != AL_OK) goto done;
  if (len < h.hdr_bytes) {
    st = al_fail(err, AL_ERR_FORMAT,
                 "%s: IDX header truncated: %d dimensions need %zu header bytes, file has %zu",
                 label(name), h.ndims, h.hdr_bytes, len);
    goto done;
  }
  if ((st = check_dims(&h, buf + 4, name, err)) != AL_OK) goto done;
  if (len < h.total) {
    st = al_fail(err, AL_ERR_FORMAT,
                 "%s: IDX payload truncated: header promises %zu bytes in all, "
                 "file ends at byte offset %zu", label(name), h.total, len);
    goto done;
  }
  if (len > h.total) {
    st = al_fail(err, AL_ERR_FORMAT,
                 "%s: %zu extra bytes after the IDX payload: header promises %zu bytes "
                 "in all, found %zu (extra data from byte offset %zu)",
                 label(name), len - h.total, h.total, len, h.total);
    goto done;
  }
  if (own) {
    block = own;
  } else {
    block = malloc(h.total);
    if (!block) {
      st = al_fail(err, AL_ERR_NOMEM, "%s: cannot allocate %zu bytes", label(name), h.total);
      goto done;
    }
    memcpy(block, buf, h.total);
  }
  fill(out, &h, block);
  block = NULL;
  st = AL_OK;
done:
  if (block != own) free(block);
  return st;
}

/* An inflate stream over a whole in-memory gzip file, concatenated members included. */
enum { Z_RUNNING, Z_ENDED, Z_CUT, Z_CORRUPT, Z_TRAILING, Z_NOMEM };

typedef struct zsrc {
  z_stream zs;
  const uint8_t *src;
  size_t len;
  int state;
  size_t at;          /* compressed offset where a problem was found */
  const char *msg;    /* zlib's message for Z_CORRUPT */
} zsrc;

static size_t consumed(const zsrc *z) { return (size_t)(z->zs.next_in - z->src); }

/* Inflates up to want bytes into dst; returns how many came. Fewer than want means
 * the stream ended (z->state tells how). */
static size_t pull(zsrc *z, uint8_t *dst, size_t want) {
  size_t got = 0;
  while (got < want && z->state == Z_RUNNING) {
    size_t room = want - got;
    uInt ao = room > UINT_MAX ? UINT_MAX : (uInt)room;
    z->zs.next_out = dst + got;
    z->zs.avail_out = ao;
    if (z->zs.avail_in == 0) {
      size_t left = z->len - consumed(z);
      z->zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
    }
    int r = inflate(&z->zs, Z_NO_FLUSH);
    got += ao - z->zs.avail_out;
    if (r == Z_STREAM_END) {
      size_t c = consumed(z);
      if (c == z->len) {
        z->state = Z_ENDED;
      } else if (z->len - c >= 2 && z->src[c] == 0x1f && z->src[c + 1] == 0x8b) {
        if (inflateReset(&z->zs) != Z_OK) z->state = Z_NOMEM;
      } else {
        z->state = Z_TRAILING;
        z->at = c;
      }
    } else if (r == Z_BUF_ERROR) {
      /* No progress possible (there is output room): the input ran out mid-member. */
      z->state = Z_CUT;
      z->at = consumed(z);
    } else if (r == Z_MEM_ERROR) {
      z->state = Z_NOMEM;
    } else if (r != Z_OK) {
      z->state = Z_CORRUPT;
      z->at = consumed(z);
      z->msg = z->zs.msg ? z->zs.msg : "invalid data";
    }
  }
  return got;
}

/* The error for a stream that stopped early, after `got` decompressed bytes of the
 * `expected` the header promised (0 when the header itself is incomplete). */
static al_status stream_error(const zsrc *z, size_t got, size_t expected, const char *name,
                              al_err *err) {
  switch (z->state) {
  case Z_CORRUPT:
    return al_fail(err, AL_ERR_FORMAT, "%s: corrupt gzip data near compressed byte %zu: %s",
                   label(name), z->at, z->msg);
  case Z_TRAILING:
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: %zu bytes that are not gzip after the compressed data "
                   "(from compressed byte %zu)", label(name), z->len - z->at, z->at);
  case Z_NOMEM:
    return al_fail(err, AL_ERR_NOMEM, "%s: out of memory while decompressing", label(name));
  case Z_CUT:
    if (expected == 0)
      return al_fail(err, AL_ERR_FORMAT,
                     "%s: gzip stream ends early, after %zu bytes, inside the IDX header",
                     label(name), got);
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: gzip stream ends early: compressed data cut off at byte %zu, after "
                   "%zu decompressed bytes (the IDX header promises %zu)", label(name), z->at,
                   got, expected);
  default:
    if (expected == 0)
      return al_fail(err, AL_ERR_FORMAT,
                     "%s: decompressed content is %zu bytes, too short for the IDX header",
                     label(name), got);
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: IDX payload truncated: header promises %zu bytes in all, "
                   "decompressed content ends at byte offset %zu", label(name), expected, got);
  }
}

static al_status parse_gzip(al_idx *out, const uint8_t *buf, size_t len, const char *name,
                            al_err *err) {
  zsrc z = {0};
  header h = {0};
  uint8_t hdr[4 + 4 * AL_IDX_MAX_DIMS];
  uint8_t *block = NULL;
  int inited = 0;
  al_status st;
  size_t got;

  z.src = buf;
  z.len = len;
  z.zs.next_in = buf;
  z.zs.avail_in = 0;
  if (inflateInit2(&z.zs, 15 + 16) != Z_OK) { /* gzip wrapper only, CRC checked */
    st = al_fail(err, AL_ERR_NOMEM, "%s: cannot start zlib", label(name));
    goto done;
  }
  inited = 1;
  if ((got = pull(&z, hdr, 4)) < 4) {
    st = stream_error(&z, got, 0, name, err);
    goto done;
  }
  if ((st = check_magic(&h, hdr, name, err)) != AL_OK) goto done;
  if ((got = pull(&z, hdr + 4, h.hdr_bytes - 4)) < h.hdr_bytes - 4) {
    st = stream_error(&z, got + 4, 0, name, err);
    goto done;
  }
  if ((st = check_dims(&h, hdr + 4, name, err)) != AL_OK) goto done;
  if (h.total / DEFLATE_MAX_RATIO > len) {
    st = al_fail(err, AL_ERR_FORMAT,
                 "%s: IDX payload truncated: header promises %zu bytes in all, more than "
                 "%zu bytes of gzip can hold", label(name), h.total, len);
    goto done;
  }
  block = malloc(h.total);
  if (!block) {
    st = al_fail(err, AL_ERR_NOMEM, "%s: cannot allocate %zu bytes", label(name), h.total);
    goto done;
  }
  memcpy(block, hdr, h.hdr_bytes);
  got = h.hdr_bytes + pull(&z, block + h.hdr_bytes, h.total - h.hdr_bytes);
  if (got < h.total) {
    st = stream_error(&z, got, h.total, name, err);
    goto done;
  }
  /* Exactly as long as promised? Drain the rest (which also checks the CRC). */
  size_t extra = 0;
  uint8_t scratch[4096];
  size_t n;
  while ((n = pull(&z, scratch, sizeof scratch)) > 0) extra += n;
  if (z.state != Z_ENDED) {
    st = stream_error(&z, got + extra, h.total, name, err);
    goto done;
  }
  if (extra > 0) {
    st = al_fail(err, AL_ERR_FORMAT,
                 "%s: %zu extra bytes after the IDX payload: header promises %zu bytes "
                 "in all, found %zu (extra data from byte offset %zu)",
                 label(name), extra, h.total, h.total + extra, h.total);
    goto done;
  }
  fill(out, &h, block);
  block = NULL;
  st = AL_OK;
done:
  if (inited) inflateEnd(&z.zs);
  free(block);
  return st;
}

static int is_gzip(const uint8_t *buf, size_t len) {
  return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

al_status al_idx_parse(al_idx *out, const void *buf, size_t len, const char *name,
                       al_err *err) {
  al_idx empty = {0};
  *out = empty;
  if (!buf && len > 0)
    return al_fail(err, AL_ERR_ARG, "%s: no buffer", label(name));
  if (is_gzip(buf, len)) return parse_gzip(out, buf, len, name, err);
  return parse_raw(out, buf, len, NULL, name, err);
}

al_status al_idx_read(al_idx *out, const char *path, al_err *err) {
  al_idx empty = {0};
  uint8_t *buf = NULL;
  int fd = -1;
  al_status st;
  struct stat sb;
  size_t size, have = 0;

  *out = empty;
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &sb) != 0) {
    st = al_fail(err, AL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    goto done;
  }
  if (!S_ISREG(sb.st_mode)) {
    st = al_fail(err, AL_ERR_IO, "cannot read %s: not a regular file", path);
    goto done;
  }
  if ((uintmax_t)sb.st_size > SIZE_MAX - 1) {
    st = al_fail(err, AL_ERR_NOMEM, "%s: too large to read (%jd bytes)", path,
                 (intmax_t)sb.st_size);
    goto done;
  }
  size = (size_t)sb.st_size;
  buf = malloc(size ? size : 1);
  if (!buf) {
    st = al_fail(err, AL_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, size);
    goto done;
  }
  /* One read in practice; the loop only covers the kernel's per-call cap. */
  while (have < size) {
    ssize_t r = read(fd, buf + have, size - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      st = al_fail(err, AL_ERR_IO, "cannot read %s: %s", path,
                   r < 0 ? strerror(errno) : "file shrank while being read");
      goto done;
    }
    have += (size_t)r;
  }
  if (is_gzip(buf, size)) {
    st = parse_gzip(out, buf, size, path, err);
  } else {
    st = parse_raw(out, buf, size, buf, path, err);
    if (st == AL_OK) buf = NULL; /* adopted */
  }
done:
  if (fd >= 0) close(fd);
  free(buf);
  return st;
}

void al_idx_release(al_idx *idx) {
  al_idx empty = {0};
  if (!idx) return;
  free(idx->block);
  *idx = empty;
}
