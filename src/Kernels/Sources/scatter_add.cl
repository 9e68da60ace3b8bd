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
