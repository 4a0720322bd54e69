/* Status codes and the optional message buffer that fallible core calls fill.
 * The core never exits or aborts on bad input: it returns a status, and when the
 * caller passed an al_err, a sentence naming what was wrong. */
#ifndef AL_ERR_H
#define AL_ERR_H

typedef enum al_status {
  AL_OK = 0,
  AL_ERR_ARG,         /* an argument outside its valid range */
  AL_ERR_SHAPE,       /* matrix shapes do not agree */
  AL_ERR_NOMEM,       /* allocation failed or a size overflowed */
  AL_ERR_IO,          /* open, read or write failed */
  AL_ERR_FORMAT,      /* a file's content is not what its format promises */
  AL_ERR_NAME,        /* unknown name: activation, parameter, init, loss */
  AL_ERR_DIVERGED,    /* training produced a NaN or an infinity */
  AL_ERR_INTERRUPTED  /* stopped on request (callback or signal) */
} al_status;

#define AL_ERR_MSG_MAX 512

typedef struct al_err {
  al_status status;
  char msg[AL_ERR_MSG_MAX];
} al_err;

/* A short fixed name for a status ("shape mismatch", ...). */
const char *al_status_str(al_status s);

/* Records s and a printf-style message in err (if err is not NULL); returns s,
 * so a failing path reads `return al_fail(err, AL_ERR_ARG, "...", ...);`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
al_status al_fail(al_err *err, al_status s, const char *fmt, ...);

void al_err_clear(al_err *err);

#endif
