/* web_hooks.h: force-included (emcc -include) into every C file of the
 * browser build, never into the native one.  Two build-time adaptations,
 * each standing in for a small change that belongs in src/ (see
 * web/README.md, "Hooks src/ could offer"):
 *
 * 1. Interruption.  The long loops poll the flag bp_interrupted, which the
 *    page cannot set while C code runs: JavaScript gets no turn until the
 *    wasm call returns.  Here every mention of bp_interrupted becomes
 *    (*web_poll()): web_poll (web/bp_web.c) yields to the browser now and
 *    then (Asyncify: emscripten_sleep) so a Ctrl-C keypress can set the
 *    flag, and returns the flag's address, so reads and the REPL's
 *    `bp_interrupted = 0` keep their meaning.  commands.c's definition of
 *    the variable turns into a harmless declaration of web_poll.
 *
 * 2. 32-bit long.  wasm32 has a 32-bit long, so tensor.h's (1L << 40)
 *    shifts past the width of the type (undefined behaviour).  Including
 *    tensor.h first (its guard keeps the later #include a no-op) and
 *    redefining the limit in long long keeps the native meaning. */
#ifndef BP_WEB_HOOKS_H
#define BP_WEB_HOOKS_H

#include <signal.h>

volatile sig_atomic_t *web_poll(void);
#define bp_interrupted (*web_poll())

#include "tensor.h"
#undef TENSOR_MAX_ENTRIES
#define TENSOR_MAX_ENTRIES (1LL << 40)

#endif
