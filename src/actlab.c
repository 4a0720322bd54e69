/* The actlab program: runs scripts, -e chunks, subcommands and an interactive REPL
 * with the actlab module preloaded as the global `actlab`, in the manner of Lua's own
 * lua.c: everything runs under lua_pcall with a traceback, errors exit with status 1. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "al_version.h"
#include "bind.h"

static const char *const progname = "actlab";

/* Words that run require("actlab.cmd." .. word).main(args) instead of a script. */
static const char *const commands[] = {"merge", "status", "slurm", "plot", NULL};

#define HISTORY_MAX 1000

/* ---- Signals ------------------------------------------------------------------- */

/* A signal handler has no arguments to carry state, so what it touches is global:
 * the state running a chunk, the signal caught during it, and Ctrl-C at the prompt. */
static lua_State *volatile running_state;
static volatile sig_atomic_t caught_signal;
static volatile sig_atomic_t prompt_interrupted;

static void set_handler(int sig, void (*handler)(int))
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/* Raises the error at the first Lua instruction after the signal. */
static void stop_hook(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, caught_signal == SIGTERM ? "terminated" : "interrupted!");
}

/* Lua cannot be stopped from a handler directly; a hook that fires at the next
 * instruction can. The flag stops C loops (training) that run no Lua. A second
 * signal gets the default action, so a stuck program still dies on a second Ctrl-C. */
static void on_signal(int sig)
{
  set_handler(sig, SIG_DFL);
  caught_signal = sig;
  *albind_interrupt_flag() = sig;
  lua_sethook(running_state, stop_hook,
              LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

static void on_prompt_signal(int sig)
{
  (void)sig;
  prompt_interrupted = 1;
}

/* ---- Running chunks ------------------------------------------------------------ */

/* Message handler: the message (or a description of a non-string error) plus a traceback. */
static int msghandler(lua_State *L)
{
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Calls the function under its nargs arguments with the traceback handler, turning
 * SIGINT (and SIGTERM when catch_term) into a Lua error. The interrupt flag is
 * cleared first: each chunk starts uninterrupted. */
static int docall(lua_State *L, int nargs, int nres, int catch_term)
{
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  caught_signal = 0;
  *albind_interrupt_flag() = 0;
  running_state = L;
  /* The handlers before the call come back after it: the default for a script, the
   * prompt's for the REPL (a Ctrl-C between two chunks must not end it). */
  struct sigaction old_int, old_term;
  sigaction(SIGINT, NULL, &old_int);
  sigaction(SIGTERM, NULL, &old_term);
  set_handler(SIGINT, on_signal);
  if (catch_term)
    set_handler(SIGTERM, on_signal);
  int status = lua_pcall(L, nargs, nres, base);
  sigaction(SIGINT, &old_int, NULL);
  if (catch_term)
    sigaction(SIGTERM, &old_term, NULL);
  /* A signal that came too late to fire must not leak into the next chunk. */
  lua_sethook(L, NULL, 0, 0);
  lua_remove(L, base);
  return status;
}

/* Prints the error message on top of the stack (if status is an error) and pops it. */
static int report(lua_State *L, int status)
{
  if (status != LUA_OK) {
    fflush(stdout); /* what the chunk printed comes before its error */
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: %s\n", progname, msg ? msg : "(error object is not a string)");
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}

/* The exit status of a script or command that ran with the given status: a signal
 * that arrived ends it with a short message and 128 + signal, as shells expect. */
static int script_exit(lua_State *L, int status)
{
  if (caught_signal != 0) {
    if (status != LUA_OK)
      lua_pop(L, 1);
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", progname, caught_signal == SIGTERM ? "terminated" : "interrupted");
    return 128 + caught_signal;
  }
  return report(L, status) == LUA_OK ? 0 : 1;
}

static int run_string(lua_State *L, const char *code)
{
  int status = luaL_loadbuffer(L, code, strlen(code), "=(command line)");
  if (status == LUA_OK)
    status = docall(L, 0, 0, 1);
  return script_exit(L, status);
}

/* Pushes arg[1 .. #arg] (the script's arguments, which it also sees as ...). */
static int push_script_args(lua_State *L)
{
  if (lua_getglobal(L, "arg") != LUA_TTABLE)
    luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (int i = 1; i <= n; i++)
    lua_rawgeti(L, -i, i);
  lua_remove(L, -n - 1);
  return n;
}

/* fname NULL reads the standard input. */
static int run_script(lua_State *L, const char *fname)
{
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = push_script_args(L);
    status = docall(L, n, 0, 1);
  }
  return script_exit(L, status);
}

static int is_command(const char *word)
{
  struct stat st;
  for (int i = 0; commands[i] != NULL; i++)
    if (strcmp(word, commands[i]) == 0)
      return stat(word, &st) != 0; /* a file of that name is a script */
  return 0;
}

/* Protected part of a subcommand: require(modname).main(args). */
static int call_command(lua_State *L)
{
  const char *modname = lua_tostring(L, 1);
  lua_getglobal(L, "require");
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (!lua_istable(L, -1) || lua_getfield(L, -1, "main") != LUA_TFUNCTION)
    return luaL_error(L, "module '%s' has no function 'main'", modname);
  lua_pushvalue(L, 2);
  lua_call(L, 1, 1);
  return 1;
}

/* actlab <command> args...: the status main returns (an integer, or true/nil for 0). */
static int run_command(lua_State *L, int argc, char **argv, int at)
{
  const char *name = argv[at];
  const char *modname = lua_pushfstring(L, "actlab.cmd.%s", name);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchpath");
  lua_pushstring(L, modname);
  lua_getfield(L, -3, "path");
  lua_call(L, 2, 1);
  int found = !lua_isnil(L, -1);
  lua_pop(L, 2);
  if (!found) {
    fprintf(stderr, "%s: command '%s' is not available (no module %s on package.path)\n",
            progname, name, modname);
    lua_pop(L, 1);
    return 1;
  }
  lua_pushcfunction(L, call_command);
  lua_insert(L, -2);
  lua_createtable(L, argc - at - 1, 0);
  for (int i = at + 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - at);
  }
  int status = docall(L, 2, 1, 1);
  if (status != LUA_OK || caught_signal != 0)
    return script_exit(L, status);
  int code = 1; /* false, or anything that is not a status */
  if (lua_isinteger(L, -1))
    code = (int)(lua_tointeger(L, -1) & 0xff);
  else if (lua_isnil(L, -1) || (lua_isboolean(L, -1) && lua_toboolean(L, -1)))
    code = 0;
  lua_pop(L, 1);
  return code;
}

/* ---- The REPL ------------------------------------------------------------------ */

/* Where REPL lines come from: readline when both ends are a terminal, else getline
 * (so the REPL can be driven from a pipe), with prompts only on a terminal. */
struct reader {
  int use_readline;
  int show_prompt;
  const char *history; /* history file, or NULL; kept alive on the Lua stack */
};

/* readline's callback interface (used so Ctrl-C can cancel a line) passes no user
 * pointer: the line it completed comes back through these. */
static char *rl_line;
static int rl_line_done;

static void on_readline_line(char *line)
{
  rl_line = line;
  rl_line_done = 1;
  rl_callback_handler_remove();
}

/* 1: a line in *out (malloc'd), 0: end of input, -1: cancelled by Ctrl-C. */
static int read_line_readline(const char *prompt, char **out)
{
  int result = 1;
  int fd = fileno(rl_instream ? rl_instream : stdin);
  rl_line = NULL;
  rl_line_done = 0;
  prompt_interrupted = 0;
  /* SIGINT stays blocked except inside pselect, so a Ctrl-C that comes while a key
   * is being handled is seen by the next wait instead of waiting for another key. */
  sigset_t block, waitmask;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &waitmask);
  sigdelset(&waitmask, SIGINT);
  set_handler(SIGINT, on_prompt_signal);
  rl_callback_handler_install(prompt, on_readline_line);
  while (!rl_line_done) {
    fd_set in;
    FD_ZERO(&in);
    FD_SET(fd, &in);
    int ready = pselect(fd + 1, &in, NULL, NULL, NULL, &waitmask);
    if (prompt_interrupted) {
      rl_free_line_state();
      rl_callback_sigcleanup();
      rl_echo_signal_char(SIGINT);
      rl_callback_handler_remove();
      fputc('\n', stdout);
      result = -1;
      break;
    }
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      rl_callback_handler_remove();
      result = 0;
      break;
    }
    rl_callback_read_char();
  }
  /* The prompt's handler stays until the chunk runs: a Ctrl-C that comes before is
   * ignored rather than ending the REPL (repl() restores the default at its end). */
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  if (result == 1) {
    if (rl_line == NULL)
      return 0;
    *out = rl_line;
  }
  return result;
}

static int read_line_plain(const char *prompt, int show_prompt, char **out)
{
  if (show_prompt) {
    fputs(prompt, stdout);
    fflush(stdout);
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) {
    free(line);
    return 0;
  }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  *out = line;
  return 1;
}

/* Reads a line and pushes it; returns as read_line_* does (nothing pushed unless 1). */
static int push_line(lua_State *L, const struct reader *r, const char *prompt)
{
  char *line = NULL;
  fflush(stdout);
  int got = r->use_readline ? read_line_readline(prompt, &line)
                            : read_line_plain(prompt, r->show_prompt, &line);
  if (got == 1) {
    /* lua_pushstring raises only on memory exhaustion; the line would leak then. */
    lua_pushstring(L, line);
    free(line);
  }
  return got;
}

static void save_history(const struct reader *r, const char *chunk)
{
  if (!r->use_readline || chunk[0] == '\0')
    return;
  HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (last != NULL && strcmp(last->line, chunk) == 0)
    return;
  add_history(chunk);
  /* Appending after every chunk keeps the history of a session that crashes. */
  if (r->history != NULL && append_history(1, r->history) != 0)
    write_history(r->history);
}

/* A syntax error at the end of the input: the chunk needs more lines. */
static int incomplete(lua_State *L, int status)
{
  if (status != LUA_ERRSYNTAX)
    return 0;
  size_t len;
  const char *msg = lua_tolstring(L, -1, &len);
  const size_t mark = sizeof "<eof>" - 1;
  return len >= mark && strcmp(msg + len - mark, "<eof>") == 0;
}

enum { CHUNK_EOF = -1, CHUNK_CANCELLED = -2 };

/* Reads and compiles one chunk: a line that compiles as `return <line>` (so an
 * expression prints its value), else as many lines as the statement needs. Leaves the
 * function (LUA_OK) or an error message (its status) on the stack, or nothing. */
static int read_chunk(lua_State *L, const struct reader *r)
{
  int got = push_line(L, r, "> ");
  if (got != 1)
    return got == 0 ? CHUNK_EOF : CHUNK_CANCELLED;
  const char *ret = lua_pushfstring(L, "return %s;", lua_tostring(L, -1));
  int status = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
  if (status == LUA_OK) {
    save_history(r, lua_tostring(L, -3));
    lua_replace(L, -3);
    lua_pop(L, 1);
    return LUA_OK;
  }
  lua_pop(L, 2);
  for (;;) {
    size_t len;
    const char *code = lua_tolstring(L, -1, &len);
    status = luaL_loadbuffer(L, code, len, "=stdin");
    if (!incomplete(L, status))
      break;
    got = push_line(L, r, ">> ");
    if (got == -1) {
      lua_pop(L, 2);
      return CHUNK_CANCELLED;
    }
    if (got == 0)
      break; /* end of input inside a chunk: report the incomplete chunk */
    lua_remove(L, -2); /* the error message */
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
  save_history(r, lua_tostring(L, -2));
  lua_remove(L, -2);
  return status;
}

/* Loads the pretty printer (actlab.show.print), falling back to print. */
static int load_printer(lua_State *L)
{
  lua_getglobal(L, "require");
  lua_pushliteral(L, "actlab.show");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "print");
  return 1;
}

static void print_results(lua_State *L, int base)
{
  int n = lua_gettop(L) - base;
  if (n <= 0)
    return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  lua_getfield(L, LUA_REGISTRYINDEX, "actlab.printer");
  lua_insert(L, base + 1);
  if (lua_pcall(L, n, 0, 0) != LUA_OK) {
    fprintf(stderr, "%s: error printing the result (%s)\n", progname, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  fflush(stdout);
}

static void print_version(void)
{
  const char *blas = openblas_get_config();
  printf("actlab %s (commit %s), %s, %s%s\n", ACTLAB_VERSION, ACTLAB_GIT_COMMIT, LUA_RELEASE,
         strncmp(blas, "OpenBLAS", 8) == 0 ? "" : "OpenBLAS ", blas);
  fflush(stdout);
}

/* Pushes the history file name ($ACTLAB_HISTORY, else ~/.actlab_history) or nil. */
static void push_history_path(lua_State *L)
{
  const char *path = getenv("ACTLAB_HISTORY");
  const char *home = getenv("HOME");
  if (path != NULL && path[0] != '\0')
    lua_pushstring(L, path);
  else if (path != NULL)
    lua_pushnil(L);
  else if (home != NULL && home[0] != '\0')
    lua_pushfstring(L, "%s/.actlab_history", home);
  else
    lua_pushnil(L);
}

/* banner: print the version line first (on a terminal). */
static void repl(lua_State *L, int banner)
{
  struct reader r = {0};
  r.show_prompt = isatty(STDIN_FILENO);
  r.use_readline = r.show_prompt && isatty(STDOUT_FILENO);
  if (r.show_prompt && banner)
    print_version();
  lua_pushcfunction(L, load_printer);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "%s: printing with print: %s\n", progname, lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getglobal(L, "print");
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "actlab.printer");
  push_history_path(L); /* stays on the stack: r.history points into it */
  if (r.use_readline) {
    rl_readline_name = "actlab";
    rl_catch_signals = 0; /* Ctrl-C is ours: it cancels the line */
    using_history();
    stifle_history(HISTORY_MAX);
    /* Timestamp lines in the file mark where each entry starts, so a multi-line
     * chunk comes back as one entry in the next session. */
    history_comment_char = '#';
    history_write_timestamps = 1;
    history_multiline_entries = 1;
    r.history = lua_tostring(L, -1);
    if (r.history != NULL)
      read_history(r.history);
  }
  int base = lua_gettop(L);
  for (;;) {
    int status = read_chunk(L, &r);
    if (status == CHUNK_EOF)
      break;
    if (status == CHUNK_CANCELLED)
      continue;
    if (status == LUA_OK)
      status = docall(L, 0, LUA_MULTRET, 0);
    if (status == LUA_OK)
      print_results(L, base);
    else
      report(L, status);
    lua_settop(L, base);
  }
  set_handler(SIGINT, SIG_DFL);
  if (r.use_readline && r.history != NULL)
    history_truncate_file(r.history, HISTORY_MAX);
  if (r.show_prompt)
    fputc('\n', stdout);
  fflush(stdout);
  lua_pop(L, 1);
}

/* ---- Arguments ----------------------------------------------------------------- */

struct options {
  int script;      /* argv index of the script or command; 0 when there is none */
  int interactive; /* -i */
  int version;     /* -v, --version */
  int help;        /* -h, --help */
  int run_code;    /* some -e */
  int threads;     /* --threads N; 0 leaves OpenBLAS's choice */
};

static void print_usage(FILE *f)
{
  fprintf(f,
    "usage: %s [options] [script [args...]]\n"
    "       %s merge|status|slurm|plot [args...]\n"
    "Options:\n"
    "  -e CODE        run the Lua chunk CODE\n"
    "  -i             enter the REPL after running the script\n"
    "  --threads N    use N OpenBLAS threads (1 gives bit-reproducible runs)\n"
    "  -v, --version  print the versions of actlab, Lua and OpenBLAS\n"
    "  -h, --help     print this help\n"
    "  --             stop handling options\n"
    "  -              run the standard input\n"
    "With no script: the REPL when the input is a terminal, else run the input.\n"
    "The module is the global 'actlab'; scripts see their arguments in 'arg' and '...'.\n"
    "Environment: ACTLAB_LUA_PATH (Lua modules searched first), ACTLAB_LUA_DIR\n"
    "(actlab's Lua library instead of the built-in one), ACTLAB_HISTORY (the REPL\n"
    "history file; empty for none; default ~/.actlab_history).\n",
    progname, progname);
}

static int parse_threads(const char *text, int *threads)
{
  char *end = NULL;
  errno = 0;
  long v = text != NULL ? strtol(text, &end, 10) : 0;
  if (text == NULL || text[0] == '\0' || *end != '\0' || errno != 0 || v < 1 || v > INT_MAX) {
    fprintf(stderr, "%s: --threads expects a positive integer, got '%s'\n", progname,
            text != NULL ? text : "");
    return 0;
  }
  *threads = (int)v;
  return 1;
}

/* Fills o and appends every -e chunk, in order, to the table on top of the stack.
 * Returns -1 to go on, or an exit status after printing why not. */
static int parse_args(lua_State *L, int argc, char **argv, struct options *o)
{
  int ncode = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      o->script = i;
      return -1;
    }
    if (strcmp(a, "--") == 0) {
      o->script = i + 1 < argc ? i + 1 : 0;
      return -1;
    }
    if (strncmp(a, "-e", 2) == 0) {
      const char *code = a[2] != '\0' ? a + 2 : argv[++i];
      if (code == NULL) {
        fprintf(stderr, "%s: '-e' needs an argument\n", progname);
        print_usage(stderr);
        return 1;
      }
      o->run_code = 1;
      lua_pushstring(L, code);
      lua_rawseti(L, -2, ++ncode);
    } else if (strcmp(a, "-i") == 0) {
      o->interactive = 1;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
      o->version = 1;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      o->help = 1;
    } else if (strcmp(a, "--threads") == 0) {
      if (!parse_threads(argv[++i], &o->threads))
        return 1;
    } else if (strncmp(a, "--threads=", 10) == 0) {
      if (!parse_threads(a + 10, &o->threads))
        return 1;
    } else {
      fprintf(stderr, "%s: unrecognized option '%s'\n", progname, a);
      print_usage(stderr);
      return 1;
    }
  }
  return -1;
}

/* arg[0] is the script, arg[1..] its arguments, and the program and options before it
 * get negative indices; with no script, arg[0] is the program. */
static void create_arg_table(lua_State *L, int argc, char **argv, int script)
{
  lua_createtable(L, argc - script, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/* Everything after the state exists, under lua_pcall; pushes the exit status. */
static int pmain(lua_State *L)
{
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  struct options o = {0};
  lua_newtable(L); /* the -e chunks */
  int codes = lua_gettop(L);
  int code = parse_args(L, argc, argv, &o);
  if (code >= 0)
    goto done;
  code = 0;
  if (o.help) {
    print_usage(stdout);
    goto done;
  }
  if (o.threads > 0)
    openblas_set_num_threads(o.threads);
  luaL_checkversion(L);
  luaL_openlibs(L);
  luaL_requiref(L, "actlab", luaopen_actlab, 1);
  lua_pop(L, 1);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  create_arg_table(L, argc, argv, o.script);
  if (o.version) {
    print_version();
    if (o.script == 0 && !o.run_code && !o.interactive)
      goto done;
  }
  if (o.script > 0 && is_command(argv[o.script])) {
    code = run_command(L, argc, argv, o.script);
    goto done;
  }
  int ncode = (int)lua_rawlen(L, codes);
  for (int i = 1; i <= ncode; i++) {
    lua_rawgeti(L, codes, i);
    const char *chunk = lua_tostring(L, -1);
    code = run_string(L, chunk);
    lua_pop(L, 1);
    if (code != 0)
      goto done;
  }
  if (o.script > 0) {
    int from_stdin = strcmp(argv[o.script], "-") == 0 && strcmp(argv[o.script - 1], "--") != 0;
    code = run_script(L, from_stdin ? NULL : argv[o.script]);
    if (code != 0)
      goto done;
  }
  if (o.interactive) {
    repl(L, !o.version);
  } else if (o.script == 0 && !o.run_code && !o.version) {
    if (isatty(STDIN_FILENO)) {
      repl(L, 1);
    } else {
      code = run_script(L, NULL);
    }
  }
done:
  lua_pushinteger(L, code);
  return 1;
}

int main(int argc, char **argv)
{
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "%s: cannot create the Lua state: not enough memory\n", progname);
    return EXIT_FAILURE;
  }
  lua_gc(L, LUA_GCSTOP); /* no collection while the state is set up */
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int code = status == LUA_OK ? (int)lua_tointeger(L, -1) : 1;
  if (status != LUA_OK)
    report(L, status);
  lua_close(L);
  /* Output that never reached its destination (a full disk) is a failure. */
  errno = 0;
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "%s: cannot write the standard output: %s\n", progname,
            errno ? strerror(errno) : "write error");
    code = 1;
  }
  return code;
}
