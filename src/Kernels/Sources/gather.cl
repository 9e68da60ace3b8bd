// Row gather: dst[i, :] = table[indices[i], :]. Indices were range-checked by index_check.cl first.
// One work-item per destination element, grid-stride over count * dim.

KERNEL void gather_rows(GLOBAL const UINT* RESTRICT table, LONG table_off,
                        GLOBAL const int* RESTRICT indices, LONG indices_off,
                        GLOBAL UINT* RESTRICT dst, LONG dst_off, LONG count, int dim)
{
    const LONG total = count * dim;
    for (LONG e = (LONG)GLOBAL_ID(0); e < total; e += (LONG)GLOBAL_SIZE(0))
    {
        const LONG i = e / dim;
        const LONG c = e - i * dim;
        dst[dst_off + e] = table[table_off + (LONG)indices[indices_off + i] * dim + c];
    }
}
