/* Status names and the message buffer behind al_fail. */
#include <stdarg.h>
#include <stdio.h>

#include "al_err.h"

const char *al_status_str(al_status s)
{
  switch (s) {
  case AL_OK: return "ok";
  case AL_ERR_ARG: return "bad argument";
  case AL_ERR_SHAPE: return "shape mismatch";
  case AL_ERR_NOMEM: return "out of memory";
  case AL_ERR_IO: return "input/output error";
  case AL_ERR_FORMAT: return "bad file format";
  case AL_ERR_NAME: return "unknown name";
  case AL_ERR_DIVERGED: return "diverged";
  case AL_ERR_INTERRUPTED: return "interrupted";
  }
  /* A value outside the enum (a cast integer) still gets a printable name. */
  return "unknown status";
}

al_status al_fail(al_err *err, al_status s, const char *fmt, ...)
{
  if (err == NULL)
    return s;
  err->status = s;
  err->msg[0] = '\0';
  if (fmt != NULL) {
    va_list ap;
    va_start(ap, fmt);
    /* vsnprintf truncates and terminates: a long message is cut, never overflows. */
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return s;
}

void al_err_clear(al_err *err)
{
  if (err == NULL)
    return;
  err->status = AL_OK;
  err->msg[0] = '\0';
}
