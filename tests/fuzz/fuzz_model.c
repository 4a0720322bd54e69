/* libFuzzer target for the model loader (al_model_load). The loader only reads paths,
 * so each input goes through a file; it is loaded as given and again with its last four
 * bytes replaced by the right CRC-32, so mutations get past the checksum to the header. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "al_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static char dir[3072];
static char in_path[3100], out_path[3100], again_path[3100];

static void cleanup(void)
{
  remove(in_path);
  remove(out_path);
  remove(again_path);
  rmdir(dir);
}

/* One scratch directory per process, under $TMPDIR or /tmp (removed at exit; a crash
 * leaves it behind, which is why scripts/fuzz.sh points TMPDIR into its build folder). */
static int setup(void)
{
  if (dir[0])
    return 1;
  const char *base = getenv("TMPDIR");
  if (base == NULL || *base == '\0' || strlen(base) > 3000)
    base = "/tmp";
  snprintf(dir, sizeof dir, "%s/fuzz_model.XXXXXX", base);
  if (mkdtemp(dir) == NULL) {
    dir[0] = '\0';
    return 0;
  }
  snprintf(in_path, sizeof in_path, "%s/in", dir);
  snprintf(out_path, sizeof out_path, "%s/out", dir);
  snprintf(again_path, sizeof again_path, "%s/again", dir);
  atexit(cleanup);
  return 1;
}

static int write_file(const char *path, const uint8_t *data, size_t size)
{
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return 0;
  int ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok;
}

static uint8_t *read_file(const char *path, size_t *size)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

static void check_same_net(const al_net *a, const al_net *b)
{
  CHECK(a->in == b->in && a->out == b->out && a->seed == b->seed);
  CHECK(a->nlayers == b->nlayers && a->nparams == b->nparams);
  CHECK(a->nparams == 0 || memcmp(a->params, b->params, a->nparams * sizeof(float)) == 0);
  for (int i = 0; i < a->nlayers; i++) {
    const al_layer_spec *x = &a->layers[i].spec, *y = &b->layers[i].spec;
    CHECK(x->kind == y->kind && x->units == y->units && x->pieces == y->pieces);
    CHECK(x->act == y->act && x->per_unit == y->per_unit && x->init.kind == y->init.kind);
    CHECK(memcmp(&x->init.a, &y->init.a, sizeof(float)) == 0);
    CHECK(memcmp(&x->init.b, &y->init.b, sizeof(float)) == 0);
    CHECK(memcmp(x->params, y->params, sizeof x->params) == 0);
  }
}

/* A loaded network saves, reloads identically, and saves again to the same bytes. */
static void check_round_trip(const al_net *net)
{
  al_net back = {0};
  al_err err = {0};
  size_t n1 = 0, n2 = 0;
  uint8_t *f1 = NULL, *f2 = NULL;

  CHECK(al_model_save(net, out_path, &err) == AL_OK);
  CHECK(al_model_load(&back, out_path, NULL, NULL, &err) == AL_OK);
  check_same_net(net, &back);
  CHECK(al_model_save(&back, again_path, &err) == AL_OK);
  f1 = read_file(out_path, &n1);
  f2 = read_file(again_path, &n2);
  CHECK(f1 && f2 && n1 == n2 && memcmp(f1, f2, n1) == 0);
  free(f1);
  free(f2);
  al_net_release(&back);
}

/* Loads data[0 .. size) through the scratch file. */
static void load_one(const uint8_t *data, size_t size)
{
  al_net net = {0};
  al_err err = {0};
  if (!write_file(in_path, data, size))
    return;
  al_status st = al_model_load(&net, in_path, NULL, NULL, &err);
  if (st == AL_OK) {
    check_round_trip(&net);
    al_net_release(&net);
  } else {
    CHECK(err.msg[0] != '\0');     /* a refusal says why */
    CHECK(net.layers == NULL && net.params == NULL); /* and leaves the network empty */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!setup())
    return 0;
  load_one(data, size);
  if (size < 4)
    return 0;
  uint8_t *fixed = malloc(size);
  if (fixed == NULL)
    return 0;
  memcpy(fixed, data, size);
  uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), fixed, (uInt)(size - 4));
  for (int i = 0; i < 4; i++)
    fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
  if (memcmp(fixed, data, size) != 0)
    load_one(fixed, size);
  free(fixed);
  return 0;
}
