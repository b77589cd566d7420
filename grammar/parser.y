/* parser.y: tokens to statements (src/ast.h).  A pure, reentrant LALR(1)
 * parser with locations.  It never looks at the session: whether a name is
 * a parameter, a formula or undefined is decided later (src/commands.c).
 *
 * Nodes are allocated in the arena of the Source being parsed, so a parse
 * that fails half-way leaks nothing and no %destructor is needed: the arena
 * goes with the source.
 *
 * %expect 0: resolve any new conflict with precedence or by restructuring,
 * never by raising this number. */
%code requires {
#include "parsectx.h"
typedef void *yyscan_t;

/* Growable lists built while parsing (arena memory). */
typedef struct ExprVec { Ast **v; int n, cap; } ExprVec;
typedef struct NameVec { const char **v; Loc *locs; Ast **idx; int n, cap; } NameVec;
typedef struct ArgVec { Arg *v; int n, cap; } ArgVec;
}

%code provides {
int yylex(YYSTYPE *lval, Loc *lloc, yyscan_t scanner);
}

%code top {
/* The parser's stack lives on the heap and grows as needed; everything
 * after parsing walks trees iteratively, so deep nesting is only limited
 * here (about 300 000 parentheses). */
#define YYMAXDEPTH 1000000
}

%code {
#include <string.h>
#include "ops.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
    do {                                                              \
        if (N) {                                                      \
            (Cur) = YYRHSLOC(Rhs, 1);                                 \
            (Cur).end = YYRHSLOC(Rhs, N).end;                         \
        } else {                                                      \
            (Cur) = YYRHSLOC(Rhs, 0);                                 \
            (Cur).beg = (Cur).end;                                    \
        }                                                             \
    } while (0)

/* A node and its nkids kid pointers, in one allocation. */
static Ast *node(ParseCtx *c, AstKind k, Loc loc, int nkids)
{
    Ast *a = src_alloc(c->src, sizeof *a + nkids * sizeof *a->kid);
    a->kind = k;
    a->loc = loc;
    a->nkids = nkids;
    if (nkids)
        a->kid = (Ast **)(a + 1);
    return a;
}

static Ast *bin(ParseCtx *c, int op, Loc loc, Ast *l, Ast *r)
{
    Ast *a = node(c, AST_BIN, loc, 2);
    a->op = op;
    a->kid[0] = l;
    a->kid[1] = r;
    return a;
}

static Arg *arg_new(ParseCtx *c, Arg a)
{
    Arg *p = src_alloc(c->src, sizeof *p);
    *p = a;
    return p;
}

static Stmt *stmt(ParseCtx *c, StmtKind k, Loc loc)
{
    Stmt *s = src_alloc(c->src, sizeof *s);
    s->kind = k;
    s->loc = loc;
    return s;
}

/* Arena vectors: grow by copying into a block twice the size. */
#define VEC_PUSH(c, vec, x)                                              \
    do {                                                                 \
        if ((vec).n == (vec).cap) {                                      \
            int nc_ = (vec).cap ? 2 * (vec).cap : 4;                     \
            void *nv_ = src_alloc((c)->src, nc_ * sizeof *(vec).v);      \
            if ((vec).n) memcpy(nv_, (vec).v, (vec).n * sizeof *(vec).v);\
            (vec).v = nv_;                                               \
            (vec).cap = nc_;                                             \
        }                                                                \
        (vec).v[(vec).n++] = (x);                                        \
    } while (0)

static NameVec names_push(ParseCtx *c, NameVec nv, const char *name, Loc loc)
{
    if (nv.n == nv.cap) {
        int nc = nv.cap ? 2 * nv.cap : 4;
        const char **v = src_alloc(c->src, nc * sizeof *v);
        Loc *l = src_alloc(c->src, nc * sizeof *l);
        Ast **x = src_alloc(c->src, nc * sizeof *x);
        if (nv.n) {
            memcpy(v, nv.v, nv.n * sizeof *v);
            memcpy(l, nv.locs, nv.n * sizeof *l);
            memcpy(x, nv.idx, nv.n * sizeof *x);
        }
        nv.v = v; nv.locs = l; nv.idx = x; nv.cap = nc;
    }
    nv.v[nv.n] = name;
    nv.locs[nv.n] = loc;
    nv.idx[nv.n] = NULL;
    nv.n++;
    return nv;
}

static int fail(ParseCtx *c, const Loc *loc, const char *msg);

/* A wrt name (AST_NAME) or entry (AST_INDEX of a name) onto the list. */
static NameVec wrt_push(ParseCtx *c, NameVec nv, Ast *a)
{
    if (a->kind == AST_NAME) return names_push(c, nv, a->name, a->loc);
    nv = names_push(c, nv, a->kid[0]->name, a->kid[0]->loc);
    nv.idx[nv.n - 1] = a;
    return nv;
}

/* The statement's per-name index nodes, kept only if one is indexed. */
static void wrt_index(ParseCtx *c, Stmt *s, Ast **idx, int n)
{
    (void)c;
    for (int i = 0; i < n; i++)
        if (idx[i]) { s->name_index = idx; return; }
}

/* One target of ':=': a name, or W[i, j] / W[i] of a name.  Records the
 * indexed ones in s->name_index (n targets).  0 on a syntax error. */
static int update_target(ParseCtx *c, Stmt *s, const Ast *t, int i, int n)
{
    if (t->kind == AST_INDEX && t->kid[0]->kind == AST_NAME) {
        if (!s->name_index) s->name_index = src_alloc(c->src, (size_t)n * sizeof *s->name_index);
        s->name_index[i] = (Ast *)t;
        return 1;
    }
    if (t->kind == AST_NAME) return 1;
    fail(c, &t->loc, "only a name or one entry of it (W[i, j], W[i]) can be updated with ':='");
    return 0;
}

/* A statement is complete only if the token after it is a separator or
 * the end of the input.  (`w := 5 )` reduces `w := 5` before the error on
 * `)`: parse_source drops such a statement, so that it never runs.)  Most
 * statements are reduced when the parser sees that token; some (`show x`)
 * are reduced before it is read, in a state with one way on. */
static void emit(ParseCtx *c, Stmt *s)
{
    s->terminated = c->last == NL || c->last == ';' || c->last == 0;
    if (c->each) {
        /* parse_each: the token after the statement is a separator, which
         * takes no arena memory, so the statement's memory is the arena's
         * top and each may give it back.  If that token is not read yet,
         * the lexer runs the statement when it reads a separator (and
         * drops it on any other token: an error follows). */
        if (!s->terminated) c->pending = s;
        else if (lex_each(c, s)) c->stopped = 1;
        return;
    }
    *c->tail = s;
    c->tail = &s->next;
}

static void set_names(Stmt *s, NameVec nv)
{
    s->names = nv.v;
    s->name_locs = nv.locs;
    s->nnames = nv.n;
}

static void set_args(Stmt *s, ArgVec av)
{
    s->args = av.v;
    s->nargs = av.n;
}

static void set_exprs(Stmt *s, ExprVec ev)
{
    s->e = ev.v;
    s->ne = ev.n;
}

static int fail(ParseCtx *c, const Loc *loc, const char *msg)
{
    diag_set(c->diag, E_SYNTAX, loc, "%s", msg);
    c->failed = 1;
    return 1;
}

static Stmt *assignment(ParseCtx *c, Loc loc, Ast *lhs, int op, Ast *rhs);
static void reserved(ParseCtx *c, const Loc *loc, const char *word);
static void yyerror(const Loc *loc, yyscan_t scanner, ParseCtx *ctx, const char *msg);
static Stmt *command(ParseCtx *c, StmtKind k, Loc loc, Ast *target,
                     int has_wrt, NameVec wrt, ArgVec args);
static Stmt *descent(ParseCtx *c, StmtKind k, Loc loc, Loc tloc, Ast *target,
                     NameVec wrt, ArgVec args);
static int is_forward(ParseCtx *c, const Ast *target, ArgVec args);
static Stmt *trace_forward_stmt(ParseCtx *c, Loc loc, ArgVec args, NameVec wrt);
}

%define api.pure full
%define api.location.type {Loc}
%define parse.error custom
%locations
%param {yyscan_t scanner}
%parse-param {ParseCtx *ctx}
%expect 0

%union {
    double num;
    const char *str;
    Ast *ast;
    Stmt *stmt;
    ExprVec exprs;
    NameVec names;
    ArgVec args;
    Arg *arg;            /* a pointer: the value stack's items stay small */
    int op;
}

%token <num> NUM "number"
%token <str> NAME "name" STR "string"
%token NL "end of line"
%token ASSIGN ":=" PLUSEQ "+=" MINUSEQ "-=" TIMESEQ "*=" DIVEQ "/="
%token LE "<=" GE ">=" EQ "==" NE "!="
%token GRAD "grad" TRACE "trace" GRAPH "graph" DOT "dot" SWEEP "sweep" PLOT "plot"
%token STEP "step" TRAIN "train" CHECK "check" PRINT "print" SHOW "show"
%token VARS "vars" DELETE "delete" CLEAR "clear" LOAD "load" SAVE "save"
%token SET "set" HELP "help" QUIT "quit" EXIT "exit" CONST "const" DIFF "diff" HESSIAN "hessian" WRT "wrt"
%token JACOBIAN "jacobian"
%token INVALID "invalid token"

%nonassoc '<' '>' LE GE EQ NE
%left '+' '-'
%left '*' '/' '@'
%precedence UMINUS
%right '^'

%type <ast> expr primary postfix index call_arg wrt_name
%type <stmt> stmt
%type <exprs> exprs print_items indices call_args opt_call_args
%type <names> names opt_wrt wrt_names
%type <args> opt_args args set_args neg_args
%type <arg> arg set_arg
%type <str> word cmdword opt_file
%type <exprs> plot_range
%type <op> opeq

%%

input:
    opt_stmt
  | input sep opt_stmt
  ;

sep: NL | ';' ;

opt_stmt:
    %empty
  | stmt            { if ($1) { emit(ctx, $1); if (ctx->stopped) YYACCEPT; } }
  ;

stmt:
    exprs {
        if ($1.n != 1) {
            fail(ctx, &@1, "a list of expressions is only allowed before ':=' (a, b := 1, 2)");
            YYABORT;
        }
        $$ = stmt(ctx, ST_EXPR, @$);
        set_exprs($$, $1);
    }
  | exprs ":=" exprs {
        $$ = stmt(ctx, ST_UPDATE, @$);
        NameVec nv = {0};
        for (int i = 0; i < $1.n; i++) {
            const Ast *t = $1.v[i];
            if (!update_target(ctx, $$, t, i, $1.n)) YYABORT;
            nv = names_push(ctx, nv, t->kind == AST_NAME ? t->name : t->kid[0]->name,
                            t->kind == AST_NAME ? t->loc : t->kid[0]->loc);
        }
        if ($1.n != $3.n) {
            fail(ctx, &@2, "':=' needs as many values on the right as names on the left");
            YYABORT;
        }
        set_names($$, nv);
        set_exprs($$, $3);
    }
  | expr '=' expr       { if (!($$ = assignment(ctx, @$, $1, 0, $3))) YYABORT; }
  | expr opeq expr      { if (!($$ = assignment(ctx, @$, $1, $2, $3))) YYABORT; }
  | CONST NAME '=' expr {
        $$ = stmt(ctx, ST_CONST, @$);
        $$->name = $2; $$->name_loc = @2;
        $$->e = src_alloc(ctx->src, sizeof *$$->e);
        $$->e[0] = $4; $$->ne = 1;
    }
  | GRAD expr opt_wrt opt_args  {
        $$ = command(ctx, ST_GRAD, @$, $2, $3.n > 0, $3, $4);
        wrt_index(ctx, $$, $3.idx, $3.n);
    }
  | HESSIAN expr opt_wrt        { $$ = command(ctx, ST_HESSIAN, @$, $2, $3.n > 0, $3, (ArgVec){0}); }
  | TRACE expr WRT wrt_names opt_args { $$ = command(ctx, ST_TRACE, @$, $2, 1, $4, $5); }
  | TRACE expr opt_args         {   /* trace f [all], or trace forward f */
        if ($2->kind == AST_NAME && $3.n >= 1 && $3.v[0].is_word &&
            strcmp($3.v[0].word, "all") != 0 && !is_forward(ctx, $2, $3)) {
            fail(ctx, &@2, "trace takes one expression, or forward: trace forward f wrt x");
            YYABORT;
        }
        if (is_forward(ctx, $2, $3)) {
            if ($3.n != 1) {
                fail(ctx, &$3.v[1].loc, "trace forward takes one formula: trace forward f wrt x");
                YYABORT;
            }
            $$ = trace_forward_stmt(ctx, @$, $3, (NameVec){0});
        } else {
            $$ = command(ctx, ST_TRACE, @$, $2, 0, (NameVec){0}, $3);
        }
    }
  | TRACE expr args WRT wrt_names {   /* trace forward f wrt x: forward mode */
        if (!is_forward(ctx, $2, $3) || $3.n != 1) {
            fail(ctx, &@3, "trace takes one expression, or forward: trace forward f wrt x");
            YYABORT;
        }
        $$ = trace_forward_stmt(ctx, @$, $3, $5);
    }
  | GRAPH expr                  { $$ = command(ctx, ST_GRAPH, @$, $2, 0, (NameVec){0}, (ArgVec){0}); }
  | DOT expr                    { $$ = command(ctx, ST_DOT, @$, $2, 0, (NameVec){0}, (ArgVec){0}); }
  | DOT expr STR                { $$ = command(ctx, ST_DOT, @$, $2, 0, (NameVec){0}, (ArgVec){0}); $$->file = $3; }
  | SWEEP expr WRT wrt_name     {
        NameVec nv = names_push(ctx, (NameVec){0}, $4->kind == AST_NAME ? $4->name : $4->kid[0]->name,
                                $4->kind == AST_NAME ? $4->loc : $4->kid[0]->loc);
        $$ = command(ctx, ST_SWEEP, @$, $2, 1, nv, (ArgVec){0});
        if ($4->kind == AST_INDEX) {
            $$->name_index = src_alloc(ctx->src, sizeof *$$->name_index);
            $$->name_index[0] = $4;
        }
    }
  | STEP expr opt_wrt opt_args  {
        $$ = descent(ctx, ST_STEP, @$, @2, $2, $3, $4);
        wrt_index(ctx, $$, $3.idx, $3.n);
    }
  | TRAIN expr opt_wrt opt_args {
        $$ = descent(ctx, ST_TRAIN, @$, @2, $2, $3, $4);
        wrt_index(ctx, $$, $3.idx, $3.n);
    }
  | STEP expr WRT wrt_names neg_args {   /* after wrt, a minus sign is lr's */
        $$ = descent(ctx, ST_STEP, @$, @2, $2, $4, $5);
        wrt_index(ctx, $$, $4.idx, $4.n);
    }
  | TRAIN expr WRT wrt_names neg_args {
        $$ = descent(ctx, ST_TRAIN, @$, @2, $2, $4, $5);
        wrt_index(ctx, $$, $4.idx, $4.n);
    }
  | TRAIN expr WRT wrt_names neg_args ',' names {
        ArgVec av = $5;
        for (int i = 0; i < $7.n; i++)
            VEC_PUSH(ctx, av, ((Arg){ .is_word = 1, .word = $7.v[i], .loc = $7.locs[i] }));
        $$ = command(ctx, ST_TRAIN, @$, $2, 1, $4, av);
        wrt_index(ctx, $$, $4.idx, $4.n);
    }
  | TRAIN expr opt_wrt args ',' names {
        /* train L ... batch B of X, y: the names after the comma join
         * the words (src/train.c reads `batch B of X, y` from them) */
        ArgVec av = $4;
        for (int i = 0; i < $6.n; i++)
            VEC_PUSH(ctx, av, ((Arg){ .is_word = 1, .word = $6.v[i], .loc = $6.locs[i] }));
        $$ = command(ctx, ST_TRAIN, @$, $2, $3.n > 0, $3, av);
        wrt_index(ctx, $$, $3.idx, $3.n);
    }
  | PLOT expr WRT names plot_range opt_file {
        /* plot f wrt x [from a to b] ["f.svg"]; plot L wrt p, q [...] */
        if ($4.n > 2) {
            fail(ctx, &@4, "plot takes one name (a function of x) or two (a loss map over p, q)");
            YYABORT;
        }
        $$ = command(ctx, ST_PLOT, @$, $2, 1, $4, (ArgVec){0});
        ExprVec ev = { 0 };
        VEC_PUSH(ctx, ev, $2);
        for (int i = 0; i < $5.n; i++) VEC_PUSH(ctx, ev, $5.v[i]);
        set_exprs($$, ev);
        $$->file = $6;
    }
  | PLOT expr NAME expr ',' expr opt_file {   /* plot S over X, y */
        if (strcmp($3, "over") != 0) {
            fail(ctx, &@3, "plot takes `wrt x`, `wrt p, q` or `over X, y` after its expression");
            YYABORT;
        }
        $$ = stmt(ctx, ST_PLOT, @$);
        ExprVec ev = { 0 };
        VEC_PUSH(ctx, ev, $2);
        VEC_PUSH(ctx, ev, $4);
        VEC_PUSH(ctx, ev, $6);
        set_exprs($$, ev);
        $$->file = $7;
    }
  | CHECK exprs opt_args {
        if ($2.n > 2) {
            fail(ctx, &@2, "check takes one expression (check f) or two (check a, b [tol])");
            YYABORT;
        }
        $$ = stmt(ctx, ST_CHECK, @$);
        set_exprs($$, $2);
        set_args($$, $3);
    }
  | PRINT print_items           { $$ = stmt(ctx, ST_PRINT, @$); set_exprs($$, $2); }
  | SHOW NAME                   { $$ = stmt(ctx, ST_SHOW, @$); $$->name = $2; $$->name_loc = @2; }
  | VARS                        { $$ = stmt(ctx, ST_VARS, @$); }
  | DELETE names                { $$ = stmt(ctx, ST_DELETE, @$); set_names($$, $2); }
  | CLEAR                       { $$ = stmt(ctx, ST_CLEAR, @$); }
  | LOAD STR                    { $$ = stmt(ctx, ST_LOAD, @$); $$->file = $2; }
  | SAVE STR                    { $$ = stmt(ctx, ST_SAVE, @$); $$->file = $2; }
  | SAVE STR expr               {   /* save "w.csv" W: one value as CSV */
        $$ = stmt(ctx, ST_SAVE, @$);
        $$->file = $2;
        ExprVec ev = { 0 };
        VEC_PUSH(ctx, ev, $3);
        set_exprs($$, ev);
    }
  | SET                         { $$ = stmt(ctx, ST_SET, @$); }
  | SET word set_args           {
        $$ = stmt(ctx, ST_SET, @$);
        $$->name = $2; $$->name_loc = @2;
        set_args($$, $3);
    }
  | cmdword '=' expr             { reserved(ctx, &@1, $1); YYABORT; }
  | cmdword ":=" expr            { reserved(ctx, &@1, $1); YYABORT; }
  | cmdword opeq expr            { reserved(ctx, &@1, $1); YYABORT; }
  | CONST cmdword '=' expr       { reserved(ctx, &@2, $2); YYABORT; }
  | CONST CONST                  { reserved(ctx, &@2, "const"); YYABORT; }
  | CONST '=' expr               { reserved(ctx, &@1, "const"); YYABORT; }
  | CONST ":=" expr              { reserved(ctx, &@1, "const"); YYABORT; }
  | CONST opeq expr              { reserved(ctx, &@1, "const"); YYABORT; }
  | DIFF expr                   { $$ = command(ctx, ST_DIFF, @$, $2, 0, (NameVec){0}, (ArgVec){0}); }
  | DIFF expr WRT NAME opt_args {   /* diff f wrt x [latex] */
        NameVec nv = names_push(ctx, (NameVec){0}, $4, @4);
        $$ = command(ctx, ST_DIFF, @$, $2, 1, nv, $5);
    }
  | JACOBIAN expr opt_wrt       { $$ = command(ctx, ST_JACOBIAN, @$, $2, $3.n > 0, $3, (ArgVec){0}); }
  | HELP                        { $$ = stmt(ctx, ST_HELP, @$); }
  | HELP word                   { $$ = stmt(ctx, ST_HELP, @$); $$->name = $2; $$->name_loc = @2; }
  | QUIT                        { $$ = stmt(ctx, ST_QUIT, @$); }
  | EXIT                        { $$ = stmt(ctx, ST_QUIT, @$); }
  ;

opeq:
    "+="    { $$ = OP_ADD; }
  | "-="    { $$ = OP_SUB; }
  | "*="    { $$ = OP_MUL; }
  | "/="    { $$ = OP_DIV; }
  ;

plot_range:
    %empty                  { $$ = (ExprVec){0}; }
  | NAME expr NAME expr     {
        if (strcmp($1, "from") != 0 || strcmp($3, "to") != 0) {
            fail(ctx, strcmp($1, "from") != 0 ? &@1 : &@3, "a plot's range is written `from a to b`");
            YYABORT;
        }
        $$ = (ExprVec){0};
        VEC_PUSH(ctx, $$, $2);
        VEC_PUSH(ctx, $$, $4);
    }
  ;

opt_file:
    %empty          { $$ = NULL; }
  | STR
  ;

opt_wrt:
    %empty          { $$ = (NameVec){0}; }
  | WRT wrt_names   { $$ = $2; }
  ;

/* wrt w, W[0,1]: a name, or one entry of it */
wrt_names:
    wrt_name                { $$ = wrt_push(ctx, (NameVec){0}, $1); }
  | wrt_names ',' wrt_name  { $$ = wrt_push(ctx, $1, $3); }
  ;

wrt_name:
    NAME                    { $$ = node(ctx, AST_NAME, @$, 0); $$->name = $1; }
  | NAME '[' indices ']'    {
        $$ = node(ctx, AST_INDEX, @$, 1 + $3.n);
        $$->kid[0] = node(ctx, AST_NAME, @1, 0);
        $$->kid[0]->name = $1;
        memcpy($$->kid + 1, $3.v, $3.n * sizeof *$3.v);
    }
  ;

names:
    NAME            { $$ = names_push(ctx, (NameVec){0}, $1, @1); }
  | names ',' NAME  { $$ = names_push(ctx, $1, $3, @3); }
  ;

opt_args:
    %empty          { $$ = (ArgVec){0}; }
  | args
  ;

args:
    arg             { $$ = (ArgVec){0}; VEC_PUSH(ctx, $$, *$1); }
  | args arg        { $$ = $1; VEC_PUSH(ctx, $$, *$2); }
  ;

/* -0.1 2 after a wrt list: a negative learning rate (gradient ascent) */
neg_args:
    '-' NUM opt_args {
        $$ = (ArgVec){0};
        VEC_PUSH(ctx, $$, ((Arg){ .num = -$2, .loc = @1 }));
        $$.v[0].loc.end = @2.end;
        for (int i = 0; i < $3.n; i++) VEC_PUSH(ctx, $$, $3.v[i]);
    }
  ;

arg:
    NUM             { $$ = arg_new(ctx, (Arg){ .num = $1, .loc = @1 }); }
  | NAME            { $$ = arg_new(ctx, (Arg){ .is_word = 1, .word = $1, .loc = @1 }); }
  ;

set_args:
    %empty              { $$ = (ArgVec){0}; }
  | set_args set_arg    { $$ = $1; VEC_PUSH(ctx, $$, *$2); }
  | set_args ',' set_arg { $$ = $1; VEC_PUSH(ctx, $$, *$3); }
  ;

set_arg:
    arg
  | '-' NUM         { $$ = arg_new(ctx, (Arg){ .num = -$2, .loc = @$ }); }
  | '[' exprs ']'   {   /* set state W 3 [...]: a tensor literal */
        Ast *l = node(ctx, AST_LIST, @$, 0);
        l->kid = $2.v;
        l->nkids = $2.n;
        $$ = arg_new(ctx, (Arg){ .list = l, .loc = @$ });
    }
  ;

/* help and set take any word, including a command word (help grad). */
word:
    NAME
  | cmdword
  | CONST { $$ = "const"; }
  ;

/* The command words, for `help grad` and for the error when one is used
 * as a name (const aside: `const const` is its own rule). */
cmdword:
    GRAD { $$ = "grad"; } | TRACE { $$ = "trace"; } | GRAPH { $$ = "graph"; }
  | DOT { $$ = "dot"; } | SWEEP { $$ = "sweep"; } | STEP { $$ = "step"; }
  | PLOT { $$ = "plot"; }
  | TRAIN { $$ = "train"; } | CHECK { $$ = "check"; } | PRINT { $$ = "print"; }
  | SHOW { $$ = "show"; } | VARS { $$ = "vars"; } | DELETE { $$ = "delete"; }
  | CLEAR { $$ = "clear"; } | LOAD { $$ = "load"; } | SAVE { $$ = "save"; }
  | SET { $$ = "set"; } | HELP { $$ = "help"; } | QUIT { $$ = "quit"; }
  | EXIT { $$ = "exit"; } | DIFF { $$ = "diff"; } | HESSIAN { $$ = "hessian"; }
  | WRT { $$ = "wrt"; }
  | JACOBIAN { $$ = "jacobian"; }
  ;

print_items:
    expr                    { $$ = (ExprVec){0}; VEC_PUSH(ctx, $$, $1); }
  | print_items ',' expr    { $$ = $1; VEC_PUSH(ctx, $$, $3); }
  ;

exprs:
    expr            { $$ = (ExprVec){0}; VEC_PUSH(ctx, $$, $1); }
  | exprs ',' expr  { $$ = $1; VEC_PUSH(ctx, $$, $3); }
  ;

/* A call's arguments: expressions, or keywords NAME '=' expr (axis=0),
 * told apart by the token after NAME (SPEC section 6).  Which keywords a
 * function takes, and where, is the compiler's to check. */
opt_call_args:
    %empty                      { $$ = (ExprVec){0}; }
  | call_args
  ;

call_args:
    call_arg                    { $$ = (ExprVec){0}; VEC_PUSH(ctx, $$, $1); }
  | call_args ',' call_arg      { $$ = $1; VEC_PUSH(ctx, $$, $3); }
  ;

call_arg:
    expr
  | NAME '=' expr {
        $$ = node(ctx, AST_KWARG, @$, 1);
        $$->name = $1;
        $$->kid[0] = $3;
    }
  ;

expr:
    expr '<' expr   { $$ = bin(ctx, OP_LT, @$, $1, $3); }
  | expr '>' expr   { $$ = bin(ctx, OP_GT, @$, $1, $3); }
  | expr "<=" expr  { $$ = bin(ctx, OP_LE, @$, $1, $3); }
  | expr ">=" expr  { $$ = bin(ctx, OP_GE, @$, $1, $3); }
  | expr "==" expr  { $$ = bin(ctx, OP_EQ, @$, $1, $3); }
  | expr "!=" expr  { $$ = bin(ctx, OP_NE, @$, $1, $3); }
  | expr '+' expr   { $$ = bin(ctx, OP_ADD, @$, $1, $3); }
  | expr '-' expr   { $$ = bin(ctx, OP_SUB, @$, $1, $3); }
  | expr '*' expr   { $$ = bin(ctx, OP_MUL, @$, $1, $3); }
  | expr '/' expr   { $$ = bin(ctx, OP_DIV, @$, $1, $3); }
  | expr '@' expr   { $$ = bin(ctx, OP_MATMUL, @$, $1, $3); }
  | expr '^' expr   { $$ = bin(ctx, OP_POW, @$, $1, $3); }
  | '-' expr %prec UMINUS {
        $$ = node(ctx, AST_NEG, @$, 1);
        $$->kid[0] = $2;
    }
  | postfix
  ;

postfix:
    primary
  | postfix '[' indices ']' {
        $$ = node(ctx, AST_INDEX, @$, 1 + $3.n);
        $$->kid[0] = $1;
        memcpy($$->kid + 1, $3.v, $3.n * sizeof *$3.v);
    }
  ;

indices:
    index               { $$ = (ExprVec){0}; VEC_PUSH(ctx, $$, $1); }
  | indices ',' index   { $$ = $1; VEC_PUSH(ctx, $$, $3); }
  ;

/* i, or a slice lo:hi with either end left out */
index:
    expr
  | ':'                 { $$ = node(ctx, AST_SLICE, @$, 0); }
  | expr ':'            { $$ = node(ctx, AST_SLICE, @$, 1); $$->op = 1; $$->kid[0] = $1; }
  | ':' expr            { $$ = node(ctx, AST_SLICE, @$, 1); $$->op = 2; $$->kid[0] = $2; }
  | expr ':' expr       { $$ = node(ctx, AST_SLICE, @$, 2); $$->op = 3; $$->kid[0] = $1; $$->kid[1] = $3; }
  ;

primary:
    NUM             { $$ = node(ctx, AST_NUM, @$, 0); $$->num = $1; }
  | STR             { $$ = node(ctx, AST_STR, @$, 0); $$->name = $1; }
  | NAME            { $$ = node(ctx, AST_NAME, @$, 0); $$->name = $1; }
  | '(' expr ')'    { $$ = $2; }
  | '[' exprs ']'   {
        $$ = node(ctx, AST_LIST, @$, 0);
        $$->kid = $2.v;
        $$->nkids = $2.n;
    }
  | NAME '(' opt_call_args ')' {
        $$ = node(ctx, AST_CALL, @$, 0);
        $$->name = $1;
        $$->kid = $3.v;
        $$->nkids = $3.n;
    }
  | GRAD '(' expr ',' expr ')' {
        $$ = node(ctx, AST_GRAD, @$, 2);
        $$->name = "grad";
        $$->kid[0] = $3;
        $$->kid[1] = $5;
    }
  | DOT '(' expr ',' expr ')' {
        $$ = node(ctx, AST_CALL, @$, 2);
        $$->name = "dot";
        $$->kid[0] = $3;
        $$->kid[1] = $5;
    }
  ;

%%

/* `lhs = rhs`, `lhs op= rhs`: decide what the left side is. */
static Stmt *assignment(ParseCtx *c, Loc loc, Ast *lhs, int op, Ast *rhs)
{
    Stmt *s;
    if (lhs->kind == AST_NAME) {
        s = stmt(c, op ? ST_UPDATE : ST_DEFINE, loc);
        s->name = lhs->name;
        s->name_loc = lhs->loc;
        s->op = op;
        if (op)
            set_names(s, names_push(c, (NameVec){0}, lhs->name, lhs->loc));
    } else if (op && lhs->kind == AST_INDEX && lhs->kid[0]->kind == AST_NAME) {
        /* W[i, j] += e: an indexed update of W */
        s = stmt(c, ST_UPDATE, loc);
        s->name = lhs->kid[0]->name;
        s->name_loc = lhs->kid[0]->loc;
        s->op = op;
        set_names(s, names_push(c, (NameVec){0}, s->name, s->name_loc));
        update_target(c, s, lhs, 0, 1);
    } else if (lhs->kind == AST_CALL && !op && strcmp(lhs->name, "dot") != 0) {
        s = stmt(c, ST_FUNC, loc);
        s->name = lhs->name;
        s->name_loc = lhs->loc;
        NameVec nv = {0};
        for (int i = 0; i < lhs->nkids; i++) {
            if (lhs->kid[i]->kind != AST_NAME) {
                fail(c, &lhs->kid[i]->loc,
                     "a function's parameters must be names: f(x, y) = ...");
                return NULL;
            }
            nv = names_push(c, nv, lhs->kid[i]->name, lhs->kid[i]->loc);
        }
        set_names(s, nv);
    } else {
        fail(c, &lhs->loc, op ? "only a name can be updated"
                              : "the left side of '=' must be a name or f(x, ...)");
        return NULL;
    }
    s->e = src_alloc(c->src, sizeof *s->e);
    s->e[0] = rhs;
    s->ne = 1;
    return s;
}

static void reserved(ParseCtx *c, const Loc *loc, const char *word)
{
    diag_set(c->diag, E_NAME, loc,
             "%s is a command word and cannot be a name; choose another name", word);
    c->failed = 1;
}

static Stmt *command(ParseCtx *c, StmtKind k, Loc loc, Ast *target,
                     int has_wrt, NameVec wrt, ArgVec args)
{
    Stmt *s = stmt(c, k, loc);
    s->e = src_alloc(c->src, sizeof *s->e);
    s->e[0] = target;
    s->ne = 1;
    s->has_wrt = has_wrt;
    set_names(s, wrt);
    set_args(s, args);
    return s;
}

/* trace forward f [wrt x]: "forward" is not a keyword (a name may be
 * called forward), so `trace NAME WORD ...` is forward mode when the name
 * is forward and the word is not trace's own `all`. */
static int is_forward(ParseCtx *c, const Ast *target, ArgVec args)
{
    (void)c;
    return target->kind == AST_NAME && strcmp(target->name, "forward") == 0 &&
           args.n >= 1 && args.v[0].is_word && strcmp(args.v[0].word, "all") != 0;
}

/* The statement cmd_trace reads as forward mode: target f (the first
 * word), the word forward as its one argument, the seed in wrt. */
static Stmt *trace_forward_stmt(ParseCtx *c, Loc loc, ArgVec args, NameVec wrt)
{
    Ast *f = node(c, AST_NAME, args.v[0].loc, 0);
    f->name = args.v[0].word;
    ArgVec av = { 0 };
    VEC_PUSH(c, av, ((Arg){ .is_word = 1, .word = "forward", .loc = loc }));
    return command(c, ST_TRACE, loc, f, wrt.n > 0, wrt, av);
}

/* step/train TARGET ...: when the target is a bare name, everything after
 * it is arguments (SPEC 2), so `train L -0.1 2` is lr -0.1, 2 steps: the
 * parser read `L - 0.1` (a '-' after an expression continues it), and
 * here a chain name - number - number ... that no parenthesis groups is
 * taken apart into the name and negative arguments.  tloc is where the
 * target's text is, parentheses included: `train (L - 0.1) 2` stays. */
static Stmt *descent(ParseCtx *c, StmtKind k, Loc loc, Loc tloc, Ast *target,
                     NameVec wrt, ArgVec args)
{
    int n = 0;
    const Ast *a = target;
    while (a->kind == AST_BIN && a->op == OP_SUB && a->kid[1]->kind == AST_NUM &&
           a->loc.beg == a->kid[0]->loc.beg)
        a = a->kid[0], n++;
    if (n > 0 && a->kind == AST_NAME && tloc.beg == target->loc.beg) {
        ArgVec av = { 0 };
        const Ast *chain = target;
        Arg *neg = src_alloc(c->src, (size_t)n * sizeof *neg);
        for (int i = n - 1; i >= 0; i--, chain = chain->kid[0]) {
            const Ast *num = chain->kid[1];
            neg[i] = (Arg){ .num = -num->num, .loc = num->loc };
        }
        for (int i = 0; i < n; i++) VEC_PUSH(c, av, neg[i]);
        for (int i = 0; i < args.n; i++) VEC_PUSH(c, av, args.v[i]);
        args = av;
        target = (Ast *)a;
    }
    return command(c, k, loc, target, wrt.n > 0, wrt, args);
}

/* Syntax errors: "unexpected X, expecting Y or Z".  At the end of the
 * input the statement is incomplete rather than wrong: the REPL then reads
 * another line (as Lua's REPL does). */
static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner, ParseCtx *ctx)
{
    (void)scanner;
    yysymbol_kind_t tok = yypcontext_token(yyctx);
    const Loc *loc = yypcontext_location(yyctx);
    if (tok == YYSYMBOL_INVALID && ctx->lexmsg[0]) {
        fail(ctx, loc, ctx->lexmsg);
        return 0;
    }
    enum { MAXEXP = 6 };
    yysymbol_kind_t exp[MAXEXP];
    int n = yypcontext_expected_tokens(yyctx, exp, MAXEXP);
    char msg[400];
    int len = snprintf(msg, sizeof msg, "syntax error, unexpected %s",
                       tok == YYSYMBOL_YYEOF ? "end of input" : yysymbol_name(tok));
    if (n > 0) {
        for (int i = 0; i < n && len < (int)sizeof msg; i++)
            len += snprintf(msg + len, sizeof msg - len, "%s%s",
                            i == 0 ? ", expecting " : i == n - 1 ? " or " : ", ",
                            yysymbol_name(exp[i]));
    }
    /* A command word where a name was wanted (f(grad) = 1, const = 1):
     * say why it cannot be one. */
    if (tok >= YYSYMBOL_GRAD && tok <= YYSYMBOL_WRT && len < (int)sizeof msg)
        snprintf(msg + len, sizeof msg - len, " (%s is a command word, so it cannot be a name)",
                 yysymbol_name(tok));
    fail(ctx, loc, msg);
    if (tok == YYSYMBOL_YYEOF)
        ctx->diag->incomplete = 1;   /* more input may finish it */
    return 0;
}

static void yyerror(const Loc *loc, yyscan_t scanner, ParseCtx *ctx, const char *msg)
{
    (void)scanner;
    /* Only "memory exhausted" comes here: the parser's stack is full. */
    if (!ctx->failed) {
        fail(ctx, loc, strcmp(msg, "memory exhausted") == 0
                       ? "nesting too deep for the parser (its limit is a million open levels)" : msg);
        ctx->diag->kind = E_LIMIT;
    }
}
