/* tensor.h: shapes, values, and the kernels of operations on tensors.
 *
 * A value has a shape: rank 0 (a scalar), rank 1 (a vector of d[0]
 * entries) or rank 2 (a matrix of d[0] rows and d[1] columns; rows are
 * samples).  Data is contiguous and row-major.  A scalar is the rank-0 case
 * of the same type, so every code path handles both. */
#ifndef BP_TENSOR_H
#define BP_TENSOR_H

#include <stddef.h>

typedef struct Shape {
    int rank;
    long d[2];
} Shape;

static inline long shape_size(Shape s)
{
    return s.rank == 0 ? 1 : s.rank == 1 ? s.d[0] : s.d[0] * s.d[1];
}

static inline int shape_eq(Shape a, Shape b)
{
    return a.rank == b.rank && (a.rank < 1 || a.d[0] == b.d[0]) &&
           (a.rank < 2 || a.d[1] == b.d[1]);
}

/* "scalar", "(3)" or "(2, 3)" */
void shape_str(Shape s, char *buf, size_t n);

/* The largest tensor bp can index (entries); the memory limit (set maxmem)
 * is usually smaller. */
#define TENSOR_MAX_ENTRIES (1L << 40)

/* Check a shape built from user numbers (zeros(n, m)) before anything is
 * allocated: whole and positive dimensions, and at most max_bytes of
 * doubles.  NULL, or why not (a static message). */
const char *shape_check(double n, double m, int rank, double max_bytes, Shape *out);

typedef struct Value {
    Shape shape;
    double *data;          /* shape_size(shape) entries, malloc'd */
} Value;

void value_init_scalar(Value *v, double x);
int value_set(Value *v, Shape shape, const double *data);   /* copies */
void value_free(Value *v);

/* NumPy broadcasting (right-aligned, a dimension of 1 stretches).  Returns
 * 0 and the result shape, or -1 when the shapes do not fit. */
int shape_broadcast(Shape a, Shape b, Shape *out);

/* The random numbers of randn: a normal N(0,1) stream from a seed, the same
 * on every machine (xoshiro256** and the polar method). */
typedef struct Rng { unsigned long long s[4]; int has_spare; double spare; } Rng;
void rng_seed(Rng *r, unsigned long long seed);
double rng_normal(Rng *r);

#endif
