/* The model file (format in al_model.h): written as a stream with a running CRC,
 * read whole into memory and checked from the outside in (magic, version, sizes,
 * checksum) before its header is believed enough to build a network from it. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "al_model.h"

#define MAGIC "actlab-model"
#define LINE_MAX_LEN 1024
#define MAX_TOKENS 16
/* magic, inputs, seed, layers, params and one line per layer */
#define MAX_HEADER_LINES (AL_NET_MAX_LAYERS + 5)

/* ---- writing ---------------------------------------------------------------- */

typedef struct writer {
  FILE *f;
  uLong crc;
  int failed;
} writer;

static void put(writer *w, const void *p, size_t n)
{
  if (w->failed)
    return;
  if (fwrite(p, 1, n, w->f) != n)
    w->failed = 1;
  w->crc = crc32(w->crc, p, (uInt)n);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void putf(writer *w, const char *fmt, ...)
{
  char line[LINE_MAX_LEN];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line) {
    w->failed = 1;
    return;
  }
  put(w, line, (size_t)n);
}

static void put_u32(writer *w, uint32_t v)
{
  unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  put(w, b, 4);
}

/* Names go into a space-separated header: only identifiers are safe there. */
static int is_name(const char *s)
{
  if (s == NULL || !(isalpha((unsigned char)*s) || *s == '_'))
    return 0;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_'))
      return 0;
  return 1;
}

static al_status write_header(writer *w, const al_net *net, const char *path, al_err *err)
{
  putf(w, "%s %d\n", MAGIC, AL_MODEL_VERSION);
  putf(w, "inputs %d\n", net->in);
  putf(w, "seed %" PRIu64 "\n", net->seed);
  putf(w, "layers %d\n", net->nlayers);
  for (int i = 0; i < net->nlayers; i++) {
    const al_layer_spec *s = &net->layers[i].spec;
    switch (s->kind) {
    case AL_LAYER_DENSE:
      putf(w, "dense %d %s %.9g %.9g\n", s->units, al_init_name(s->init.kind),
           (double)s->init.a, (double)s->init.b);
      break;
    case AL_LAYER_MAXOUT:
      putf(w, "maxout %d %d %s %.9g %.9g\n", s->units, s->pieces, al_init_name(s->init.kind),
           (double)s->init.a, (double)s->init.b);
      break;
    case AL_LAYER_ACT: {
      const al_act *a = s->act;
      if (a == NULL || !is_name(a->name))
        return al_fail(err, AL_ERR_ARG, "%s: layer %d: activation name '%s' cannot be saved",
                       path, i + 1, a && a->name ? a->name : "(none)");
      char line[LINE_MAX_LEN];
      int n = snprintf(line, sizeof line, "act %s %d %d", a->name, s->per_unit ? 1 : 0,
                       a->nparams);
      for (int k = 0; k < a->nparams && n > 0 && (size_t)n < sizeof line; k++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %s %.9g", a->params[k].name,
                      (double)s->params[k]);
      if (n < 0 || (size_t)n >= sizeof line - 1)
        return al_fail(err, AL_ERR_ARG, "%s: layer %d: header line too long", path, i + 1);
      line[n++] = '\n';
      put(w, line, (size_t)n);
      break;
    }
    default:
      return al_fail(err, AL_ERR_ARG, "%s: layer %d: unknown layer kind %d", path, i + 1,
                     (int)s->kind);
    }
  }
  putf(w, "params %zu\n", net->nparams);
  return AL_OK;
}

/* Opens where a save writes. A regular file (or a new one) is written next to the
 * target, under a name of this process's own, and renamed over it at the end, so a
 * failed save never leaves a half-written model where a good one was; *tmp receives
 * that name (the caller frees it). A device, a FIFO or a link to one is written in
 * place: renaming over it would replace the node itself (as root, /dev/full would
 * become a regular file). */
static al_status open_target(FILE **f, char **tmp, const char *path, al_err *err)
{
  struct stat sb;
  *f = NULL;
  *tmp = NULL;
  if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
    *f = fopen(path, "wb");
  } else {
    size_t len = strlen(path) + 32;
    *tmp = malloc(len);
    if (*tmp == NULL)
      return al_fail(err, AL_ERR_NOMEM, "%s: out of memory", path);
    snprintf(*tmp, len, "%s.tmp.%ld", path, (long)getpid());
    *f = fopen(*tmp, "wb");
  }
  if (*f == NULL)
    return al_fail(err, AL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
  return AL_OK;
}

al_status al_model_save(const al_net *net, const char *path, al_err *err)
{
  al_status st = AL_OK;
  char *tmp = NULL;
  writer w = {.f = NULL, .crc = crc32(0L, Z_NULL, 0), .failed = 0};

  if (net == NULL || path == NULL || net->layers == NULL || net->nlayers < 1)
    return al_fail(err, AL_ERR_ARG, "%s: no network to save", path ? path : "(no path)");
  st = open_target(&w.f, &tmp, path, err);
  if (st != AL_OK)
    goto done;
  st = write_header(&w, net, path, err);
  if (st != AL_OK)
    goto done;
  unsigned char chunk[4096];
  size_t fill = 0;
  for (size_t i = 0; i < net->nparams; i++) {
    uint32_t bits;
    memcpy(&bits, &net->params[i], 4);
    chunk[fill++] = (unsigned char)bits;
    chunk[fill++] = (unsigned char)(bits >> 8);
    chunk[fill++] = (unsigned char)(bits >> 16);
    chunk[fill++] = (unsigned char)(bits >> 24);
    if (fill == sizeof chunk) {
      put(&w, chunk, fill);
      fill = 0;
    }
  }
  put(&w, chunk, fill);
  put_u32(&w, (uint32_t)w.crc);
  int close_failed = fclose(w.f) != 0;
  w.f = NULL;
  if (w.failed || close_failed) {
    st = al_fail(err, AL_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    goto done;
  }
  if (tmp && rename(tmp, path) != 0) {
    st = al_fail(err, AL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    goto done;
  }
done:
  if (w.f)
    fclose(w.f);
  if (st != AL_OK && tmp)
    remove(tmp);
  free(tmp);
  return st;
}

/* ---- reading ---------------------------------------------------------------- */

typedef struct reader {
  const char *path;
  const unsigned char *buf;
  size_t len, pos;
  int line;                   /* number of the line last taken */
  char text[LINE_MAX_LEN + 1];
  char *tok[MAX_TOKENS];
  int ntok;
} reader;

/* Takes the next line (without its "\n") into r->text. 0 at the end of the data,
 * -1 when the data ends before the line does, -2 when the line is too long or
 * holds a NUL byte (not header text). */
static int next_line(reader *r)
{
  if (r->pos >= r->len)
    return 0;
  size_t n = 0;
  while (r->pos + n < r->len && r->buf[r->pos + n] != '\n') {
    if (n == LINE_MAX_LEN || r->buf[r->pos + n] == '\0')
      return -2;
    n++;
  }
  if (r->pos + n == r->len)
    return -1; /* no newline: not a header line */
  memcpy(r->text, r->buf + r->pos, n);
  r->text[n] = '\0';
  r->pos += n + 1;
  r->line++;
  return 1;
}

/* Splits r->text at single spaces; an empty field (two spaces) makes it fail. */
static int split(reader *r)
{
  r->ntok = 0;
  char *s = r->text;
  for (;;) {
    if (r->ntok == MAX_TOKENS)
      return 0;
    r->tok[r->ntok++] = s;
    char *sp = strchr(s, ' ');
    if (sp == NULL)
      break;
    *sp = '\0';
    s = sp + 1;
  }
  for (int i = 0; i < r->ntok; i++)
    if (r->tok[i][0] == '\0')
      return 0;
  return 1;
}

static int parse_int(int *out, const char *s, long lo, long hi)
{
  if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && isdigit((unsigned char)s[1])))
    return 0;
  errno = 0;
  char *end;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi)
    return 0;
  *out = (int)v;
  return 1;
}

static int parse_u64(uint64_t *out, const char *s)
{
  if (!isdigit((unsigned char)s[0]))
    return 0;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return 0;
  *out = (uint64_t)v;
  return 1;
}

static int parse_float(float *out, const char *s)
{
  if (!(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '.'))
    return 0;
  errno = 0;
  char *end;
  float v = strtof(s, &end);
  if (*end || !isfinite(v) || (errno && errno != ERANGE))
    return 0;
  *out = v;
  return 1;
}

static al_status bad_line(reader *r, al_err *err, const char *what)
{
  return al_fail(err, AL_ERR_FORMAT, "%s: line %d: %s", r->path, r->line, what);
}

/* A "<key> <int>" line. */
static al_status keyed_int(int *out, reader *r, const char *key, long lo, long hi,
                           al_err *err)
{
  char what[160];
  if (next_line(r) <= 0 || !split(r) || r->ntok != 2 || strcmp(r->tok[0], key) != 0 ||
      !parse_int(out, r->tok[1], lo, hi)) {
    snprintf(what, sizeof what, "'%s <n>' expected (n from %ld to %ld)", key, lo, hi);
    return bad_line(r, err, what);
  }
  return AL_OK;
}

static al_status parse_init(al_init *init, reader *r, int at, al_err *err)
{
  al_err ierr = {0};
  if (al_init_lookup(&init->kind, r->tok[at], &ierr) != AL_OK) {
    char what[AL_ERR_MSG_MAX];
    snprintf(what, sizeof what, "%s", ierr.msg[0] ? ierr.msg : "unknown init");
    return bad_line(r, err, what);
  }
  if (!parse_float(&init->a, r->tok[at + 1]) || !parse_float(&init->b, r->tok[at + 2]))
    return bad_line(r, err, "init parameters must be finite numbers");
  return AL_OK;
}

static al_status parse_act(al_layer_spec *s, reader *r, al_model_resolver resolve, void *ud,
                           al_err *err)
{
  char what[AL_ERR_MSG_MAX];
  int k;
  if (r->ntok < 4 || !parse_int(&s->per_unit, r->tok[2], 0, 1) ||
      !parse_int(&k, r->tok[3], 0, AL_ACT_MAX_PARAMS) || r->ntok != 4 + 2 * k)
    return bad_line(r, err, "'act <name> <per_unit> <k> <name> <value> ...' expected");
  const al_act *a = resolve ? resolve(ud, r->tok[1]) : al_act_find(r->tok[1]);
  if (a == NULL) {
    snprintf(what, sizeof what, "unknown activation '%.200s'", r->tok[1]);
    return bad_line(r, err, what);
  }
  if (k != a->nparams) {
    snprintf(what, sizeof what, "activation '%s' has %d parameters, the file gives %d",
             a->name, a->nparams, k);
    return bad_line(r, err, what);
  }
  int seen[AL_ACT_MAX_PARAMS] = {0};
  for (int j = 0; j < k; j++) {
    int idx;
    al_err perr = {0};
    if (al_act_param_index(&idx, a, r->tok[4 + 2 * j], &perr) != AL_OK || seen[idx]) {
      snprintf(what, sizeof what, "activation '%s': parameter '%.100s' unknown or repeated",
               a->name, r->tok[4 + 2 * j]);
      return bad_line(r, err, what);
    }
    seen[idx] = 1;
    if (!parse_float(&s->params[idx], r->tok[5 + 2 * j])) {
      snprintf(what, sizeof what, "activation '%s': parameter '%s' must be a finite number",
               a->name, a->params[idx].name);
      return bad_line(r, err, what);
    }
  }
  s->act = a;
  return AL_OK;
}

static al_status parse_layer(al_layer_spec *s, reader *r, al_model_resolver resolve, void *ud,
                             al_err *err)
{
  *s = (al_layer_spec){0};
  if (next_line(r) <= 0 || !split(r))
    return bad_line(r, err, "a layer line expected");
  const char *kind = r->tok[0];
  if (strcmp(kind, "dense") == 0) {
    s->kind = AL_LAYER_DENSE;
    if (r->ntok != 5 || !parse_int(&s->units, r->tok[1], 1, INT_MAX))
      return bad_line(r, err, "'dense <units> <init> <a> <b>' expected");
    return parse_init(&s->init, r, 2, err);
  }
  if (strcmp(kind, "maxout") == 0) {
    s->kind = AL_LAYER_MAXOUT;
    if (r->ntok != 6 || !parse_int(&s->units, r->tok[1], 1, INT_MAX) ||
        !parse_int(&s->pieces, r->tok[2], 2, INT_MAX))
      return bad_line(r, err, "'maxout <units> <pieces> <init> <a> <b>' expected");
    return parse_init(&s->init, r, 3, err);
  }
  if (strcmp(kind, "act") == 0) {
    s->kind = AL_LAYER_ACT;
    return parse_act(s, r, resolve, ud, err);
  }
  return bad_line(r, err, "unknown layer kind (dense, maxout or act expected)");
}

/* Reads the whole file; AL_ERR_IO names it. */
static al_status slurp(unsigned char **out, size_t *len, const char *path, al_err *err)
{
  al_status st = AL_OK;
  unsigned char *buf = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    st = al_fail(err, AL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    goto done;
  }
  long size;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    st = al_fail(err, AL_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    goto done;
  }
  buf = malloc(size > 0 ? (size_t)size : 1);
  if (buf == NULL) {
    st = al_fail(err, AL_ERR_NOMEM, "%s: out of memory reading %ld bytes", path, size);
    goto done;
  }
  if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
    st = al_fail(err, AL_ERR_IO, "%s: cannot read: %s", path,
                 ferror(f) ? strerror(errno) : "file shrank while reading");
    goto done;
  }
  *out = buf;
  *len = (size_t)size;
  buf = NULL;
done:
  if (f)
    fclose(f);
  free(buf);
  return st;
}

static uint32_t get_u32(const unsigned char *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The outside of the file: magic and version, then the "params" line that ends the
 * header (found without trusting the lines before it), the exact size of what
 * follows, and the checksum. Leaves r just after the magic line and sets *count. */
static al_status check_envelope(size_t *count, reader *r, al_err *err)
{
  int version;
  if (next_line(r) <= 0 || !split(r) || r->ntok != 2 || strcmp(r->tok[0], MAGIC) != 0)
    return al_fail(err, AL_ERR_FORMAT, "%s: not an actlab model (no '%s' header)", r->path,
                   MAGIC);
  if (!parse_int(&version, r->tok[1], 1, INT_MAX))
    return al_fail(err, AL_ERR_FORMAT, "%s: bad format version '%.40s'", r->path, r->tok[1]);
  if (version > AL_MODEL_VERSION)
    return al_fail(err, AL_ERR_FORMAT, "%s: format version %d is newer than this actlab (%d)",
                   r->path, version, AL_MODEL_VERSION);
  const size_t after_magic = r->pos;
  const int magic_line = r->line;
  for (int lines = 1;; lines++) {
    int got = next_line(r);
    if (got == 0 || got == -1)
      return al_fail(err, AL_ERR_FORMAT, "%s: truncated in the header (line %d)", r->path,
                     r->line + 1);
    if (got == -2 || lines >= MAX_HEADER_LINES)
      return al_fail(err, AL_ERR_FORMAT, "%s: no 'params' line ends the header", r->path);
    if (strncmp(r->text, "params ", 7) == 0)
      break;
  }
  uint64_t c;
  if (!split(r) || r->ntok != 2 || !parse_u64(&c, r->tok[1]))
    return bad_line(r, err, "'params <count>' expected");
  size_t rest = r->len - r->pos;
  if (c > (SIZE_MAX - 4) / 4)
    return bad_line(r, err, "parameter count too large");
  size_t need = (size_t)c * 4 + 4;
  if (rest < need)
    return al_fail(err, AL_ERR_FORMAT,
                   "%s: truncated (%" PRIu64 " parameters and a checksum need %zu bytes after "
                   "the header, the file has %zu)",
                   r->path, c, need, rest);
  if (rest > need)
    return al_fail(err, AL_ERR_FORMAT, "%s: %zu unexpected bytes after the checksum", r->path,
                   rest - need);
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t at = 0; at < r->len - 4;) {
    size_t chunk = r->len - 4 - at;
    if (chunk > ((size_t)1 << 30))
      chunk = (size_t)1 << 30;
    crc = crc32(crc, r->buf + at, (uInt)chunk);
    at += chunk;
  }
  if ((uint32_t)crc != get_u32(r->buf + r->len - 4))
    return al_fail(err, AL_ERR_FORMAT, "%s: checksum mismatch (the file is damaged)", r->path);
  *count = (size_t)c;
  r->pos = after_magic;
  r->line = magic_line;
  return AL_OK;
}

al_status al_model_load(al_net *net, const char *path, al_model_resolver resolve, void *ud,
                        al_err *err)
{
  al_status st = AL_OK;
  unsigned char *buf = NULL;
  al_layer_spec *specs = NULL;
  reader *r = NULL;
  al_net tmp = {0};
  size_t len = 0, count = 0;
  int inputs = 0, nlayers = 0;
  uint64_t seed = 0;

  if (net == NULL || path == NULL)
    return al_fail(err, AL_ERR_ARG, "al_model_load: no network or path");
  *net = (al_net){0};
  st = slurp(&buf, &len, path, err);
  if (st != AL_OK)
    goto done;
  r = calloc(1, sizeof *r);
  if (r == NULL) {
    st = al_fail(err, AL_ERR_NOMEM, "%s: out of memory", path);
    goto done;
  }
  *r = (reader){.path = path, .buf = buf, .len = len};
  st = check_envelope(&count, r, err);
  if (st != AL_OK)
    goto done;

  st = keyed_int(&inputs, r, "inputs", 1, INT_MAX, err);
  if (st != AL_OK)
    goto done;
  if (next_line(r) <= 0 || !split(r) || r->ntok != 2 || strcmp(r->tok[0], "seed") != 0 ||
      !parse_u64(&seed, r->tok[1])) {
    st = bad_line(r, err, "'seed <n>' expected");
    goto done;
  }
  st = keyed_int(&nlayers, r, "layers", 1, AL_NET_MAX_LAYERS, err);
  if (st != AL_OK)
    goto done;
  specs = calloc((size_t)nlayers, sizeof *specs);
  if (specs == NULL) {
    st = al_fail(err, AL_ERR_NOMEM, "%s: out of memory", path);
    goto done;
  }
  for (int i = 0; i < nlayers; i++) {
    st = parse_layer(&specs[i], r, resolve, ud, err);
    if (st != AL_OK)
      goto done;
  }
  if (next_line(r) <= 0 || strncmp(r->text, "params ", 7) != 0) {
    st = bad_line(r, err, "'params <count>' expected after the layers");
    goto done;
  }

  /* Counted before anything is allocated: a few header bytes must not make the loader
   * build a network of gigabytes the file cannot hold. */
  al_err nerr = {0};
  size_t expect = 0;
  st = al_net_count_params(&expect, inputs, specs, nlayers, &nerr);
  if (st == AL_OK && expect != count) {
    st = al_fail(err, AL_ERR_FORMAT, "%s: the layers hold %zu parameters, the file %zu", path,
                 expect, count);
    goto done;
  }
  if (st == AL_OK)
    st = al_net_create(&tmp, inputs, specs, nlayers, seed, &nerr);
  if (st != AL_OK) {
    /* A header that passed the checksum but describes no valid network. */
    st = al_fail(err, st == AL_ERR_NOMEM ? AL_ERR_NOMEM : AL_ERR_FORMAT, "%s: %s", path,
                 nerr.msg[0] ? nerr.msg : al_status_str(st));
    goto done;
  }
  if (tmp.nparams != count) {
    st = al_fail(err, AL_ERR_FORMAT, "%s: the layers hold %zu parameters, the file %zu", path,
                 tmp.nparams, count);
    goto done;
  }
  const unsigned char *p = buf + r->pos; /* just after the params line */
  for (size_t i = 0; i < count; i++) {
    uint32_t bits = get_u32(p + 4 * i);
    memcpy(&tmp.params[i], &bits, 4);
  }
  *net = tmp;
  tmp = (al_net){0};
done:
  if (tmp.layers)
    al_net_release(&tmp);
  free(r);
  free(specs);
  free(buf);
  return st;
}
