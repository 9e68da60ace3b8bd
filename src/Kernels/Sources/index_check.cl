// Finds the first Int32 index outside [0, limit). Work-group g scans a grid-stride share of the indices,
// keeps the smallest bad position of each thread and reduces them by a tree; it writes that position, or
// -1 when its share is clean, to first_bad[g]. The host takes the minimum over the groups.
// WG_SIZE (a power of two, the launch's local size) comes from the build options.

#ifndef WG_SIZE
#define WG_SIZE 256
#endif

KERNEL void index_check(GLOBAL const int* RESTRICT indices, LONG indices_off, LONG count, int limit,
                        GLOBAL LONG* RESTRICT first_bad, LONG first_bad_off)
{
    LOCAL_MEM LONG bad[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    LONG mine = -1;
    for (LONG i = (LONG)GLOBAL_ID(0); i < count; i += (LONG)GLOBAL_SIZE(0))
    {
        const int v = indices[indices_off + i];
        if (v < 0 || v >= limit) { mine = i; break; }
    }
    bad[lid] = mine;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s)
        {
            const LONG other = bad[lid + s];
            if (other >= 0 && (bad[lid] < 0 || other < bad[lid])) bad[lid] = other;
        }
        BARRIER();
    }
    if (lid == 0) first_bad[first_bad_off + GROUP_ID(0)] = bad[0];
}
