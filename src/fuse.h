/* fuse.h: element-wise chains run fused, a block of entries at a time
 * through every slot of the chain (fuse.c). */
#ifndef BP_FUSE_H
#define BP_FUSE_H

struct Tape;

/* Backward fusion for the pruned pass (backprop_params): mark with bit
 * 32 of t->assign the element-wise slots under a sum or mean (unnamed
 * tensors of its input's size, each the only input use of its user) whose
 * rules that sum's rule runs, block by block, with the same bits
 * (fuse_bwd).  uses[j]: how many inputs of the tape's slots are slot j.
 * Needs t->need and t->assign (bits 1, 2) built. */
void fuse_plan(struct Tape *t, const int *uses);

/* In the pruned pass, slot i's rule when it is a sum or mean whose input
 * heads a tree fuse_plan marked: its share and the tree's rules, fused
 * (the tree's slots' own rules then do nothing, bit 16).  Returns 1 when
 * it did slot i's rule, 0 (nothing done) when that is the kernel's. */
int fuse_bwd(struct Tape *t, int i);

/* Fusion on (1, the default) or off (0: fuse_plan marks nothing), for
 * tests and benchmarks; a tape planned before keeps its plan.  Returns the
 * setting before. */
int fuse_use(int on);

#endif
