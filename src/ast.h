/* ast.h: the syntax tree of one parsed text, and the source it came from.
 *
 * Every node carries a Loc, so an error found long after parsing (log(-1)
 * while evaluating a formula defined ten lines earlier) still points at the
 * text.  Nodes live in the arena of their Source and are freed with it: no
 * node is ever freed alone, so no walk over a (possibly very deep) tree is
 * needed to free it, and a syntax error in the middle of a parse leaks
 * nothing. */
#ifndef BP_AST_H
#define BP_AST_H

#include <stddef.h>

typedef struct Source Source;

/* A span of source text: 1-based line and column of its first character,
 * byte offsets [beg, end) into the source text. */
typedef struct Loc {
    const Source *src;
    int line, col;
    int beg, end;
} Loc;

typedef enum {
    AST_NUM,     /* num */
    AST_NAME,    /* name (a session name, a function parameter, pi, e, ans) */
    AST_NEG,     /* -kid[0] */
    AST_BIN,     /* kid[0] op kid[1]; op is an OpCode */
    AST_CALL,    /* name(kid[0..nkids)) : built-in or user function */
    AST_GRAD,    /* grad(kid[0], kid[1]) */
    AST_STR,     /* "text" (print, file names) */
    AST_LIST,    /* [kid[0], kid[1], ...] */
    AST_INDEX,   /* kid[0][kid[1], ...]; each index an expression or a slice */
    AST_SLICE,   /* lo:hi inside an index; op bit 1: lo given, bit 2: hi
                    given; the given ones are the kids, in order */
    AST_KWARG    /* name=kid[0], a keyword argument of a call (axis=0) */
} AstKind;

typedef struct Ast {
    /* kind and op share a word, and the three fields no kind needs
     * together share another (a long script holds 10^5-10^6 nodes: 48
     * bytes each, its kids' pointers beside it) */
    unsigned kind : 8;   /* an AstKind */
    int op : 24;         /* AST_BIN: an OpCode; AST_SLICE: its bits */
    int nkids;
    union {
        double num;          /* AST_NUM */
        struct Entry *ent;   /* AST_NAME: the session's entry for name, once
                                looked up (session_find_node): a name's entry
                                never changes, so a formula compiled again
                                finds its names without the hash table (a
                                cache miss each, in a long script) */
        struct Ast **kid;    /* every other kind: nkids of them */
    };
    const char *name;    /* AST_NAME, AST_CALL; AST_STR: the text */
    Loc loc;
} Ast;

typedef enum {
    ST_EXPR,        /* e[0]                           print the value, keep as ans */
    ST_DEFINE,      /* name = e[0]                    parameter or formula */
    ST_CONST,       /* const name = e[0] */
    ST_FUNC,        /* name(names) = e[0] */
    ST_UPDATE,      /* names := e[0..n)               (also += -= *= /=) */
    ST_GRAD,        /* grad e[0] [wrt names] */
    ST_TRACE, ST_GRAPH, ST_DOT, ST_SWEEP, ST_PLOT,
    ST_STEP,        /* step e[0] [wrt names] [args] */
    ST_TRAIN,
    ST_CHECK,       /* check e[0] [, e[1] [tol]] */
    ST_PRINT,       /* print e[0..n) (AST_STR allowed) */
    ST_SHOW, ST_VARS, ST_DELETE, ST_CLEAR,
    ST_LOAD, ST_SAVE,
    ST_SET,         /* set [name [args]] */
    ST_HELP,        /* help [name] */
    ST_DIFF,        /* diff e[0] wrt names[0] [latex|text] */
    ST_HESSIAN,     /* hessian e[0] [wrt names] */
    ST_JACOBIAN,    /* jacobian e[0] [wrt names] */
    ST_QUIT
} StmtKind;

/* A numeric command argument (lr, steps, tol, a setting's value): a number
 * or a word (a name, or a word like auto/central). */
typedef struct Arg {
    int is_word;
    double num;
    const char *word;
    const struct Ast *list;  /* a [...] literal (set state restores tensors), or NULL */
    Loc loc;
} Arg;

typedef struct Stmt {
    StmtKind kind;
    Loc loc;             /* the whole statement */
    const char *name;    /* ST_DEFINE/CONST/FUNC, ST_SHOW, ST_SET, ST_HELP */
    Loc name_loc;
    int op;              /* ST_UPDATE: 0 for :=, else the OpCode of += etc. */
    const char **names;  /* wrt list, := targets, function params, delete */
    Loc *name_locs;
    Ast **name_index;    /* wrt and := targets: per name NULL, or the W[i, j]
                            node written (an AST_INDEX of the name); NULL if none is */
    int nnames;
    int has_wrt;
    Ast **e;
    int ne;
    Arg *args;
    int nargs;
    const char *file;    /* ST_LOAD, ST_SAVE, ST_DOT, ST_PLOT (NULL: none) */
    int terminated;      /* a separator (or the end) followed it */
    struct Stmt *next;
} Stmt;

/* A text being parsed: a script, one -e argument, or what was typed at the
 * prompt.  first_line is the line number of its first line (the REPL numbers
 * its inputs continuously). */
struct Source {
    char *name;          /* file name, "-e" or "<stdin>" */
    char *text;          /* a copy of the text, then two NULs (the scanner
                            reads it in place: src/parse.c) */
    size_t len;
    int first_line;
    struct Arena *arena; /* owns the nodes, statements and strings */
    const void *resolved_in; /* the session whose entries the nodes' `ent`
                                point at (NULL: none yet) */
    Source *next;        /* the session keeps every source it has run */
};

Source *src_new(const char *name, const char *text, size_t len, int first_line);
/* As src_new, but the source takes text itself (malloc'd, len + 2 bytes:
 * the two NULs go after the text): a script read from a file is not
 * copied again. */
Source *src_take(const char *name, char *text, size_t len, int first_line);
void src_free(Source *s);
/* The text of line `line` (as numbered by Loc.line), without its newline. */
const char *src_line(const Source *s, int line, int *len);

/* Arena allocation: zeroed memory that lives as long as the source. */
void *src_alloc(Source *s, size_t size);
char *src_strdup(Source *s, const char *p, size_t n);

#endif
