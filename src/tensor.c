/* tensor.c: shapes, values, broadcasting, and the random numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tensor.h"
#include "xalloc.h"

void shape_str(Shape s, char *buf, size_t n)
{
    if (s.rank == 0) snprintf(buf, n, "scalar");
    else if (s.rank == 1) snprintf(buf, n, "(%ld)", s.d[0]);
    else snprintf(buf, n, "(%ld, %ld)", s.d[0], s.d[1]);
}

const char *shape_check(double n, double m, int rank, double max_bytes, Shape *out)
{
    static char msg[160];
    double d[2] = { n, m };
    for (int i = 0; i < rank; i++)
        if (!(d[i] >= 1) || d[i] != floor(d[i]) || isinf(d[i]))
            return "a dimension must be a whole number from 1 on";
    double size = rank == 1 ? d[0] : d[0] * d[1];   /* a double: no overflow */
    if (size * 8 > max_bytes || size > (double)TENSOR_MAX_ENTRIES) {
        snprintf(msg, sizeof msg, "%.3g entries would need %.3g MiB (the limit: set maxmem %.0f)",
                 size, size * 8 / 1048576, max_bytes / 1048576);
        return msg;
    }
    out->rank = rank;
    out->d[0] = (long)d[0];
    out->d[1] = rank == 2 ? (long)d[1] : 0;
    return NULL;
}

void value_init_scalar(Value *v, double x)
{
    v->shape = (Shape){ 0, { 0, 0 } };
    v->data = xmalloc(sizeof *v->data);
    v->data[0] = x;
}

int value_set(Value *v, Shape shape, const double *data)
{
    long n = shape_size(shape);
    if (!v->data || shape_size(v->shape) != n) {
        double *p = try_realloc(v->data, (size_t)n * sizeof *v->data);
        if (!p) return -1;
        v->data = p;
    }
    v->shape = shape;
    memmove(v->data, data, (size_t)n * sizeof *v->data);
    return 0;
}

void value_free(Value *v)
{
    free(v->data);
    v->data = NULL;
    v->shape = (Shape){ 0, { 0, 0 } };
}

int shape_broadcast(Shape a, Shape b, Shape *out)
{
    Shape r = a.rank >= b.rank ? a : b;
    /* right-align: compare the last axes, then the first */
    for (int k = 1; k <= r.rank; k++) {
        long da = k <= a.rank ? a.d[a.rank - k] : 1;
        long db = k <= b.rank ? b.d[b.rank - k] : 1;
        if (da != db && da != 1 && db != 1) return -1;
        r.d[r.rank - k] = da > db ? da : db;
    }
    *out = r;
    return 0;
}

/* xoshiro256** (Blackman and Vigna), seeded by splitmix64. */
static unsigned long long rotl(unsigned long long x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(Rng *r, unsigned long long seed)
{
    for (int i = 0; i < 4; i++) {
        unsigned long long z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
    r->has_spare = 0;
}

static double uniform(Rng *r)   /* in (-1, 1) */
{
    unsigned long long *s = r->s;
    unsigned long long out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return ((double)(out >> 11) * 0x1.0p-53) * 2 - 1;
}

/* Marsaglia's polar method: only sqrt and log, no trigonometry. */
double rng_normal(Rng *r)
{
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    double u, v, q;
    do {
        u = uniform(r);
        v = uniform(r);
        q = u * u + v * v;
    } while (q >= 1 || q == 0);
    double f = sqrt(-2 * log(q) / q);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}
