/* Tests of the model file: bit-exact round trips, the documented layout, and an
 * error naming the file for every kind of damage (and no crash for any). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "al_model.h"

static char tmpdir[512];

static int setup_dir(void **state)
{
  (void)state;
  const char *env = getenv("ACTLAB_TEST_TMP");
  if (env && env[0]) {
    snprintf(tmpdir, sizeof tmpdir, "%s/test_model", env);
    mkdir(env, 0777);
    mkdir(tmpdir, 0777);
  } else {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/actlab_test_model_XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
      return -1;
  }
  return 0;
}

static const char *tmp_path(const char *name)
{
  static char buf[4][700];
  static int next;
  char *p = buf[next++ % 4];
  snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
  return p;
}

static const al_act *act(const char *name)
{
  const al_act *a = al_act_find(name);
  assert_non_null(a);
  return a;
}

/* Fills every parameter with an awkward but finite float: negative zero,
 * subnormals, huge and tiny magnitudes, and random bit patterns. */
static void scramble(al_net *net, uint32_t seed)
{
  static const uint32_t special[] = {0x80000000u, 0x00000001u, 0x007fffffu, 0x7f7fffffu,
                                     0xff7fffffu, 0x3f800000u, 0x33d6bf95u};
  uint32_t s = seed;
  for (size_t i = 0; i < net->nparams; i++) {
    uint32_t bits;
    if (i < sizeof special / sizeof special[0]) {
      bits = special[i];
    } else {
      do {
        s = s * 1664525u + 1013904223u;
        bits = s ^ (s >> 13);
      } while (((bits >> 23) & 0xff) == 0xff); /* no Inf or NaN */
    }
    memcpy(&net->params[i], &bits, 4);
  }
}

/* dense → prelu (per unit) → maxout → leaky_relu(γ) → dense → softmax: every kind
 * of layer, a per-unit parameter and activation parameters. */
static void make_net(al_net *net)
{
  al_layer_spec s[6] = {0};
  s[0] = (al_layer_spec){.kind = AL_LAYER_DENSE, .units = 4,
                         .init = {.kind = AL_INIT_UNIFORM, .a = -0.3f, .b = 0.1f}};
  s[1] = (al_layer_spec){.kind = AL_LAYER_ACT, .act = act("prelu"), .per_unit = 1};
  al_act_defaults(s[1].act, s[1].params);
  s[2] = (al_layer_spec){.kind = AL_LAYER_MAXOUT, .units = 3, .pieces = 2,
                         .init = {.kind = AL_INIT_HE}};
  s[3] = (al_layer_spec){.kind = AL_LAYER_ACT, .act = act("leaky_relu")};
  al_act_defaults(s[3].act, s[3].params);
  s[3].params[0] = 0.123456789f;
  s[4] = (al_layer_spec){.kind = AL_LAYER_DENSE, .units = 2,
                         .init = {.kind = AL_INIT_NORMAL, .a = 0.0f, .b = 0.05f}};
  s[5] = (al_layer_spec){.kind = AL_LAYER_ACT, .act = act("softmax")};
  al_act_defaults(s[5].act, s[5].params);
  al_err err = {0};
  assert_int_equal(al_net_create(net, 5, s, 6, 0xfedcba9876543210ull, &err), AL_OK);
  scramble(net, 7);
}

static unsigned char *read_all(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)n + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void write_all(const char *path, const void *b, size_t len)
{
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, len, f), len);
  fclose(f);
}

/* Rewrites the trailing CRC so that a deliberately edited file passes the checksum. */
static void fix_crc(unsigned char *b, size_t len)
{
  uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(len - 4));
  for (int k = 0; k < 4; k++)
    b[len - 4 + k] = (unsigned char)(c >> (8 * k));
}

/* Loads path expecting failure; returns the message (static buffer). */
static const char *load_error(const char *path, al_status expect)
{
  static al_err err;
  al_net net = {0};
  al_err_clear(&err);
  al_status st = al_model_load(&net, path, NULL, NULL, &err);
  assert_int_equal(st, expect);
  assert_null(net.layers);
  return err.msg;
}

static void save_sample(const char *path)
{
  al_net net;
  al_err err = {0};
  make_net(&net);
  assert_int_equal(al_model_save(&net, path, &err), AL_OK);
  al_net_release(&net);
}

/* Loading what was saved gives the same layers and bit-identical parameters. */
static void test_round_trip_is_bit_exact(void **state)
{
  (void)state;
  al_net a, b = {0};
  al_err err = {0};
  make_net(&a);
  const char *path = tmp_path("round.bin");
  assert_int_equal(al_model_save(&a, path, &err), AL_OK);
  assert_int_equal(al_model_load(&b, path, NULL, NULL, &err), AL_OK);
  assert_int_equal(b.in, a.in);
  assert_int_equal(b.out, a.out);
  assert_true(b.seed == a.seed);
  assert_int_equal(b.nlayers, a.nlayers);
  assert_int_equal(b.nparams, a.nparams);
  assert_memory_equal(b.params, a.params, a.nparams * sizeof(float));
  for (int i = 0; i < a.nlayers; i++) {
    const al_layer_spec *x = &a.layers[i].spec, *y = &b.layers[i].spec;
    assert_int_equal(y->kind, x->kind);
    assert_int_equal(y->units, x->units);
    assert_int_equal(y->pieces, x->pieces);
    assert_int_equal(y->per_unit, x->per_unit);
    assert_ptr_equal(y->act, x->act);
    assert_int_equal(y->init.kind, x->init.kind);
    assert_memory_equal(&y->init.a, &x->init.a, sizeof(float));
    assert_memory_equal(&y->init.b, &x->init.b, sizeof(float));
    assert_memory_equal(y->params, x->params, sizeof x->params);
  }
  /* Saving the loaded network again reproduces the file byte for byte. */
  const char *again = tmp_path("round2.bin");
  assert_int_equal(al_model_save(&b, again, &err), AL_OK);
  size_t n1, n2;
  unsigned char *f1 = read_all(path, &n1), *f2 = read_all(again, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(f1, f2, n1);
  free(f1);
  free(f2);
  al_net_release(&a);
  al_net_release(&b);
}

/* The file is the documented header, the little-endian float block and the CRC-32
 * of everything before it. */
static void test_layout_is_as_documented(void **state)
{
  (void)state;
  al_net net;
  al_err err = {0};
  make_net(&net);
  const char *path = tmp_path("layout.bin");
  assert_int_equal(al_model_save(&net, path, &err), AL_OK);
  size_t len;
  unsigned char *b = read_all(path, &len);
  /* prelu's default alpha and the inits' unused fields are the table's: read them
   * from the net so the comparison is about the layout. */
  char expect[1024];
  snprintf(expect, sizeof expect,
           "actlab-model 1\ninputs 5\nseed 18364758544493064720\nlayers 6\n"
           "dense 4 uniform -0.300000012 0.100000001\nact prelu 1 1 %s %.9g\n"
           "maxout 3 2 he %.9g %.9g\nact leaky_relu 0 1 gamma 0.123456791\n"
           "dense 2 normal 0 0.0500000007\nact softmax 0 0\nparams %zu\n",
           net.layers[1].spec.act->params[0].name, (double)net.layers[1].spec.params[0],
           (double)net.layers[2].spec.init.a, (double)net.layers[2].spec.init.b, net.nparams);
  size_t el = strlen(expect);
  assert_int_equal(len, el + 4 * net.nparams + 4);
  assert_memory_equal(b, expect, el);
  for (size_t i = 0; i < net.nparams; i++) {
    uint32_t bits;
    memcpy(&bits, &net.params[i], 4);
    const unsigned char *p = b + el + 4 * i;
    assert_int_equal(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24, bits);
  }
  uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(len - 4));
  const unsigned char *c = b + len - 4;
  assert_int_equal(c[0] | c[1] << 8 | c[2] << 16 | (uint32_t)c[3] << 24, crc);
  free(b);
  al_net_release(&net);
}

/* A missing file is an I/O error naming it. */
static void test_missing_file_is_io_error(void **state)
{
  (void)state;
  const char *path = tmp_path("no-such.bin");
  char expect[800];
  snprintf(expect, sizeof expect, "%s: cannot open: No such file or directory", path);
  assert_string_equal(load_error(path, AL_ERR_IO), expect);
}

/* Something that is not a model says so. */
static void test_wrong_magic_is_refused(void **state)
{
  (void)state;
  const char *path = tmp_path("magic.bin");
  write_all(path, "P5\n28 28\n255\n", 13);
  char expect[800];
  snprintf(expect, sizeof expect, "%s: not an actlab model (no 'actlab-model' header)", path);
  assert_string_equal(load_error(path, AL_ERR_FORMAT), expect);
  write_all(path, "", 0);
  assert_string_equal(load_error(path, AL_ERR_FORMAT), expect);
}

/* A newer format version is refused with both versions named. */
static void test_future_version_is_refused(void **state)
{
  (void)state;
  const char *path = tmp_path("model.bin");
  save_sample(path);
  size_t len;
  unsigned char *b = read_all(path, &len);
  b[13] = '2';
  fix_crc(b, len);
  write_all(path, b, len);
  char expect[800];
  snprintf(expect, sizeof expect, "%s: format version 2 is newer than this actlab (1)", path);
  assert_string_equal(load_error(path, AL_ERR_FORMAT), expect);
  free(b);
}

/* A flipped bit in the parameters is caught by the checksum. */
static void test_damaged_params_fail_checksum(void **state)
{
  (void)state;
  const char *path = tmp_path("crc.bin");
  save_sample(path);
  size_t len;
  unsigned char *b = read_all(path, &len);
  b[len - 10] ^= 0x10;
  write_all(path, b, len);
  char expect[800];
  snprintf(expect, sizeof expect, "%s: checksum mismatch (the file is damaged)", path);
  assert_string_equal(load_error(path, AL_ERR_FORMAT), expect);
  free(b);
}

/* Every proper prefix of a model is refused: in the header as truncated header,
 * after it as truncated data. */
static void test_every_truncation_is_refused(void **state)
{
  (void)state;
  const char *path = tmp_path("trunc.bin"), *cut = tmp_path("cut.bin");
  save_sample(path);
  size_t len;
  unsigned char *b = read_all(path, &len);
  size_t header = (size_t)(strstr((char *)b, "\nparams ") - (char *)b);
  header += strcspn((char *)b + header + 1, "\n") + 2;
  for (size_t n = 0; n < len; n++) {
    write_all(cut, b, n);
    const char *msg = load_error(cut, AL_ERR_FORMAT);
    assert_true(strncmp(msg, cut, strlen(cut)) == 0);
    if (n >= header)
      assert_non_null(strstr(msg, ": truncated ("));
    else if (n > 15)
      assert_non_null(strstr(msg, ": truncated in the header"));
  }
  free(b);
}

/* Bytes after the checksum are refused and counted. */
static void test_trailing_bytes_are_refused(void **state)
{
  (void)state;
  const char *path = tmp_path("trail.bin");
  save_sample(path);
  size_t len;
  unsigned char *b = read_all(path, &len);
  unsigned char *c = malloc(len + 3);
  assert_non_null(c);
  memcpy(c, b, len);
  memcpy(c + len, "xyz", 3);
  write_all(path, c, len + 3);
  char expect[800];
  snprintf(expect, sizeof expect, "%s: 3 unexpected bytes after the checksum", path);
  assert_string_equal(load_error(path, AL_ERR_FORMAT), expect);
  free(b);
  free(c);
}

/* Replaces the first occurrence of `from` by `to` (same length) and fixes the CRC,
 * so that only the loader's reading of the header can object. */
static void edit_header(const char *path, const char *from, const char *to)
{
  size_t len;
  unsigned char *b = read_all(path, &len);
  char *at = strstr((char *)b, from);
  assert_non_null(at);
  assert_int_equal(strlen(from), strlen(to));
  memcpy(at, to, strlen(to));
  fix_crc(b, len);
  write_all(path, b, len);
  free(b);
}

/* Header edits that keep a valid checksum still fail, each with its own message. */
static void test_bad_headers_name_line_and_problem(void **state)
{
  (void)state;
  static const struct {
    const char *from, *to, *msg;
  } cases[] = {
    {"act leaky_relu", "act leaky_relx", "line 8: unknown activation 'leaky_relx'"},
    {"maxout 3 2", "maxout 3 1", "line 7: 'maxout <units> <pieces> <init> <a> <b>' expected"},
    {"dense 4 uniform", "dense 4 unicorn", "line 5: "},
    {"dense 4", "dense 5", "the layers hold"},
    {"dense 4", "dense 0", "line 5: 'dense <units> <init> <a> <b>' expected"},
    {"dense 4", "dunce 4", "line 5: unknown layer kind (dense, maxout or act expected)"},
    {"gamma 0.12", "gamma -9.9", "layer 4 (leaky_relu)"},
    {"gamma 0.1", "gammo 0.1", "line 8: activation 'leaky_relu': parameter 'gammo' unknown"},
    {"layers 6", "layers 7", "line 11: unknown layer kind"},
    {"layers 6", "layers 5", "line 10: 'params <count>' expected after the layers"},
    {"inputs 5", "inputs x", "line 2: 'inputs <n>' expected"},
    {"act softmax 0 0", "act softmax 0 1", "line 10: 'act <name> <per_unit> <k>"},
    {"act softmax 0 0", "act softmax 1 0", "layer 6 (softmax): per_unit"},
  };
  const char *path = tmp_path("edit.bin");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    save_sample(path);
    edit_header(path, cases[i].from, cases[i].to);
    const char *msg = load_error(path, AL_ERR_FORMAT);
    if (strncmp(msg, path, strlen(path)) != 0 || strstr(msg, cases[i].msg) == NULL)
      fail_msg("case %zu (%s → %s): got \"%s\"", i, cases[i].from, cases[i].to, msg);
  }
}

/* Flipping any bit of the file gives an error (mostly the checksum's), never a
 * crash and never a network. */
static void test_any_bit_flip_is_an_error(void **state)
{
  (void)state;
  const char *path = tmp_path("flip.bin"), *bad = tmp_path("flipped.bin");
  save_sample(path);
  size_t len;
  unsigned char *b = read_all(path, &len);
  for (size_t i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      b[i] ^= (unsigned char)(1u << bit);
      write_all(bad, b, len);
      al_net net = {0};
      al_err err = {0};
      assert_int_not_equal(al_model_load(&net, bad, NULL, NULL, &err), AL_OK);
      assert_null(net.layers);
      assert_true(strncmp(err.msg, bad, strlen(bad)) == 0);
      b[i] ^= (unsigned char)(1u << bit);
    }
  }
  free(b);
}

static al_act mine;

static const al_act *resolve_mine(void *ud, const char *name)
{
  (*(int *)ud)++;
  if (strcmp(name, "mine") == 0)
    return &mine;
  return al_act_find(name);
}

/* Activations outside the core table are found through the resolver, and only there. */
static void test_resolver_finds_outside_activations(void **state)
{
  (void)state;
  mine = *act("tanh");
  mine.name = "mine";
  al_layer_spec s[2] = {{.kind = AL_LAYER_DENSE, .units = 2, .init = {.kind = AL_INIT_XAVIER}},
                        {.kind = AL_LAYER_ACT, .act = &mine}};
  al_net net, back = {0};
  al_err err = {0};
  assert_int_equal(al_net_create(&net, 3, s, 2, 1, &err), AL_OK);
  const char *path = tmp_path("mine.bin");
  assert_int_equal(al_model_save(&net, path, &err), AL_OK);
  char expect[800];
  snprintf(expect, sizeof expect, "%s: line 6: unknown activation 'mine'", path);
  assert_string_equal(load_error(path, AL_ERR_FORMAT), expect);
  int calls = 0;
  assert_int_equal(al_model_load(&back, path, resolve_mine, &calls, &err), AL_OK);
  assert_int_equal(calls, 1);
  assert_ptr_equal(back.layers[1].spec.act, &mine);
  assert_memory_equal(back.params, net.params, net.nparams * sizeof(float));
  al_net_release(&net);
  al_net_release(&back);
}

/* A save that cannot write names the file and leaves nothing behind. */
static void test_unwritable_path_is_io_error(void **state)
{
  (void)state;
  al_net net;
  al_err err = {0};
  make_net(&net);
  const char *path = tmp_path("no-dir/model.bin");
  assert_int_equal(al_model_save(&net, path, &err), AL_ERR_IO);
  assert_true(strncmp(err.msg, path, strlen(path)) == 0);
  al_net_release(&net);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_round_trip_is_bit_exact),
    cmocka_unit_test(test_layout_is_as_documented),
    cmocka_unit_test(test_missing_file_is_io_error),
    cmocka_unit_test(test_wrong_magic_is_refused),
    cmocka_unit_test(test_future_version_is_refused),
    cmocka_unit_test(test_damaged_params_fail_checksum),
    cmocka_unit_test(test_every_truncation_is_refused),
    cmocka_unit_test(test_trailing_bytes_are_refused),
    cmocka_unit_test(test_bad_headers_name_line_and_problem),
    cmocka_unit_test(test_any_bit_flip_is_an_error),
    cmocka_unit_test(test_resolver_finds_outside_activations),
    cmocka_unit_test(test_unwritable_path_is_io_error),
  };
  return cmocka_run_group_tests(tests, setup_dir, NULL);
}
