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

/* The forward of the run of element-wise slots that starts at
 * instruction k of t's program (eval.c; built): the following PC_FALL
 * instructions of element-wise tensor slots of one size whose operands
 * are of their size or scalars (kernels.h k_elem_blocks), 16 at most, and
 * the leaves among them (32 at most; done first, by `leaf`: eval.c's), a block of
 * entries at a time through all the slots, with the bits of the
 * slot-by-slot pass.  Returns r >= 2: instructions k .. k + r - 1 are
 * done, no error and every value finite (or not checked, as eval.c does
 * not for tanh, sin, cos, relu, neg); 0: no run of two slots, nothing
 * done; -r: something in the run of r instructions failed or was not
 * finite, values partly written: the caller does those one by one, which
 * names the node and gives the message. */
int fuse_forward(struct Tape *t, int k, void (*leaf)(struct Tape *, int));

/* Fusion on (1, the default) or off (0: fuse_plan marks nothing and
 * fuse_forward finds no run), for tests and benchmarks; a tape planned
 * before keeps its backward plan.  Returns the setting before. */
int fuse_use(int on);

#endif
