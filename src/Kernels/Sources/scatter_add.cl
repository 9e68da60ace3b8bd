// Deterministic scatter-add without atomics: table[indices[i], :] += src[i, :].
// Work-item c owns column c of the table and applies the rows i = 0, 1, ... in order, so repeated indices
// accumulate in the same order on every run and no two work-items touch the same element.
// Indices were range-checked by index_check.cl first.

KERNEL void scatter_add_columns(GLOBAL const float* RESTRICT src, LONG src_off,
                                GLOBAL const int* RESTRICT indices, LONG indices_off,
                                GLOBAL float* RESTRICT table, LONG table_off, LONG count, int dim)
{
    const LONG c = GLOBAL_ID(0);
    if (c >= dim) return;
    for (LONG i = 0; i < count; ++i)
    {
        const LONG at = table_off + (LONG)indices[indices_off + i] * dim + c;
        table[at] += src[src_off + i * dim + c];
    }
}

// The same additions for small tables, spread over rows x dim work-items instead of dim: work-item (r, c) owns
// table[r, c] and adds, in order i = 0, 1, ..., the src[i, c] whose index is r, so the sums are bit-identical to
// scatter_add_columns'. Every work-item scans all indices (neighbouring work-items share a row, so a warp reads each
// index once): worth it while rows x count stays small (an embedding table of a few hundred rows).
KERNEL void scatter_add_rows(GLOBAL const float* RESTRICT src, LONG src_off,
                             GLOBAL const int* RESTRICT indices, LONG indices_off,
                             GLOBAL float* RESTRICT table, LONG table_off, LONG count, int dim, LONG rows)
{
    const LONG id = GLOBAL_ID(0);
    if (id >= rows * dim) return;
    const int c = (int)(id % dim);
    const int r = (int)(id / dim);
    float acc = table[table_off + id];
    for (LONG i = 0; i < count; ++i)
        if (indices[indices_off + i] == r) acc += src[src_off + i * dim + c];
    table[table_off + id] = acc;
}
