/* libFuzzer target for the IDX reader (al_idx_parse), raw and gzip. Besides "no crash",
 * it checks that the input read raw, gzipped in one member and split over two gzip
 * members gives the same answer, and that a gzip stream cut short is always refused. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "al_idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed property is a finding: stop the way libFuzzer reports as a crash. */
#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* gzip of src[0 .. len) appended at dst + *used, dst holding cap bytes. 0 when zlib
 * itself fails (out of memory) or the room is short, neither a finding. */
static int gzip_append(uint8_t *dst, size_t cap, size_t *used, const uint8_t *src, size_t len)
{
  z_stream zs = {0};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return 0;
  uLong bound = deflateBound(&zs, (uLong)len);
  if (bound > cap - *used) {
    deflateEnd(&zs);
    return 0;
  }
  zs.next_in = (Bytef *)(uintptr_t)src;
  zs.avail_in = (uInt)len;
  zs.next_out = dst + *used;
  zs.avail_out = (uInt)bound;
  int r = deflate(&zs, Z_FINISH);
  *used += bound - zs.avail_out;
  deflateEnd(&zs);
  return r == Z_STREAM_END;
}

/* Same outcome: both refused, or both accepted with identical content. */
static void check_same(const al_idx *a, al_status sa, const al_idx *b, al_status sb)
{
  if (sa == AL_ERR_NOMEM || sb == AL_ERR_NOMEM)
    return;
  CHECK((sa == AL_OK) == (sb == AL_OK));
  if (sa != AL_OK)
    return;
  CHECK(a->type == b->type && a->ndims == b->ndims && a->count == b->count &&
        a->elem_size == b->elem_size);
  CHECK(memcmp(a->dims, b->dims, sizeof a->dims) == 0);
  CHECK(a->count == 0 || memcmp(a->data, b->data, a->count * a->elem_size) == 0);
}

/* An accepted file's fields agree with each other and with its length. */
static void check_consistent(const al_idx *idx, size_t raw_len)
{
  CHECK(idx->ndims >= 1 && idx->ndims <= AL_IDX_MAX_DIMS);
  size_t count = 1;
  for (int i = 0; i < idx->ndims; i++)
    count *= idx->dims[i];
  CHECK(count == idx->count);
  CHECK(raw_len == 4 + 4 * (size_t)idx->ndims + idx->count * idx->elem_size);
  CHECK(idx->count == 0 || idx->data != NULL);
  /* Touch the whole payload so ASan sees any short allocation. */
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < idx->count * idx->elem_size; i++)
    sink ^= ((const uint8_t *)idx->data)[i];
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  al_idx raw = {0}, one = {0}, two = {0}, cut = {0};
  al_err err = {0};
  uint8_t *gz = NULL;

  al_status s_raw = al_idx_parse(&raw, data, size, "fuzz", &err);
  CHECK(s_raw == AL_OK || err.msg[0] != '\0'); /* a refusal always says why */
  CHECK(s_raw == AL_OK || raw.block == NULL);  /* and leaves the output empty */
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    goto done; /* already gzip: the parse above was the test */
  if (s_raw == AL_OK)
    check_consistent(&raw, size);

  /* Two members, each within zlib's most conservative bound. */
  size_t room = 2 * (size + size / 8 + size / 64 + 64);
  gz = malloc(room);
  if (gz == NULL)
    goto done;

  size_t one_len = 0;
  if (!gzip_append(gz, room, &one_len, data, size))
    goto done;
  check_same(&raw, s_raw, &one, al_idx_parse(&one, gz, one_len, "fuzz.gz", &err));

  /* Any cut that loses at least one byte of the stream must be refused. */
  size_t keep = size ? (size_t)data[size - 1] * one_len / 256 : one_len / 2;
  al_status s_cut = al_idx_parse(&cut, gz, keep, "fuzz.gz", &err);
  CHECK(s_cut != AL_OK);

  /* Split at a point chosen by the data into two concatenated members. */
  size_t at = size ? (size_t)data[0] * size / 256 : 0;
  size_t two_len = 0;
  if (!gzip_append(gz, room, &two_len, data, at) ||
      !gzip_append(gz, room, &two_len, data + at, size - at))
    goto done;
  check_same(&raw, s_raw, &two, al_idx_parse(&two, gz, two_len, "fuzz2.gz", &err));

done:
  al_idx_release(&raw);
  al_idx_release(&one);
  al_idx_release(&two);
  al_idx_release(&cut);
  free(gz);
  return 0;
}
