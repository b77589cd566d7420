/* check_graph.c: definitions, the name graph and cycles (src/session.c,
 * src/commands.c, src/compile.c).
 *
 * SPEC section 2: parameter or formula, live formulas, aliases, cycles
 * refused with nothing changed, redefinition after use, delete refused
 * while used, user functions without recursion, simultaneous updates,
 * const.  ARCHITECTURE invariants 2 (a failed statement leaves `save`
 * output byte-identical) and 3 (a parameter change recompiles nothing). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "tape.h"

/* The bytes `save` writes for the session now (malloc'd). */
static char *saved(Tu *t)
{
    static int counter;
    char path[128];
    snprintf(path, sizeof path, "/tmp/bp-check-graph-%ld-%d.bp", (long)getpid(), counter++);
    tu_okf(t, "save \"%s\"", path);
    char *text = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    unlink(path);
    return text;
}

/* Run a statement that must fail with kind `kind` and leave the session's
 * saved form byte for byte as it was. */
static void refused(Tu *t, const char *stmt, int kind)
{
    char *before = saved(t);
    int rc = tu_run(t, stmt);
    ck_assert_msg(rc == kind, "`%s` returned %d, expected %d; stderr: %s", stmt, rc, kind,
                  tu_err(t));
    char *after = saved(t);
    ck_assert_msg(strcmp(before, after) == 0,
                  "`%s` changed the session:\n--- before\n%s--- after\n%s", stmt, before, after);
    free(before);
    free(after);
}

static EntKind kind_of(Tu *t, const char *name)
{
    Entry *e = session_find(t->s, name);
    return e ? e->kind : ENT_UNDEF;
}

/* ---- parameter or formula -------------------------------------------- */

START_TEST(test_parameter_or_formula)
{
    Tu *t = tu_new();
    tu_ok(t, "x = 2*pi");
    ck_assert_int_eq(kind_of(t, "x"), ENT_PARAM);
    ck_assert(tu_entry(t, "x")->val.data[0] == 2 * M_PI);

    tu_ok(t, "c = sqrt(2) + exp(1) - log(3)");
    ck_assert_int_eq(kind_of(t, "c"), ENT_PARAM);
    ck_assert(tu_entry(t, "c")->val.data[0] == sqrt(2) + exp(1) - log(3));

    tu_ok(t, "f = x + 1");
    ck_assert_int_eq(kind_of(t, "f"), ENT_FORMULA);
    ck_assert(tu_num(t, "f") == 2 * M_PI + 1);

    tu_ok(t, "W = randn(2, 3)");
    ck_assert_int_eq(kind_of(t, "W"), ENT_PARAM);
    ck_assert_int_eq(tu_entry(t, "W")->val.shape.rank, 2);
    /* drawn once: reading it twice gives the same numbers */
    double w0 = tu_num(t, "W[0, 0]");
    ck_assert(tu_num(t, "W[0, 0]") == w0);

    tu_ok(t, "z = zeros(3)");
    ck_assert_int_eq(kind_of(t, "z"), ENT_PARAM);

    tu_ok(t, "v = [1, 2, 3]");
    ck_assert_int_eq(kind_of(t, "v"), ENT_PARAM);

    /* pi and e alone do not make a formula */
    tu_ok(t, "p = pi * e");
    ck_assert_int_eq(kind_of(t, "p"), ENT_PARAM);

    /* f = v with v a parameter: an alias, live */
    tu_ok(t, "a = 3; al = a");
    ck_assert_int_eq(kind_of(t, "al"), ENT_FORMULA);
    ck_assert(tu_num(t, "al") == 3);
    tu_set(t, "a", 4);
    ck_assert(tu_num(t, "al") == 4);
    ck_assert(tu_grad(t, "al", "a") == 1);

    /* randn with a name in it is still drawn once */
    tu_ok(t, "n = 2; R = randn(n)");
    ck_assert_int_eq(kind_of(t, "R"), ENT_PARAM);
    tu_free(t);
}
END_TEST

/* A formula is live: it follows the parameters it uses. */
START_TEST(test_live_formulas)
{
    Tu *t = tu_new();
    tu_ok(t, "x = 1; y = 10; f = x + 1; g = f * y");
    ck_assert(tu_num(t, "g") == 20);
    tu_set(t, "x", 5);
    ck_assert(tu_num(t, "f") == 6);
    ck_assert(tu_num(t, "g") == 60);
    tu_ok(t, "y = 0.5");              /* redefined as a parameter */
    ck_assert(tu_num(t, "g") == 3);
    tu_ok(t, "x += 1");
    ck_assert(tu_num(t, "g") == 3.5);

    /* a const is evaluated now and does not follow */
    tu_ok(t, "const k = x * 2");
    ck_assert_int_eq(kind_of(t, "k"), ENT_CONST);
    ck_assert(tu_num(t, "k") == 12);
    tu_set(t, "x", 100);
    ck_assert(tu_num(t, "k") == 12);
    tu_free(t);
}
END_TEST

START_TEST(test_redefinition_after_use)
{
    Tu *t = tu_new();
    tu_ok(t, "x = 2; f = x + 1; g = f * 2");
    ck_assert(tu_num(t, "g") == 6);
    ck_assert(tu_grad(t, "g", "x") == 2);
    tu_ok(t, "f = x * x * 10");        /* g sees the new f */
    ck_assert(tu_num(t, "g") == 80);
    ck_assert(tu_grad(t, "g", "x") == 80);
    tu_ok(t, "f = 7");                 /* now a parameter */
    ck_assert_int_eq(kind_of(t, "f"), ENT_PARAM);
    ck_assert(tu_num(t, "g") == 14);
    ck_assert(tu_grad(t, "g", "x") == 0);
    ck_assert(tu_grad(t, "g", "f") == 2);
    tu_ok(t, "f = x - 1");             /* and a formula again */
    ck_assert(tu_num(t, "g") == 2);

    /* the same through the grad table, whose tape is cached */
    tu_clear(t);
    tu_ok(t, "grad g");
    ck_assert_msg(strstr(tu_out(t), "g = f * 2 = 2") != NULL, "%s", tu_out(t));
    tu_ok(t, "f = x^3");
    tu_clear(t);
    tu_ok(t, "grad g wrt x");
    ck_assert_msg(strstr(tu_out(t), "g = f * 2 = 16") != NULL, "%s", tu_out(t));
    ck_assert_msg(strstr(tu_out(t), "2.400000e+01") != NULL, "%s", tu_out(t));
    tu_free(t);
}
END_TEST

/* ARCHITECTURE invariant 3: a parameter change recompiles nothing. */
START_TEST(test_tape_cache)
{
    Tu *t = tu_new();
    tu_ok(t, "x = 1; y = 2; h = y * 3; f = x * x + h; other = y + 1");
    Diag d = { 0 };
    Entry *f = tu_entry(t, "f");
    Tape *t1 = compile_entry(t->s, f, &d);
    ck_assert_ptr_nonnull(t1);
    tu_set(t, "x", 3);
    ck_assert(!tape_stale(t1));
    ck_assert_ptr_eq(compile_entry(t->s, f, &d), t1);
    ck_assert(tu_num(t, "f") == 15);
    ck_assert_ptr_eq(f->tape, t1);
    tu_ok(t, "other = y + 2");           /* not read by f */
    ck_assert(!tape_stale(t1));
    tu_ok(t, "h = y * 4");               /* read by f */
    ck_assert(tape_stale(t1));
    ck_assert(tu_num(t, "f") == 17);
    tu_free(t);
}
END_TEST

/* One slot per name (tape.h), with a compile inside the compile: zeros(n)
 * compiles n apart to read its value (compile.c const_eval) after the
 * outer compile has given n its slot, and must not make it forget that
 * slot (the outermost compile keeps its memo in the entries).  Every name
 * is once in named and, having a slot, not in deps; the value and the
 * gradient are the ones worked by hand: f = n w + sum over 3 entries of
 * w n n = 6 + 54 = 60, df/dw = n + 3 n^2 = 30. */
START_TEST(test_compile_one_slot_per_name)
{
    Tu *t = tu_new();
    tu_ok(t, "n = 3; w = 2; h = w * n; f = n * w + sum(zeros(n) + h * n)");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    const char *names[] = { "n", "w", "h", "f" };
    for (int k = 0; k < 4; k++) {
        Entry *e = tu_entry(t, names[k]);
        int slots = 0, named = 0, deps = 0;
        for (int i = 0; i < tp->n; i++) slots += tape_name(tp, i) == e;
        for (int i = 0; i < tp->nnamed; i++) named += tp->named[i] == e;
        for (int i = 0; i < tp->ndeps; i++) deps += tp->deps[i] == e;
        ck_assert_msg(slots == 1 && named == 1 && deps <= 1,
                      "%s: %d slots, %d times in named, %d in deps", names[k], slots, named, deps);
    }
    ck_assert_int_eq(tp->nleaves, 2);    /* n and w */
    ck_assert(tu_num(t, "f") == 60);
    ck_assert(tu_num(t, "grad(f, w)") == 30);
    tu_free(t);
}
END_TEST

/* A tape is stale once any name it read is defined again, even to the
 * same body (the stamp changes): a parameter made a formula, a formula,
 * a function, a formula read only for a dimension (k in zeros(k): no slot
 * here, and its value is unchanged), and pi once a user defines it; not
 * when an unrelated name is, nor when a parameter's value changes
 * (ARCHITECTURE invariant 3). */
START_TEST(test_tape_stale_on_redefinition)
{
    static const char *again[] = { "w = m + 1", "h = w * 3", "sq(x) = x * x", "k = m * 1", "pi = 3" };
    for (size_t j = 0; j < sizeof again / sizeof again[0]; j++) {
        Tu *t = tu_new();
        tu_ok(t, "w = 2; m = 2; k = m * 1; h = w * 3; sq(x) = x * x; other = 1");
        tu_ok(t, "f = sq(h) + sum(zeros(k)) + pi");
        Diag d = { 0 };
        Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
        ck_assert_ptr_nonnull(tp);
        ck_assert(!tape_stale(tp));
        tu_ok(t, "other = 2; w = 5");
        ck_assert_msg(!tape_stale(tp), "stale after an unrelated definition or a new value");
        tu_ok(t, again[j]);
        ck_assert_msg(tape_stale(tp), "`%s`: the tape is not stale", again[j]);
        tu_free(t);
    }
}
END_TEST

/* ---- cycles ------------------------------------------------------------ */

START_TEST(test_cycle_self)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 1; f = w + 1");
    refused(t, "f = f + 1", E_CYCLE);
    ck_assert_msg(strstr(tu_err(t), "f -> f") != NULL, "%s", tu_err(t));
    ck_assert_msg(strstr(tu_err(t), "f :=") != NULL, "no := suggestion: %s", tu_err(t));
    ck_assert_int_eq(kind_of(t, "f"), ENT_FORMULA);
    ck_assert(tu_num(t, "f") == 2);

    /* a new name that refers to itself: still undefined afterwards */
    tu_clear(t);
    refused(t, "q = 2 * q", E_CYCLE);
    ck_assert_int_eq(kind_of(t, "q"), ENT_UNDEF);
    ck_assert_msg(strstr(tu_err(t), "q := ") != NULL, "%s", tu_err(t));
    /* := is the way to do it */
    tu_ok(t, "w := w + 1");
    ck_assert(tu_num(t, "w") == 2);
    tu_free(t);
}
END_TEST

START_TEST(test_cycle_indirect)
{
    Tu *t = tu_new();
    tu_ok(t, "a = b + 1; b = c * 2");
    ck_assert_msg(strstr(tu_err(t), "b is not defined yet") != NULL, "%s", tu_err(t));
    tu_clear(t);
    refused(t, "c = a - 1", E_CYCLE);
    ck_assert_msg(strstr(tu_err(t), "c -> a -> b -> c") != NULL, "%s", tu_err(t));
    ck_assert_int_eq(kind_of(t, "c"), ENT_UNDEF);
    ck_assert_msg(strstr(tu_err(t), "t:1:1: error:") != NULL, "%s", tu_err(t));
    tu_ok(t, "c = 4");
    ck_assert(tu_num(t, "a") == 9);

    /* through a redefinition of a parameter */
    tu_ok(t, "x = 1; f = x + 1; g = f * 3");
    tu_clear(t);
    refused(t, "x = g * 2", E_CYCLE);
    ck_assert_msg(strstr(tu_err(t), "x -> g -> f -> x") != NULL, "%s", tu_err(t));
    ck_assert_int_eq(kind_of(t, "x"), ENT_PARAM);
    ck_assert(tu_num(t, "g") == 6);

    /* through a user function */
    tu_ok(t, "h(s) = s + g");
    refused(t, "f = h(1)", E_CYCLE);
    ck_assert(tu_num(t, "f") == 2);
    tu_free(t);
}
END_TEST

/* ARCHITECTURE invariant 2, over a range of failing statements. */
START_TEST(test_failed_statement_changes_nothing)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.5; b = -1; const data = [1, 2]; f = tanh(w * 3 + b); sq(u) = u*u; "
             "g = sq(f) + sum(data)");
    refused(t, "w = log(-1)", E_DOMAIN);
    refused(t, "w := 1 / 0", E_DOMAIN);
    refused(t, "w, b := 5, sqrt(-1)", E_DOMAIN);
    refused(t, "w, b := 5, nosuchname", E_NAME);
    refused(t, "b += nosuchname", E_NAME);
    refused(t, "f = f * 2", E_CYCLE);
    refused(t, "sq(u) = sq(u) + 1", E_CYCLE);
    refused(t, "w = [1, 2] + [1, 2, 3]", E_SHAPE);
    refused(t, "exp = 3", E_NAME);
    refused(t, "delete w", E_NAME);
    refused(t, "data = f + 1", E_NAME);
    refused(t, "sq := 3", E_NAME);
    refused(t, "w := sq(1, 2)", E_ARITY);
    refused(t, "w = tanh(1, 2)", E_ARITY);
    refused(t, "w, w := 1, 2", E_NAME);
    refused(t, "k(u, u) = u", E_NAME);
    refused(t, "set digits 40", E_USAGE);
    ck_assert(tu_num(t, "w") == 0.5);
    ck_assert(tu_num(t, "b") == -1);
    tu_free(t);
}
END_TEST

/* ---- delete, clear ----------------------------------------------------- */

START_TEST(test_delete)
{
    Tu *t = tu_new();
    tu_ok(t, "x = 1; f = x + 1; g = f * 2; h = x * 3");
    refused(t, "delete x", E_NAME);
    ck_assert_msg(strstr(tu_err(t), "cannot delete x") != NULL, "%s", tu_err(t));
    ck_assert_msg(strstr(tu_err(t), "f") && strstr(tu_err(t), "h"), "users not named: %s",
                  tu_err(t));
    refused(t, "delete f", E_NAME);
    refused(t, "delete nosuch", E_NAME);
    /* deleting users and used together is fine */
    tu_ok(t, "delete g, f");
    ck_assert_int_eq(kind_of(t, "f"), ENT_UNDEF);
    ck_assert_int_eq(kind_of(t, "g"), ENT_UNDEF);
    refused(t, "delete x", E_NAME);
    tu_ok(t, "delete h, x");
    ck_assert_int_eq(kind_of(t, "x"), ENT_UNDEF);
    ck_assert(tu_run(t, "x + 1") == E_NAME);
    /* the name can be defined again, and the const mark is gone */
    tu_ok(t, "const c = 2");
    tu_ok(t, "delete c; c = 3");
    ck_assert_int_eq(kind_of(t, "c"), ENT_PARAM);

    tu_ok(t, "p = 1; q = p + 1; clear");
    ck_assert_int_eq(kind_of(t, "p"), ENT_UNDEF);
    ck_assert_int_eq(kind_of(t, "q"), ENT_UNDEF);
    tu_clear(t);
    tu_ok(t, "vars");
    ck_assert_str_eq(tu_out(t), "(no names defined)\n");
    tu_free(t);
}
END_TEST

/* ---- user functions ---------------------------------------------------- */

START_TEST(test_user_functions)
{
    Tu *t = tu_new();
    tu_ok(t, "sq(u) = u*u; w = 3; f = sq(w) + sq(2)");
    ck_assert_int_eq(kind_of(t, "sq"), ENT_FUNC);
    ck_assert_int_eq(kind_of(t, "f"), ENT_FORMULA);
    ck_assert(tu_num(t, "f") == 13);
    ck_assert(tu_grad(t, "f", "w") == 6);

    /* two parameters, a function calling a function, a global inside */
    tu_ok(t, "lin(a, b) = a * k + b; k = 10; comp(u) = lin(sq(u), u)");
    ck_assert(tu_num(t, "lin(2, 1)") == 21);
    ck_assert(tu_num(t, "comp(w)") == 93);
    tu_set(t, "k", 2);
    ck_assert(tu_num(t, "comp(w)") == 21);
    ck_assert(tu_grad(t, "comp(w)", "w") == 2 * 2 * 3 + 1);   /* d(k u^2 + u) = 2ku + 1 */
    ck_assert(tu_grad(t, "comp(w)", "k") == 9);
    /* a parameter name shadows a session name inside the body */
    tu_ok(t, "u = 100; id(u) = u");
    ck_assert(tu_num(t, "id(5)") == 5);

    /* redefining the function changes the formulas that call it */
    tu_ok(t, "sq(u) = u*u*u");
    ck_assert(tu_num(t, "f") == 35);

    /* arity */
    ck_assert_int_eq(tu_run(t, "sq(1, 2)"), E_ARITY);
    ck_assert_int_eq(tu_run(t, "lin(1)"), E_ARITY);
    ck_assert_int_eq(tu_run(t, "tanh(1, 2)"), E_ARITY);
    ck_assert_int_eq(tu_run(t, "nosuch(1)"), E_NAME);
    /* a function is not a value, a value is not a function */
    ck_assert_int_eq(tu_run(t, "sq + 1"), E_NAME);
    ck_assert_int_eq(tu_run(t, "w(2)"), E_NAME);
    ck_assert_int_eq(tu_run(t, "grad(f, sq)"), E_NAME);
    tu_free(t);
}
END_TEST

START_TEST(test_recursion_refused)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 1");
    refused(t, "r(u) = r(u - 1) + 1", E_CYCLE);
    ck_assert_msg(strstr(tu_err(t), "recursion") != NULL, "%s", tu_err(t));
    ck_assert_int_eq(kind_of(t, "r"), ENT_UNDEF);
    tu_ok(t, "p(u) = q(u) + 1");
    refused(t, "q(u) = p(u) * 2", E_CYCLE);
    ck_assert_int_eq(kind_of(t, "q"), ENT_UNDEF);
    tu_ok(t, "q(u) = u * 2");
    ck_assert(tu_num(t, "p(3)") == 7);
    /* nested calls of the same function are not recursion */
    ck_assert(tu_num(t, "q(q(q(1)))") == 8);
    tu_free(t);
}
END_TEST

/* ---- updates ----------------------------------------------------------- */

START_TEST(test_simultaneous_update)
{
    Tu *t = tu_new();
    tu_ok(t, "a = 1; b = 2; a, b := b, a");
    ck_assert(tu_num(t, "a") == 2);
    ck_assert(tu_num(t, "b") == 1);
    tu_ok(t, "a, b := b, a + b");       /* Fibonacci: old values on the right */
    ck_assert(tu_num(t, "a") == 1);
    ck_assert(tu_num(t, "b") == 3);

    /* one true gradient step: every grad on the right sees the old values */
    tu_ok(t, "w = 1; v = 2; L = w * v; w, v := w - grad(L, w), v - grad(L, v)");
    ck_assert(tu_num(t, "w") == -1);
    ck_assert(tu_num(t, "v") == 1);
    /* ... unlike two statements one after the other */
    tu_ok(t, "w = 1; v = 2; w := w - grad(L, w); v := v - grad(L, v)");
    ck_assert(tu_num(t, "w") == -1);
    ck_assert(tu_num(t, "v") == 3);

    /* a name updated that did not exist yet becomes a parameter */
    tu_ok(t, "n1, n2 := 5, 6");
    ck_assert_int_eq(kind_of(t, "n1"), ENT_PARAM);
    ck_assert(tu_num(t, "n2") == 6);
    tu_free(t);
}
END_TEST

START_TEST(test_compound_update)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 2");
    tu_ok(t, "w += 3");
    ck_assert(tu_num(t, "w") == 5);
    tu_ok(t, "w -= 1");
    ck_assert(tu_num(t, "w") == 4);
    tu_ok(t, "w *= 1 + 1");            /* w := w * (1 + 1) */
    ck_assert(tu_num(t, "w") == 8);
    tu_ok(t, "w /= 2 + 2");
    ck_assert(tu_num(t, "w") == 2);
    tu_ok(t, "w -= 1 - 1");
    ck_assert(tu_num(t, "w") == 2);
    ck_assert_int_eq(tu_run(t, "nope += 1"), E_NAME);
    ck_assert_int_eq(tu_run(t, "w /= 0"), E_DOMAIN);
    ck_assert(tu_num(t, "w") == 2);
    tu_free(t);
}
END_TEST

START_TEST(test_update_formula_and_const)
{
    Tu *t = tu_new();
    tu_ok(t, "x = 1; f = x + 1");
    tu_ok(t, "f := f * 10");
    ck_assert_int_eq(kind_of(t, "f"), ENT_PARAM);
    ck_assert(tu_num(t, "f") == 20);
    ck_assert_msg(strstr(tu_err(t), "f was a formula (x + 1); now a parameter") != NULL, "%s",
                  tu_err(t));
    tu_set(t, "x", 5);
    ck_assert(tu_num(t, "f") == 20);

    /* the const mark stays with the name */
    tu_ok(t, "const c = 3");
    tu_ok(t, "c := 4");
    ck_assert_int_eq(kind_of(t, "c"), ENT_CONST);
    ck_assert(tu_num(t, "c") == 4);
    tu_ok(t, "c = 5");
    ck_assert_int_eq(kind_of(t, "c"), ENT_CONST);
    /* consts are left out of grad tables */
    tu_ok(t, "w = 2; g = c * w");
    tu_clear(t);
    tu_ok(t, "grad g");
    ck_assert_msg(strstr(tu_out(t), "\n  w ") != NULL, "%s", tu_out(t));
    ck_assert_msg(strstr(tu_out(t), "\n  c ") == NULL, "const in the table: %s", tu_out(t));
    /* ... unless named in wrt */
    tu_clear(t);
    tu_ok(t, "grad g wrt c");
    ck_assert_msg(strstr(tu_out(t), "\n  c ") != NULL, "%s", tu_out(t));
    ck_assert(tu_grad(t, "g", "c") == 2);
    tu_free(t);
}
END_TEST

/* ---- other names -------------------------------------------------------- */

START_TEST(test_undefined_then_defined)
{
    Tu *t = tu_new();
    tu_ok(t, "f = bb + 1");
    ck_assert_msg(strstr(tu_err(t), "t:1:5: note: bb is not defined yet") != NULL, "%s",
                  tu_err(t));
    ck_assert_int_eq(kind_of(t, "f"), ENT_FORMULA);
    ck_assert_int_eq(tu_run(t, "f"), E_NAME);
    ck_assert_msg(strstr(tu_err(t), "bb is not defined") != NULL, "%s", tu_err(t));
    tu_ok(t, "bb = 2");
    ck_assert(tu_num(t, "f") == 3);
    /* built-ins are not session names: no note for them */
    tu_clear(t);
    tu_ok(t, "u = [1, 2]; g = bb * ones(2) + zeros(2) + dot(u, u) + sum(outer(u, u))");
    ck_assert_msg(strstr(tu_err(t), "not defined") == NULL, "%s", tu_err(t));
    ck_assert_int_eq(kind_of(t, "g"), ENT_FORMULA);
    tu_free(t);
}
END_TEST

START_TEST(test_pi_e_and_ans)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 2; g = w * pi; p = 2 * pi");
    ck_assert(tu_num(t, "g") == 2 * M_PI);
    tu_ok(t, "pi = 3");
    ck_assert_msg(strstr(tu_err(t), "note:") != NULL, "no note on shadowing pi: %s", tu_err(t));
    ck_assert(tu_num(t, "g") == 6);               /* the formula follows */
    ck_assert(tu_num(t, "p") == 2 * M_PI);        /* the parameter was evaluated once */
    ck_assert(tu_num(t, "e") == M_E);

    ck_assert(tu_num(t, "20 + 1") == 21);
    ck_assert(tu_num(t, "ans * 2") == 42);
    ck_assert_int_eq(kind_of(t, "ans"), ENT_CONST);
    tu_free(t);
}
END_TEST

START_TEST(test_save_load_roundtrip)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.1; const X = [[1, 2], [3.5, -4]]; v = [1e-300, 1/3]; "
             "sq(u) = u * u; f = sq(w) + sum(X @ v); g = f * w");
    double g = tu_num(t, "g");
    char *first = saved(t);

    char path[128];
    snprintf(path, sizeof path, "/tmp/bp-check-graph-rt-%ld.bp", (long)getpid());
    tu_okf(t, "save \"%s\"", path);
    Tu *u = tu_new();
    tu_okf(u, "load \"%s\"", path);
    unlink(path);
    char *second = saved(u);
    ck_assert_str_eq(first, second);
    ck_assert(tu_num(u, "g") == g);                   /* values exactly */
    ck_assert(tu_num(u, "v[1]") == 1.0 / 3);
    ck_assert_int_eq(kind_of(u, "X"), ENT_CONST);
    ck_assert_int_eq(kind_of(u, "g"), ENT_FORMULA);   /* still live */
    tu_set(u, "w", 1);
    ck_assert(tu_num(u, "sq(w)") == 1);
    free(first);
    free(second);
    tu_free(t);
    tu_free(u);
}
END_TEST

static Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("definitions");
    tcase_add_test(tc, test_parameter_or_formula);
    tcase_add_test(tc, test_live_formulas);
    tcase_add_test(tc, test_redefinition_after_use);
    tcase_add_test(tc, test_tape_cache);
    tcase_add_test(tc, test_compile_one_slot_per_name);
    tcase_add_test(tc, test_tape_stale_on_redefinition);
    tcase_add_test(tc, test_undefined_then_defined);
    tcase_add_test(tc, test_pi_e_and_ans);
    suite_add_tcase(s, tc);

    tc = tcase_create("cycles");
    tcase_add_test(tc, test_cycle_self);
    tcase_add_test(tc, test_cycle_indirect);
    tcase_add_test(tc, test_failed_statement_changes_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_user_functions);
    tcase_add_test(tc, test_recursion_refused);
    tcase_add_test(tc, test_save_load_roundtrip);
    suite_add_tcase(s, tc);

    tc = tcase_create("updates");
    tcase_add_test(tc, test_simultaneous_update);
    tcase_add_test(tc, test_compound_update);
    tcase_add_test(tc, test_update_formula_and_const);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(graph_suite());
}
