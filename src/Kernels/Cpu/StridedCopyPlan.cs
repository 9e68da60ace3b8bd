using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// A strided copy on the cpu over its simplest equivalent layout (<see cref="CopyLayout"/>): a dense copy
/// becomes one memmove, a transpose keeps only the dimensions that really jump.
/// </summary>
internal sealed unsafe class StridedCopyPlan
{
    private readonly long[] _shape;
    private readonly long[] _srcStrides;
    private readonly long[] _dstStrides;

    private StridedCopyPlan(CopyLayout layout)
    {
        _shape = layout.Shape;
        _srcStrides = layout.SrcStrides;
        _dstStrides = layout.DstStrides;
        Count = layout.Count;
    }

    public long Count { get; }

    public static StridedCopyPlan Create(StridedSlice src, StridedSlice dst, int maxRank) =>
        new(CopyLayout.Create(src, dst, maxRank));

    /// <summary>Copies 4-byte elements; rows of the innermost dimension are split over the cores.</summary>
    public void Run(int* source, int* target)
    {
        if (IsTranspose)
        {
            RunTransposed((float*)source, (float*)target);
            return;
        }
        int inner = _shape.Length - 1;
        long rowLength = _shape[inner];
        long rows = Count / rowLength;
        long minRows = Math.Max(1, CpuParallel.MinElementsPerWorker / rowLength);
        if (rows == 1 && rowLength >= 2 * CpuParallel.MinElementsPerWorker)
        {
            // One long row: split the row itself.
            long s = _srcStrides[inner], d = _dstStrides[inner];
            bool streaming = s == 1 && d == 1 && StreamingStores.Applies(rowLength);
            CpuParallel.For(rowLength, CpuParallel.MinElementsPerWorker, (begin, end) =>
            {
                if (streaming) StreamingStores.Copy(source + begin, target + begin, end - begin);
                else CopyRow(source + begin * s, s, target + begin * d, d, end - begin);
            });
            return;
        }
        CpuParallel.For(rows, minRows, (begin, end) => CopyRows(source, target, begin, end));
    }

    /// <summary>
    /// The last two dimensions swap which one is contiguous (src walks the second-to-last, dst the last): a matrix
    /// transpose, done in register blocks (16 x 16, or 8 x 8 without AVX-512) instead of element by element with a cache miss per
    /// read.
    /// </summary>
    private bool IsTranspose
    {
        get
        {
            int r = _shape.Length;
            return RegisterTranspose.IsSupported && r >= 2 && _srcStrides[r - 2] == 1 && _dstStrides[r - 1] == 1
                   && _shape[r - 2] >= 16 && _shape[r - 1] >= 16;
        }
    }

    private void RunTransposed(float* source, float* target)
    {
        int r = _shape.Length;
        long columns = _shape[r - 2], rows = _shape[r - 1];
        long srcRowStride = _srcStrides[r - 1], dstColumnStride = _dstStrides[r - 2];
        long matrices = Count / (rows * columns);
        long columnBlocks = (columns + 15) / 16;
        CpuParallel.For(matrices * columnBlocks, Math.Max(1, CpuParallel.MinElementsPerWorker / (16 * rows)), (begin, end) =>
        {
            for (long task = begin; task < end; task++)
            {
                long matrix = task / columnBlocks, c0 = task % columnBlocks * 16;
                OuterOffsets(matrix, r - 2, out long srcOffset, out long dstOffset);
                float* src = source + srcOffset + c0;
                float* dst = target + dstOffset + c0 * dstColumnStride;
                RegisterTranspose.Matrix(src, srcRowStride, rows, Math.Min(16, columns - c0), dst, dstColumnStride);
            }
        });
    }

    /// <summary>Offsets of the <paramref name="index"/>-th combination of the first <paramref name="dims"/> dimensions.</summary>
    private void OuterOffsets(long index, int dims, out long srcOffset, out long dstOffset)
    {
        srcOffset = 0;
        dstOffset = 0;
        for (int d = dims - 1; d >= 0; d--)
        {
            long i = index % _shape[d];
            index /= _shape[d];
            srcOffset += i * _srcStrides[d];
            dstOffset += i * _dstStrides[d];
        }
    }

    private void CopyRows(int* source, int* target, long firstRow, long endRow)
    {
        int inner = _shape.Length - 1;
        Span<long> index = stackalloc long[Math.Max(1, inner)];
        long srcOffset = 0, dstOffset = 0, rest = firstRow;
        for (int d = inner - 1; d >= 0; d--)
        {
            index[d] = rest % _shape[d];
            rest /= _shape[d];
            srcOffset += index[d] * _srcStrides[d];
            dstOffset += index[d] * _dstStrides[d];
        }
        for (long row = firstRow; row < endRow; row++)
        {
            CopyRow(source + srcOffset, _srcStrides[inner], target + dstOffset, _dstStrides[inner], _shape[inner]);
            for (int d = inner - 1; d >= 0; d--)
            {
                srcOffset += _srcStrides[d];
                dstOffset += _dstStrides[d];
                if (++index[d] < _shape[d]) break;
                srcOffset -= _shape[d] * _srcStrides[d];
                dstOffset -= _shape[d] * _dstStrides[d];
                index[d] = 0;
            }
        }
    }

    private static void CopyRow(int* source, long srcStride, int* target, long dstStride, long length)
    {
        if (srcStride == 1 && dstStride == 1)
        {
            ShortRows.Copy(source, target, length);
        }
        else if (srcStride == 0 && dstStride == 1)
        {
            int value = *source;
            for (long i = 0; i < length; i += int.MaxValue)
                new Span<int>(target + i, (int)Math.Min(int.MaxValue, length - i)).Fill(value);
        }
        else
        {
            for (long i = 0; i < length; i++) target[i * dstStride] = source[i * srcStride];
        }
    }
}
