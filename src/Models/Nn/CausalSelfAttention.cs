using Engine.Autograd;
using Engine.Kernels.Devices;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Models.Nn;

/// <summary>
/// Multi-head causal self-attention as nanoGPT's: one fused q, k, v projection weight ([3·width, width], "c_attn"),
/// per head softmax(q·kᵀ/√head_size + mask)·v, heads joined and projected back ("c_proj"). A position never attends
/// to a later one: the fused kernel computes only the causal half, the composed path adds <see cref="MaskedScore"/>
/// above the diagonal.
/// The projection runs as one product per row block of c_attn (q, k, v): each output is then dense and its
/// gradient lands in its third of the weight's gradient, where splitting one [B, T, 3C] output would pad and sum
/// three full-size gradients in the backward pass.
/// </summary>
public sealed class CausalSelfAttention
{
    /// <summary>Added to the score of a future position: exp() of it underflows to exactly 0 in the softmax.</summary>
    public const float MaskedScore = -1e30f;

    private readonly Variable _mask;

    public CausalSelfAttention(ModelParameters parameters, string name, int width, int heads, int blockSize, bool bias)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        if (width % heads != 0)
            throw new ArgumentException($"attention '{name}': width {width} is not divisible by {heads} heads", nameof(heads));
        Width = width;
        Heads = heads;
        BlockSize = blockSize;
        QkvProjection = new Linear(parameters, name + ".c_attn", width, 3 * width, bias, outputBlocks: 3, kind: ParameterKind.HiddenMatrix);
        OutputProjection = new Linear(parameters, name + ".c_proj", width, width, bias, ParameterRole.ResidualProjection, kind: ParameterKind.HiddenMatrix);
        _mask = parameters.Constant($"causal_mask[{blockSize}]", device => CausalMask(device, blockSize));
    }

    public int Width { get; }
    public int Heads { get; }
    public int HeadSize => Width / Heads;
    public int BlockSize { get; }
    public Linear QkvProjection { get; }
    public Linear OutputProjection { get; }

    /// <summary>x [B, T, width] with T ≤ block size → [B, T, width].</summary>
    public Variable Forward(Variable x)
    {
        if (x.Rank != 3 || x.Shape[2] != Width || x.Shape[1] > BlockSize)
            throw new ArgumentException(
                $"attention: input of shape [{string.Join(", ", x.Shape.ToArray())}] must be [batch, T ≤ {BlockSize}, {Width}]");
        var qkv = QkvProjection.ForwardBlocks(x);
        var joined = FusedKernel && Tensor.SupportsCausalAttention(x.Value.Device, HeadSize)
            ? Variable.CausalAttention(qkv[0], qkv[1], qkv[2], Heads)
            : ComposedAttention(qkv[0], qkv[1], qkv[2], x.Shape[0], x.Shape[1]);
        return OutputProjection.Forward(joined);
    }

    /// <summary>
    /// Whether to use the device's fused attention kernel where it has one (cpu with AVX-512, head sizes a multiple of 16);
    /// false composes attention from its parts everywhere — the reference the fused kernel is tested against.
    /// </summary>
    public bool FusedKernel { get; set; } = true;

    /// <summary>Attention from its parts: heads split out, scaled scores, the causal mask, softmax, heads merged back.</summary>
    private Variable ComposedAttention(Variable qBlock, Variable kBlock, Variable vBlock, int b, int t)
    {
        var q = SplitHeads(qBlock, b, t) * (1f / MathF.Sqrt(HeadSize));
        var k = SplitHeads(kBlock, b, t);
        var v = SplitHeads(vBlock, b, t);
        var scores = Variable.MatMul(q, k, transposeB: true) + Mask(t);   // [B, H, T, T]
        var y = Variable.MatMul(scores.Softmax(), v);                     // [B, H, T, hs]
        return y.Permute(0, 2, 1, 3).Reshape(b, t, Width);                // heads side by side again
    }

    /// <summary>[B, T, C] → dense [B, H, T, hs], the layout the batched GEMMs read in place.</summary>
    private Variable SplitHeads(Variable x, int b, int t) => x.Reshape(b, t, Heads, HeadSize).Permute(0, 2, 1, 3).Contiguous();

    private Variable Mask(int t) => t == BlockSize ? _mask : _mask.Slice(0, 0, t).Slice(1, 0, t);

    private static Tensor CausalMask(ComputeDevice device, int size)
    {
        var mask = new float[size * size];
        for (int row = 0; row < size; row++)
            for (int col = row + 1; col < size; col++) mask[row * size + col] = MaskedScore;
        return Tensor.FromArray(device, mask, size, size);
    }
}
