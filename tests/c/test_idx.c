/* Tests of the IDX reader: small files written here, raw and gzipped (zlib's gzwrite),
 * every corrupt variant refused with its own message, and no read outside the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "al_idx.h"

static char tmpdir[4096];

/* $ACTLAB_TEST_TMP/idx.XXXXXX if set, else /tmp/actlab-idx.XXXXXX. */
static int setup_tmp(void **state) {
  (void)state;
  const char *base = getenv("ACTLAB_TEST_TMP");
  if (base && *base) {
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/idx.XXXXXX", base);
  } else {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/actlab-idx.XXXXXX");
  }
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state) {
  (void)state;
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name) {
  static char path[4300];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  return path;
}

/* A little IDX image in memory: buf receives the header and payload; returns the length. */
static size_t make_idx(uint8_t *buf, int type, int ndims, const uint32_t *dims,
                       const uint8_t *payload, size_t payload_len) {
  size_t n = 0;
  buf[n++] = 0;
  buf[n++] = 0;
  buf[n++] = (uint8_t)type;
  buf[n++] = (uint8_t)ndims;
  for (int i = 0; i < ndims; i++) {
    buf[n++] = (uint8_t)(dims[i] >> 24);
    buf[n++] = (uint8_t)(dims[i] >> 16);
    buf[n++] = (uint8_t)(dims[i] >> 8);
    buf[n++] = (uint8_t)dims[i];
  }
  if (payload_len) memcpy(buf + n, payload, payload_len);
  return n + payload_len;
}

static void write_raw(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

/* mode "wb" starts a file, "ab" appends another gzip member. */
static void write_gz(const char *path, const char *mode, const void *buf, size_t len) {
  gzFile g = gzopen(path, mode);
  assert_non_null(g);
  if (len) assert_int_equal(gzwrite(g, buf, (unsigned)len), (int)len);
  assert_int_equal(gzclose(g), Z_OK);
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

/* Gzip of buf[0..len) as bytes, through a file (zlib's gz writer). */
static uint8_t *gz_bytes(const void *buf, size_t len, size_t *out_len) {
  const char *p = tmp_path("gz_bytes.gz");
  write_gz(p, "wb", buf, len);
  return slurp(p, out_len);
}

/* The standard 2 × 3 × 4 ubyte file: payload bytes 0, 1, ..., 23. */
static size_t small_images(uint8_t *buf) {
  uint8_t payload[24];
  for (int i = 0; i < 24; i++) payload[i] = (uint8_t)i;
  const uint32_t dims[3] = {2, 3, 4};
  return make_idx(buf, AL_IDX_U8, 3, dims, payload, sizeof payload);
}

/* Parses buf and expects failure with status st and every substring in subs. */
static void expect_parse_error(const void *buf, size_t len, al_status st, const char *const *subs) {
  al_idx x = {0};
  al_err err = {0};
  assert_int_equal(al_idx_parse(&x, buf, len, "bad.idx", &err), st);
  assert_int_equal(err.status, st);
  assert_null(x.block);
  assert_null(x.data);
  assert_non_null(strstr(err.msg, "bad.idx"));
  for (; *subs; subs++) {
    if (!strstr(err.msg, *subs)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, *subs);
  }
}

/* Reads path and expects failure with status st and every substring in subs. */
static void expect_read_error(const char *path, al_status st, const char *const *subs) {
  al_idx x = {0};
  al_err err = {0};
  assert_int_equal(al_idx_read(&x, path, &err), st);
  assert_null(x.block);
  assert_non_null(strstr(err.msg, path));
  for (; *subs; subs++) {
    if (!strstr(err.msg, *subs)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, *subs);
  }
}

static void check_small(const al_idx *x) {
  assert_int_equal(x->type, AL_IDX_U8);
  assert_int_equal(x->ndims, 3);
  assert_int_equal(x->dims[0], 2);
  assert_int_equal(x->dims[1], 3);
  assert_int_equal(x->dims[2], 4);
  assert_int_equal(x->count, 24);
  assert_int_equal(x->elem_size, 1);
  const uint8_t *p = x->data;
  for (int i = 0; i < 24; i++) assert_int_equal(p[i], i);
}

/* A raw buffer parses into its dims and an exact copy of the payload. */
static void test_parse_raw_buffer(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  al_idx x = {0};
  assert_int_equal(al_idx_parse(&x, buf, n, "small", NULL), AL_OK);
  check_small(&x);
  assert_ptr_not_equal(x.data, buf + 16); /* a copy: buf is not kept */
  al_idx_release(&x);
  assert_null(x.block);
  al_idx_release(&x); /* a second release is harmless */
}

/* A raw file read from disk gives the same content. */
static void test_read_raw_file(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  write_raw(tmp_path("small.idx"), buf, n);
  al_idx x = {0};
  assert_int_equal(al_idx_read(&x, tmp_path("small.idx"), NULL), AL_OK);
  check_small(&x);
  al_idx_release(&x);
}

/* A gzip file (detected from its content, not its name) gives the same content. */
static void test_read_gzip_file_by_content(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  write_gz(tmp_path("small-no-suffix"), "wb", buf, n);
  al_idx x = {0};
  assert_int_equal(al_idx_read(&x, tmp_path("small-no-suffix"), NULL), AL_OK);
  check_small(&x);
  al_idx_release(&x);
}

/* A gzip buffer parses like the raw one. */
static void test_parse_gzip_buffer(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf), glen;
  uint8_t *gz = gz_bytes(buf, n, &glen);
  al_idx x = {0};
  assert_int_equal(al_idx_parse(&x, gz, glen, "small.gz", NULL), AL_OK);
  check_small(&x);
  al_idx_release(&x);
  free(gz);
}

/* Concatenated gzip members (what `cat a.gz b.gz` makes) are one file. */
static void test_gzip_concatenated_members(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  write_gz(tmp_path("two.gz"), "wb", buf, 10);
  write_gz(tmp_path("two.gz"), "ab", buf + 10, n - 10);
  al_idx x = {0};
  assert_int_equal(al_idx_read(&x, tmp_path("two.gz"), NULL), AL_OK);
  check_small(&x);
  al_idx_release(&x);
}

/* Multi-byte elements come out in host order, aligned: the big-endian bytes were
 * written by hand (1.5f = 3f c0 00 00, -2.25 = c0 02 00 .. 00). */
static void test_multibyte_types_host_order(void **state) {
  (void)state;
  uint8_t buf[64];
  al_idx x = {0};
  const uint32_t d2[1] = {2};
  const uint8_t i32[] = {0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xfe};
  size_t n = make_idx(buf, AL_IDX_I32, 1, d2, i32, sizeof i32);
  assert_int_equal(al_idx_parse(&x, buf, n, "i32", NULL), AL_OK);
  assert_int_equal(x.elem_size, 4);
  assert_int_equal((uintptr_t)x.data % 4, 0);
  assert_int_equal(((int32_t *)x.data)[0], 0x01020304);
  assert_int_equal(((int32_t *)x.data)[1], -2);
  al_idx_release(&x);

  const uint8_t i16[] = {0xff, 0xff, 0x01, 0x00};
  n = make_idx(buf, AL_IDX_I16, 1, d2, i16, sizeof i16);
  assert_int_equal(al_idx_parse(&x, buf, n, "i16", NULL), AL_OK);
  assert_int_equal(((int16_t *)x.data)[0], -1);
  assert_int_equal(((int16_t *)x.data)[1], 256);
  al_idx_release(&x);

  const uint32_t d1[1] = {1};
  const uint8_t f32[] = {0x3f, 0xc0, 0x00, 0x00};
  n = make_idx(buf, AL_IDX_F32, 1, d1, f32, sizeof f32);
  assert_int_equal(al_idx_parse(&x, buf, n, "f32", NULL), AL_OK);
  assert_true(((float *)x.data)[0] == 1.5f);
  al_idx_release(&x);

  const uint8_t f64[] = {0xc0, 0x02, 0, 0, 0, 0, 0, 0};
  n = make_idx(buf, AL_IDX_F64, 1, d1, f64, sizeof f64); /* header 8 bytes: payload moved */
  assert_int_equal(al_idx_parse(&x, buf, n, "f64", NULL), AL_OK);
  assert_int_equal((uintptr_t)x.data % 8, 0);
  assert_true(((double *)x.data)[0] == -2.25);
  al_idx_release(&x);

  const uint8_t i8[] = {0x80, 0x7f};
  n = make_idx(buf, AL_IDX_I8, 1, d2, i8, sizeof i8);
  assert_int_equal(al_idx_parse(&x, buf, n, "i8", NULL), AL_OK);
  assert_int_equal(((int8_t *)x.data)[0], -128);
  assert_int_equal(((int8_t *)x.data)[1], 127);
  al_idx_release(&x);
}

/* A first byte pair other than 00 00 is not IDX. */
static void test_wrong_magic(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  buf[1] = 0x01;
  const char *subs[] = {"not an IDX file", "expected bytes 00 00 at offset 0", "found 00 01", NULL};
  expect_parse_error(buf, n, AL_ERR_FORMAT, subs);
}

/* Type bytes outside {08, 09, 0B..0E} are refused (0x0A is unassigned). */
static void test_bad_type_byte(void **state) {
  (void)state;
  const uint8_t types[] = {0x00, 0x07, 0x0a, 0x0f, 0xff};
  for (size_t i = 0; i < sizeof types; i++) {
    uint8_t buf[64];
    size_t n = small_images(buf);
    buf[2] = types[i];
    char found[32];
    snprintf(found, sizeof found, "type 0x%02x at byte 2", types[i]);
    const char *subs[] = {"bad IDX element type", found, "expected 0x08", NULL};
    expect_parse_error(buf, n, AL_ERR_FORMAT, subs);
  }
}

/* Zero or more than AL_IDX_MAX_DIMS dimensions are refused. */
static void test_bad_dimension_count(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  buf[3] = 0;
  const char *zero[] = {"dimension count 0 at byte 3", "expected 1 to 8", NULL};
  expect_parse_error(buf, n, AL_ERR_FORMAT, zero);
  buf[3] = 9;
  const char *nine[] = {"dimension count 9 at byte 3", NULL};
  expect_parse_error(buf, n, AL_ERR_FORMAT, nine);
}

/* Dimensions whose product overflows size_t are refused before any allocation,
 * raw and gzipped. */
static void test_overflowing_dims(void **state) {
  (void)state;
  uint8_t buf[64];
  const uint32_t dims[3] = {0xffffffffu, 0xffffffffu, 0xffffffffu};
  size_t n = make_idx(buf, AL_IDX_U8, 3, dims, NULL, 0);
  const char *subs[] = {"4294967295 x 4294967295 x 4294967295", "overflow", NULL};
  expect_parse_error(buf, n, AL_ERR_FORMAT, subs);
  size_t glen;
  uint8_t *gz = gz_bytes(buf, n, &glen);
  expect_parse_error(gz, glen, AL_ERR_FORMAT, subs);
  free(gz);
  /* 8-byte elements: 2^31 × 2^31 fits elements but not bytes. */
  const uint32_t d2[2] = {0x80000000u, 0x80000000u};
  n = make_idx(buf, AL_IDX_F64, 2, d2, NULL, 0);
  const char *subs2[] = {"2147483648 x 2147483648", "8-byte elements overflow", NULL};
  expect_parse_error(buf, n, AL_ERR_FORMAT, subs2);
}

/* A gzip whose header promises far more than its compressed size could inflate to is
 * refused before the allocation (a 4 GB promise in a few dozen bytes). */
static void test_gzip_promise_beyond_deflate_ratio(void **state) {
  (void)state;
  uint8_t buf[64];
  const uint32_t dims[3] = {0x10000000u, 4, 4};
  size_t n = make_idx(buf, AL_IDX_U8, 3, dims, NULL, 0), glen;
  uint8_t *gz = gz_bytes(buf, n, &glen);
  const char *subs[] = {"payload truncated", "header promises 4294967312 bytes", "gzip can hold",
                        NULL};
  expect_parse_error(gz, glen, AL_ERR_FORMAT, subs);
  free(gz);
}

/* A file cut inside the header names how many header bytes were needed. */
static void test_truncated_header(void **state) {
  (void)state;
  uint8_t buf[64];
  small_images(buf);
  const char *subs[] = {"header truncated", "3 dimensions need 16 header bytes", "file has 10",
                        NULL};
  expect_parse_error(buf, 10, AL_ERR_FORMAT, subs);
  const char *tiny[] = {"too short", "found 3", NULL};
  expect_parse_error(buf, 3, AL_ERR_FORMAT, tiny);
  const char *empty[] = {"too short", "found 0", NULL};
  expect_parse_error(buf, 0, AL_ERR_FORMAT, empty);
}

/* A raw payload shorter than promised names the expected size and where it ends. */
static void test_truncated_payload_raw(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  const char *subs[] = {"payload truncated", "header promises 40 bytes", "ends at byte offset 39",
                        NULL};
  expect_parse_error(buf, n - 1, AL_ERR_FORMAT, subs);
  write_raw(tmp_path("short.idx"), buf, n - 5);
  const char *subs2[] = {"payload truncated", "ends at byte offset 35", NULL};
  expect_read_error(tmp_path("short.idx"), AL_ERR_FORMAT, subs2);
}

/* Bytes after the promised payload are an error too, with their count and offset. */
static void test_trailing_bytes_raw(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  buf[n] = 0;
  buf[n + 1] = 0;
  const char *subs[] = {"2 extra bytes after the IDX payload", "promises 40 bytes", "found 42",
                        "from byte offset 40", NULL};
  expect_parse_error(buf, n + 2, AL_ERR_FORMAT, subs);
}

/* A complete gzip whose content is shorter than the header promises. */
static void test_gzip_content_short(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf), glen;
  uint8_t *gz = gz_bytes(buf, n - 3, &glen);
  const char *subs[] = {"payload truncated", "header promises 40 bytes",
                        "decompressed content ends at byte offset 37", NULL};
  expect_parse_error(gz, glen, AL_ERR_FORMAT, subs);
  free(gz);
  gz = gz_bytes(buf, 2, &glen); /* not even the magic */
  const char *subs2[] = {"2 bytes", "too short for the IDX header", NULL};
  expect_parse_error(gz, glen, AL_ERR_FORMAT, subs2);
  free(gz);
}

/* A complete gzip whose content is longer than the header promises. */
static void test_gzip_content_long(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf), glen;
  memset(buf + n, 7, 5);
  uint8_t *gz = gz_bytes(buf, n + 5, &glen);
  const char *subs[] = {"5 extra bytes after the IDX payload", "promises 40 bytes", "found 45",
                        NULL};
  expect_parse_error(gz, glen, AL_ERR_FORMAT, subs);
  free(gz);
}

/* A gzip cut off partway (a download that stopped) is refused, at every length. */
static void test_gzip_ends_early(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf), glen;
  uint8_t *gz = gz_bytes(buf, n, &glen);
  const char *subs[] = {"gzip stream ends early", NULL};
  expect_parse_error(gz, glen - 4, AL_ERR_FORMAT, subs); /* ISIZE missing */
  for (size_t cut = 2; cut < glen; cut++) {
    al_idx x = {0};
    al_err err = {0};
    assert_int_equal(al_idx_parse(&x, gz, cut, "cut.gz", &err), AL_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "cut.gz"));
    assert_null(x.block);
  }
  free(gz);
}

/* A damaged CRC, damaged deflate data, and non-gzip bytes after the stream. */
static void test_gzip_corrupt(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf), glen;
  uint8_t *gz = gz_bytes(buf, n, &glen);
  gz[glen - 8] ^= 0x01; /* the CRC-32 of the trailer */
  const char *crc[] = {"corrupt gzip data", "incorrect data check", NULL};
  expect_parse_error(gz, glen, AL_ERR_FORMAT, crc);
  free(gz);

  gz = gz_bytes(buf, n, &glen);
  gz[3] = 0xe0; /* reserved flag bits in the gzip header */
  const char *hdr[] = {"corrupt gzip data", NULL};
  expect_parse_error(gz, glen, AL_ERR_FORMAT, hdr);
  free(gz);

  gz = gz_bytes(buf, n, &glen);
  uint8_t *longer = malloc(glen + 3);
  assert_non_null(longer);
  memcpy(longer, gz, glen);
  memcpy(longer + glen, "xyz", 3);
  char where[64];
  snprintf(where, sizeof where, "from compressed byte %zu", glen);
  const char *trail[] = {"3 bytes that are not gzip after the compressed data", where, NULL};
  expect_parse_error(longer, glen + 3, AL_ERR_FORMAT, trail);
  free(longer);
  free(gz);
}

/* Garbage: seeded pseudo-random bytes, with and without a gzip magic in front, are
 * refused without a crash (and with the sanitizers, without a read outside). */
static void test_garbage(void **state) {
  (void)state;
  uint8_t buf[256];
  uint32_t s = 12345;
  for (int trial = 0; trial < 200; trial++) {
    size_t len = 1 + (size_t)trial % sizeof buf;
    for (size_t i = 0; i < len; i++) {
      s = s * 1664525u + 1013904223u;
      buf[i] = (uint8_t)(s >> 24);
    }
    if (trial % 2 && len >= 2) {
      buf[0] = 0x1f;
      buf[1] = 0x8b;
    } else if (buf[0] == 0 && buf[1] == 0) {
      buf[0] = 1;
    }
    al_idx x = {0};
    al_err err = {0};
    assert_int_not_equal(al_idx_parse(&x, buf, len, "garbage", &err), AL_OK);
    assert_non_null(strstr(err.msg, "garbage"));
    assert_null(x.block);
  }
  const char *subs[] = {"not an IDX file", NULL};
  expect_parse_error("GIF89a", 6, AL_ERR_FORMAT, subs);
}

/* Every single-byte change to the header of a valid file is either refused or read
 * as the header it now describes; never a crash or a wrong-size payload. */
static void test_header_byte_flips(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  for (size_t i = 0; i < 16; i++) {
    for (int bit = 0; bit < 8; bit++) {
      uint8_t b[64];
      memcpy(b, buf, n);
      b[i] ^= (uint8_t)(1u << bit);
      al_idx x = {0};
      if (al_idx_parse(&x, b, n, "flip", NULL) == AL_OK) {
        assert_int_equal(16 - 4 * (3 - x.ndims) + x.count * x.elem_size, n);
        al_idx_release(&x);
      }
    }
  }
}

/* A missing file and a directory are I/O errors that name the path. */
static void test_read_missing_and_directory(void **state) {
  (void)state;
  const char *subs[] = {"cannot open", "No such file", NULL};
  expect_read_error(tmp_path("does-not-exist"), AL_ERR_IO, subs);
  const char *dir[] = {"not a regular file", NULL};
  expect_read_error(tmpdir, AL_ERR_IO, dir);
}

/* Corrupt files on disk give the same messages as buffers, naming the path. */
static void test_read_corrupt_files(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = small_images(buf);
  buf[2] = 0x0a;
  write_raw(tmp_path("badtype.idx"), buf, n);
  const char *t[] = {"bad IDX element type 0x0a", NULL};
  expect_read_error(tmp_path("badtype.idx"), AL_ERR_FORMAT, t);
  n = small_images(buf);
  write_gz(tmp_path("short.gz"), "wb", buf, n - 1);
  const char *s[] = {"payload truncated", "ends at byte offset 39", NULL};
  expect_read_error(tmp_path("short.gz"), AL_ERR_FORMAT, s);
}

/* Type names, for messages. */
static void test_type_names(void **state) {
  (void)state;
  assert_string_equal(al_idx_type_name(0x08), "ubyte");
  assert_string_equal(al_idx_type_name(0x0d), "float");
  assert_string_equal(al_idx_type_name(0x0a), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_raw_buffer),
    cmocka_unit_test(test_read_raw_file),
    cmocka_unit_test(test_read_gzip_file_by_content),
    cmocka_unit_test(test_parse_gzip_buffer),
    cmocka_unit_test(test_gzip_concatenated_members),
    cmocka_unit_test(test_multibyte_types_host_order),
    cmocka_unit_test(test_wrong_magic),
    cmocka_unit_test(test_bad_type_byte),
    cmocka_unit_test(test_bad_dimension_count),
    cmocka_unit_test(test_overflowing_dims),
    cmocka_unit_test(test_gzip_promise_beyond_deflate_ratio),
    cmocka_unit_test(test_truncated_header),
    cmocka_unit_test(test_truncated_payload_raw),
    cmocka_unit_test(test_trailing_bytes_raw),
    cmocka_unit_test(test_gzip_content_short),
    cmocka_unit_test(test_gzip_content_long),
    cmocka_unit_test(test_gzip_ends_early),
    cmocka_unit_test(test_gzip_corrupt),
    cmocka_unit_test(test_garbage),
    cmocka_unit_test(test_header_byte_flips),
    cmocka_unit_test(test_read_missing_and_directory),
    cmocka_unit_test(test_read_corrupt_files),
    cmocka_unit_test(test_type_names),
  };
  return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
