using System.Numerics.Tensors;

namespace Engine.Kernels.Cpu;

/// <summary>
/// GEMM without packing, for problems so small that copying panels would cost more than it saves:
/// row-times-matrix updates when op(B) rows are contiguous, dot products when B is transposed.
/// </summary>
internal static unsafe class GemmSmall
{
    public static void Run(in GemmProblem p)
    {
        for (int i = 0; i < p.M; i++)
        {
            float* c = p.C + i * p.Ldc;
            if (p.TransB) DotRow(p, i, c);
            else AxpyRow(p, i, c);
        }
    }

    /// <summary>C[i, :] = beta * C[i, :] + sum_k (alpha * A[i, k]) * B[k, :].</summary>
    private static void AxpyRow(in GemmProblem p, int i, float* c)
    {
        var row = new Span<float>(c, p.N);
        if (p.Beta == 0) row.Clear();
        else if (p.Beta != 1) TensorPrimitives.Multiply(row, p.Beta, row);
        for (int k = 0; k < p.K; k++)
        {
            float scale = p.Alpha * *p.AAt(i, k);
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(p.BAt(k, 0), p.N), scale, row, row);
        }
    }

    /// <summary>C[i, j] = alpha * dot(A[i, :], B stored row j) + beta * C[i, j].</summary>
    private static void DotRow(in GemmProblem p, int i, float* c)
    {
        for (int j = 0; j < p.N; j++)
        {
            float* b = p.BAt(0, j);
            float dot;
            if (p.TransA)
            {
                dot = 0;
                for (int k = 0; k < p.K; k++) dot += *p.AAt(i, k) * b[k];
            }
            else
            {
                dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(p.AAt(i, 0), p.K), new ReadOnlySpan<float>(b, p.K));
            }
            c[j] = p.Beta == 0 ? p.Alpha * dot : p.Alpha * dot + p.Beta * c[j];
        }
    }
}
