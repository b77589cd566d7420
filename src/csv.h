/* csv.h: load_csv: a numeric matrix from a CSV file. */
#ifndef BP_CSV_H
#define BP_CSV_H

#include <stddef.h>
#include "tensor.h"

/* Read path into *out (a matrix, rows × columns).  A first row that is not
 * numeric is a header and skipped; blank lines are skipped.  Returns 0, or
 * -1 with msg naming the file, line and column of the problem. */
int csv_load(const char *path, Value *out, char *msg, size_t n);

#endif
