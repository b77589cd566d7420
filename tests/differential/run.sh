#!/bin/sh
# make check's quick run of the differential test: 200 random programs,
# seed 1 (deterministic), bp against PyTorch float64.  SKIP (77) without
# /usr/bin/python3 or torch.  `make check-differential` runs a longer one.
: "${BP:?BP must name the bp binary (set by make check)}"
[ -x /usr/bin/python3 ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/differential.py" "$BP" "${DIFF_N:-200}" "${DIFF_SEED:-1}"
