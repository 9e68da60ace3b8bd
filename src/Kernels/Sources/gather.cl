// Row gather: dst[i, :] = table[indices[i], :]. Indices were range-checked by index_check.cl first.
// One work-item per destination element.

KERNEL void gather_rows(GLOBAL const UINT* RESTRICT table, LONG table_off,
                        GLOBAL const int* RESTRICT indices, LONG indices_off,
                        GLOBAL UINT* RESTRICT dst, LONG dst_off, LONG count, int dim)
{
    const LONG total = count * dim;
    const LONG e = GLOBAL_ID(0);
    if (e >= total) return;
    const LONG i = e / dim;
    const LONG c = e - i * dim;
    dst[dst_off + e] = table[table_off + (LONG)indices[indices_off + i] * dim + c];
}
