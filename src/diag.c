/* diag.c: filling and printing errors, with the source line and a caret;
 * the table of error kinds. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "diag.h"

static const struct { const char *name; int status; } kinds[E_NKINDS] = {
    [E_OK] = { "ok", 0 },
#define BP_ERR_ROW(e, name, status, what) [e] = { name, status },
    BP_ERRORS(BP_ERR_ROW)
#undef BP_ERR_ROW
};

const char *diag_kind_name(int kind)
{
    return kind >= 0 && kind < E_NKINDS ? kinds[kind].name : "internal";
}

int diag_exit_status(int kind)
{
    return kind >= 0 && kind < E_NKINDS ? kinds[kind].status : 1;
}

int diag_check_output(FILE *f, const char *what, Diag *d)
{
    errno = 0;
    if (fflush(f) == 0 && !ferror(f)) return E_OK;
    int err = errno;
    return diag_set(d, E_IO, NULL, "cannot write to %s%s%s", what, err ? ": " : "",
                    err ? strerror(err) : "");
}

int diag_set(Diag *d, ErrKind kind, const Loc *loc, const char *fmt, ...)
{
    va_list ap;
    d->kind = kind;
    if (loc) d->loc = *loc;
    else memset(&d->loc, 0, sizeof d->loc);
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    d->note[0] = '\0';
    d->reported = d->incomplete = d->cmdline = 0;
    return kind;
}

void diag_note(Diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->note, sizeof d->note, fmt, ap);
    va_end(ap);
}

/* The length of a valid UTF-8 sequence at p (at most n bytes), or 0. */
static int utf8_len(const unsigned char *p, int n)
{
    int k = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 && p[0] >= 0xc2 ? 2
          : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 && p[0] < 0xf5 ? 4 : 0;
    if (k > n) return 0;
    for (int i = 1; i < k; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return k;
}

/* Print n bytes of source as the terminal should see them: control bytes
 * (an ESC, or a stray 0x9B, could drive the terminal) and invalid UTF-8
 * shown as '?'; tabs kept, so the caret below lines up. */
static void put_text(FILE *f, const char *p, int n)
{
    const unsigned char *u = (const unsigned char *)p;
    for (int i = 0; i < n;) {
        int k = utf8_len(u + i, n - i);
        if (k == 1 && ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)) k = 0;
        if (k == 0) { fputc('?', f); i++; continue; }
        fwrite(u + i, 1, (size_t)k, f);
        i += k;
    }
}

/* The offending line, then ^ under the first column and ~ under the rest
 * of the span (on that line). */
static void show_line(FILE *f, const Loc *loc, int color)
{
    int len;
    const char *line = src_line(loc->src, loc->line, &len);
    if (len > 200) {  /* a huge line: show the part around the column */
        int from = loc->col > 60 ? loc->col - 60 : 1;
        int n = len - (from - 1) < 120 ? len - (from - 1) : 120;
        fputs("  ...", f);
        put_text(f, line + from - 1, n);
        fputs("...\n  ...", f);
        for (int i = from; i < loc->col; i++) fputc(' ', f);
    } else {
        fputs("  ", f);
        put_text(f, line, len);
        fputs("\n  ", f);
        for (int i = 1; i < loc->col && i <= len; i++)
            fputc(line[i - 1] == '\t' ? '\t' : ' ', f);
    }
    int span = loc->end - loc->beg;
    int room = len - (loc->col - 1);
    if (span > room) span = room;
    if (color) fputs("\033[1;32m", f);
    fputc('^', f);
    for (int i = 1; i < span && i < 200; i++) fputc('~', f);
    if (color) fputs("\033[0m", f);
    fputc('\n', f);
}

void diag_print(FILE *f, const Diag *d, int color)
{
    const char *red = color ? "\033[1;31m" : "", *off = color ? "\033[0m" : "";
    if (d->cmdline) {   /* as getopt and GNU programs word it */
        fprintf(f, "bp: %s\n", d->msg);
        if (d->note[0]) fprintf(f, "%s\n", d->note);
        return;
    }
    if (d->loc.src)
        fprintf(f, "%s:%d:%d: %serror:%s %s\n", d->loc.src->name, d->loc.line,
                d->loc.col, red, off, d->msg);
    else
        fprintf(f, "bp: %serror:%s %s\n", red, off, d->msg);
    if (d->loc.src)
        show_line(f, &d->loc, color);
    if (d->note[0])
        fprintf(f, "note: %s\n", d->note);
}

void diag_print_note(FILE *f, const Loc *loc, const char *msg, int color)
{
    const char *cy = color ? "\033[1;36m" : "", *off = color ? "\033[0m" : "";
    if (loc && loc->src)
        fprintf(f, "%s:%d:%d: %snote:%s %s\n", loc->src->name, loc->line, loc->col,
                cy, off, msg);
    else
        fprintf(f, "%snote:%s %s\n", cy, off, msg);
}

void diag_warn(FILE *f, const char *fmt, ...)
{
    va_list ap;
    fputs("bp: warning: ", f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}
