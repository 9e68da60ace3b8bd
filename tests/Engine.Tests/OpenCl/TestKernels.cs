namespace Engine.Tests.OpenCl;

/// <summary>Small kernels written against the portable prelude, inline so no test source ships with the engine.</summary>
internal static class TestKernels
{
    public const string SourceName = "runtime_test.cl";

    public const string Source = """
        KERNEL void axpy(GLOBAL float* RESTRICT y, LONG y_off, GLOBAL const float* RESTRICT x, LONG x_off, float a, LONG n)
        {
            LONG i = GLOBAL_ID(0);
            if (i < n) y[y_off + i] = FMA(a, x[x_off + i], y[y_off + i]);
        }

        KERNEL void block_sum(GLOBAL const float* RESTRICT x, LONG x_off, GLOBAL float* RESTRICT sums, LONG sums_off,
                              LOCAL_MEM float* scratch, int n)
        {
            LONG l = LOCAL_ID(0);
            LONG i = GLOBAL_ID(0);
            scratch[l] = i < n ? x[x_off + i] : 0.0f;
            BARRIER();
            for (LONG s = LOCAL_SIZE(0) / 2; s > 0; s /= 2)
            {
                if (l < s) scratch[l] += scratch[l + s];
                BARRIER();
            }
            if (l == 0) sums[sums_off + GROUP_ID(0)] = scratch[0];
        }
        """;

    /// <summary>The error sits on line 3 of the file.</summary>
    public const string Broken = """
        KERNEL void broken(GLOBAL float* y)
        {
            y[0] = undeclared_name * 2.0f;
        }
        """;

    public static long RoundUp(long n, long multiple) => (n + multiple - 1) / multiple * multiple;
}
