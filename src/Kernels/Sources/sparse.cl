// Sparse × dense, batched (SparseMatMulSpec): out_b[r, :] = Σ values[p] · x_b[columns[p], :] over row r's entries, in
// entry order. One work-item per output element: the work-items of a row share its entries (broadcast reads) and read
// rows of x along contiguous columns. The host does not wait to check the entries, so any outside the room or pointing
// outside x's rows are skipped here rather than read.

KERNEL void sparse_matmul(GLOBAL const int* RESTRICT starts, LONG starts_off,
                          GLOBAL const int* RESTRICT columns, LONG columns_off,
                          GLOBAL const float* RESTRICT values, LONG values_off,
                          GLOBAL const float* RESTRICT x, LONG x_off,
                          GLOBAL float* RESTRICT out, LONG out_off,
                          int batch, int rows, int inner, int cols, int capacity)
{
    const LONG e = GLOBAL_ID(0);
    const LONG per_matrix = (LONG)rows * cols;
    if (e >= (LONG)batch * per_matrix) return;
    const LONG b = e / per_matrix;
    const LONG in_matrix = e - b * per_matrix;
    const LONG r = in_matrix / cols;
    const LONG c = in_matrix - r * cols;
    const GLOBAL int* row_starts = starts + starts_off + b * (rows + 1);
    const int first = row_starts[r], last = row_starts[r + 1];
    const int begin = first > 0 ? first : 0;
    const int end = last < capacity ? last : capacity;
    const LONG entries = columns_off + b * capacity, weights = values_off + b * capacity;
    const LONG base = x_off + b * (LONG)inner * cols + c;
    float sum = 0.0f;
    for (int p = begin; p < end; p++)
    {
        const int column = columns[entries + p];
        if (column >= 0 && column < inner) sum = FMA(values[weights + p], x[base + (LONG)column * cols], sum);
    }
    out[out_off + e] = sum;
}
