/* tape.h: a compiled graph.  compile_* turns the definitions a target needs
 * into one flat array of slots in topological order (inputs before their
 * users); eval runs it forward, backprop runs it backward, numdiff perturbs
 * one slot and re-runs the slots after it.
 *
 * One slot per distinct node: a name used twice is one slot, so its
 * gradient collects both uses.  Leaves read the session's current values at
 * each forward pass, so a tape stays valid when parameters change; it is
 * stale only when a definition it read changed (tape_stale). */
#ifndef BP_TAPE_H
#define BP_TAPE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "session.h"
#include "diag.h"
#include "tensor.h"

/* OP_INDEX: which entries of the input a slot takes.  Per axis of the
 * input: a range [start, start + len), kept as an axis or (an integer
 * index) dropped. */
typedef struct IndexSpec {
    long start[2], len[2];
    int keep[2];
} IndexSpec;

/* A value the compiler read to decide a shape or an index (zeros(n),
 * v[i]): the tape is stale when it changes. */
typedef struct ValDep { Entry *e; double v; } ValDep;

/* One instruction of a tape's program (tape.h Tape.prog), 12 bytes.  y,
 * x: the value offsets of the slot and of its first non-literal input; u:
 * the folded literal's index in t->pool (PC_*I) or the second input's
 * offset (PC_ADD, SUB, MUL).  PC_FALL: the slot runs through its general
 * path (leaves, tensors, anything else); y, x, u are unused. */
typedef struct TapeIns { uint32_t y, x, u; } TapeIns;

/* Instruction codes: x + imm (either order: the sum is commutative,
 * bit for bit), x - imm, imm - x, x * imm; the same three ops on two
 * slots, and -x. */
enum { PC_FALL, PC_ADD, PC_SUB, PC_MUL, PC_NEG, PC_ADDI, PC_SUBI, PC_ISUB, PC_MULI,
       PC_SKIP = 15 };
/* bcode's high bits: the gradient of input x (b) is needed (PC_NA, NB), or
 * is written, not added to, by this its only user (PC_ASA, ASB): it is not
 * zeroed first. */
enum { PC_NA = 16, PC_NB = 32, PC_ASA = 64, PC_ASB = 128 };

struct Tape {
    int n, cap;
    unsigned char *op;       /* OpCode */
    int *a, *b;              /* input slots (-1: none); OP_LEAF: a = index in leaves;
                                OP_INDEX: b = index spec; OP_STACK: a = first of b inputs in args[] */
    unsigned *sid;           /* each slot's shape, an index into shapes[]; 0 is
                                the scalar, so `sid[i] == 0` is the fast test */
    Shape *shapes;           /* the distinct shapes of this tape */
    int nshapes, shapescap;
    Shape newshape;          /* a shape rule's answer (ops.h OpKernelShape) */
    long *off;               /* each slot's first entry in val and grad */
    double *val, *grad;      /* the entries of every slot, in slot order; grad
                                is allocated by the first backward pass */
    long nval, valcap;
    int *args;               /* OP_STACK inputs */
    int nargs, argscap;
    IndexSpec *index;
    int nindex, indexcap;
    ValDep *valdeps;
    int nvaldeps, valdepscap;
    char errbuf[200];        /* a kernel's message, when it needs numbers in it */
    double *im;              /* complex step: imaginary parts (nval), or NULL */
    int graded;              /* `grad` ran on this tape: graph and dot show gradients */
    unsigned char *need;     /* needs-grad marks (compile_need): need[i] = 1 when a
                                gradient sent to slot i can reach a parameter */
    int pruned;              /* backprop_params is running: kernels may skip the
                                gradient of an input whose need[] is 0 */
    unsigned char *assign;   /* backprop_params: bit 1 (2) of assign[i]: slot i is the
                                only user of its input a (b) and its rule, with
                                t->pruned, writes that gradient instead of adding
                                to it, so it is not zeroed first; built for
                                nassign_of slots.  Bit 4 (8): slot i's gradient is
                                so written by its tensor (scalar instruction) user
                                (backprop.c build_assign).  Bit 32: slot i is in
                                a fused tree under a sum or mean (fuse.c
                                fuse_plan), never zeroed; bit 16: in this pruned
                                pass its rule was done by that sum's (fuse_bwd);
                                its rule clears the bit and does nothing */
    int nassign_of;
    /* The hot passes' program (eval_program): one instruction per slot
     * but the constants (OP_NUM, whose values never change), in slot
     * order; a scalar literal input is folded into its user as an
     * immediate.  Built for nrun_of slots (compile_need sets -1). */
    TapeIns *prog;
    unsigned char *pcode;    /* each instruction's PC_* code for the forward pass */
    unsigned char *bcode;    /* ... for the pruned backward pass (backprop.c):
                                PC_SKIP, or the code with PC_NA/NB/ASA/ASB */
    int *pslot;              /* each instruction's slot (increasing) */
    uint32_t *plit;          /* PC_*I: the folded literal's value offset (the full
                                backward pass gives the literal its gradient) */
    int nprog, nrun_of;
    double *pool;            /* the distinct folded literals (by their bits) */
    int npool;
    long *zruns;             /* backprop_params: (offset, length) pairs of the
                                gradients it zeroes first; nzruns pairs */
    int nzruns;
    double **alias;          /* alias mode (tape_alias_begin), else NULL: alias[i] is
                                the storage that tensor leaf i's last forward pass
                                read in place (its entry's own data), or NULL (a
                                scalar leaf, any other slot: its value in val) */
    int nalias;              /* slots alias[] covers (t->n when the mode began) */
    const Ast **src;         /* the node a slot computes (NULL for leaves) */
    struct CallLabel { int slot; const Ast *call; } *calls;   /* slots that are a user
                                function call's value, increasing (tape_label_src) */
    int ncalls, callcap;
    /* Which definition's text holds each slot's node, as runs: slots from
     * run_start[k] on belong to run_owner[k] (NULL: the command itself).
     * Read only to say "while evaluating f". */
    int *run_start;
    Entry **run_owner;
    int nruns, runscap;
    int root;                /* the target's slot */
    Entry **named;           /* every name with a slot here (leaves, formulas) */
    int *named_slot;
    int nnamed;
    Entry **slot_name;       /* built on demand by tape_name: slot -> name */
    int *leaves;             /* leaf slots in order of first appearance */
    Entry **leafent;         /* ... and the names they read */
    int nleaves;
    Entry **deps;            /* the names looked up that have no slot here (functions,
                                pi and e, a dimension's names); those with one,
                                leaves too, are in named */
    unsigned long clock;     /* the session's clock when compiled: stamps come from
                                it, so a name in deps or named with a later stamp
                                was defined again since (tape_stale) */
    int ndeps;
};

static inline Shape tape_shape(const Tape *t, int slot) { return t->shapes[t->sid[slot]]; }
/* A slot's values: in val, or in alias mode a tensor leaf's own storage. */
static inline double *tape_val(const Tape *t, int slot)
{
    if (t->alias && slot < t->nalias && t->alias[slot]) return t->alias[slot];
    return t->val + t->off[slot];
}
static inline double *tape_grad(const Tape *t, int slot) { return t->grad + t->off[slot]; }
static inline long tape_size(const Tape *t, int slot) { return shape_size(tape_shape(t, slot)); }

/* Alias mode: the forward pass reads each tensor leaf in place, from its
 * entry's storage, instead of copying it into val (the copy was a tenth
 * of a pass of sum(tanh(w*x))).  The hot loops turn it on for the time of
 * one command: train and step around their passes, the benchmarks.  Safe
 * because it is scoped: in the mode only forward and backward passes read
 * the tape, and they run while every leaf's storage is alive and holds
 * the values the pass used (the updates come after the backward pass; the
 * next forward pass takes each entry's storage afresh, so a minibatch's
 * swapped values are followed); tape_alias_end, before the command
 * returns, copies what the leaves last read into val and drops every
 * pointer, so no pointer into a parameter outlives the command (a
 * parameter reassigned later frees its storage).  Whatever writes into a
 * leaf's values (finite differences, the complex step, dual numbers) ends
 * the mode first, so it perturbs val, never a user's parameter.
 * Begin: no-op when already on; on no memory the mode stays off (the
 * copying pass is always right). */
static inline void tape_alias_begin(Tape *t)
{
    if (t->alias || t->n == 0) return;
    t->alias = calloc((size_t)t->n, sizeof *t->alias);
    t->nalias = t->alias ? t->n : 0;
}

/* End alias mode (no-op when off): val gets the leaves' values as their
 * last forward pass read them, from their storage (alive: see above). */
static inline void tape_alias_end(Tape *t)
{
    if (!t->alias) return;
    for (int i = 0; i < t->nalias; i++)
        if (t->alias[i])
            memcpy(t->val + t->off[i], t->alias[i], (size_t)tape_size(t, i) * sizeof *t->val);
    free(t->alias);
    t->alias = NULL;
    t->nalias = 0;
}

/* ---- tape.c: the tape's life and the questions asked of it ---- */

/* A new tape with no slots (shape id 0, the scalar, already interned). */
Tape *tape_new(void);
/* Make room for slot t->n in every per-slot array (op, a, b, sid, off,
 * src); does not add it. */
void tape_reserve_slot(Tape *t);
/* Make room for `size` more value entries after t->nval. */
int tape_reserve_values(Tape *t, long size);

/* The name of slot i (a parameter or const it reads, or a formula whose
 * value it is), or NULL. */
Entry *tape_name(const Tape *t, int slot);
/* The definition whose text holds slot i's node, or NULL. */
Entry *tape_owner(const Tape *t, int slot);
/* The text that names slot i to a reader (trace, graph, dot): the user
 * function call whose value it is, sq(2*x), rather than the body's t^2;
 * else the node it computes (t->src[i]), or NULL. */
const Ast *tape_label_src(const Tape *t, int slot);
/* Slot is the value of the user function call `call` (the compiler says
 * so as each call ends; slots arrive in increasing order, an outer call
 * ending on the same slot replaces an inner one). */
void tape_call_label(Tape *t, int slot, const Ast *call);
/* Is t stale (some definition it read changed)? */
int tape_stale(const Tape *t);
/* Free t; NULL is fine. */
void tape_free(Tape *t);
/* The slot computing entry e in t (a leaf or a formula's root), or -1. */
int tape_slot_of(const Tape *t, const Entry *e);
/* Make room for the gradients (once), zeroed. */
void tape_zero_grad(Tape *t);
/* Fill d with the error of slot `slot` (message msg), pointing at the
 * node, with `note: while evaluating f (line N)` when it lies in an
 * earlier definition. */
void tape_diag(const Tape *t, int slot, const char *msg, Diag *d);

/* ---- compile.c ---- */

/* How to compile: given to each compile, never kept on the session. */
typedef struct CompileOpts {
    int use_values;          /* only the value is wanted: a formula whose cached
                                value is current becomes a constant slot */
} CompileOpts;

/* Compile expression e (names resolved in s; owner: the definition e
 * belongs to, or NULL; opt: NULL for the whole graph).  grad(f, w)
 * inside e is compiled into the same tape: f's slots, then df/dw as
 * ordinary slots after them (derive.c), so a gradient is a formula like
 * any other and can be differentiated again.
 * Returns NULL and fills d on an undefined name, a cycle, a wrong call.
 * Iterative: graph depth never touches the C stack. */
Tape *compile_expr(Session *s, const Ast *e, Entry *owner, const CompileOpts *opt, Diag *d);

/* The tape of formula (or parameter) entry e, from its cache when still
 * valid.  The session owns it: do not free. */
Tape *compile_entry(Session *s, Entry *e, Diag *d);

/* Needs-grad pruning (PyTorch's requires_grad): fill t->need, need[i] = 1
 * when slot i is a parameter's leaf or has an input so marked.  A slot
 * with need 0 (a const, a literal, anything computed from them alone)
 * sends its gradient nowhere that matters to a parameter.  compile_expr
 * runs it on every tape it returns. */
void compile_need(Tape *t);

/* ---- eval.c ---- */

/* Run forward over slots [from, n).  Returns E_OK (*bad = -1), or
 * E_DOMAIN with *bad the slot that failed and *msg naming the error. */
int eval_forward(Tape *t, int from, int *bad, const char **msg);

/* Make t->prog current (built again when the tape has grown or
 * compile_need ran).  Returns 1 when it was built now, else 0. */
int eval_program(Tape *t);

/* ---- backprop.c ---- */

/* Backward pass: zero every gradient, seed ∂f/∂f = 1 at the root (which
 * must be a scalar), and run the rules in reverse order.  Needs a forward
 * pass first. */
void backprop(Tape *t);

/* The same pass pruned for a caller that reads only the gradients of
 * slots with need[i] = 1 (parameters, formulas over them): slots with
 * need 0 are skipped and their gradients neither zeroed nor meaningful
 * afterwards, and so are those of unnamed tensor slots whose rules a
 * fused loop did (element-wise chains under a sum or mean: fuse.c
 * fuse_bwd); the matrix
 * product skips dX for such an input.  The
 * parameters' gradients are those backprop computes.  A tape without
 * marks gets the full pass. */
void backprop_params(Tape *t);

/* One step of that pass: slot i's rule adds its gradient's share into
 * its inputs' gradients (nothing when its gradient is zero or it has no
 * inputs).  trace runs the pass with it, one slot at a time. */
void backprop_slot(Tape *t, int i);

/* The backward pass seeded with a vector: ∂f/∂root = seed (as many
 * entries as the root has; the root may be a tensor), so the gradients
 * are seedᵀ·J, one row of the Jacobian for a one-hot seed. */
void backprop_seed(Tape *t, const double *seed);

#endif
