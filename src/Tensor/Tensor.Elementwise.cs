using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Tensors;

/// <summary>Elementwise ops with NumPy broadcasting; each one runs a program of the fusion compiler.</summary>
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Map(ElementwiseOps.Add, "Add", [], a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Map(ElementwiseOps.Sub, "Sub", [], a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Map(ElementwiseOps.Mul, "Mul", [], a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Map(ElementwiseOps.Div, "Div", [], a, b);
    public static Tensor operator -(Tensor a) => Map(ElementwiseOps.Neg, "Neg", [], a);

    public static Tensor operator +(Tensor a, float s) => Map(ElementwiseOps.AddScalar, "Add", [s], a);
    public static Tensor operator +(float s, Tensor a) => a + s;
    public static Tensor operator -(Tensor a, float s) => a + (-s);
    public static Tensor operator -(float s, Tensor a) => Map(ReversedScalarOps.Sub, "Sub", [s], a);
    public static Tensor operator *(Tensor a, float s) => Map(ElementwiseOps.Scale, "Mul", [s], a);
    public static Tensor operator *(float s, Tensor a) => a * s;
    public static Tensor operator /(Tensor a, float s) => a * (1f / s);
    public static Tensor operator /(float s, Tensor a) => Map(ReversedScalarOps.Div, "Div", [s], a);

    public Tensor Neg() => -this;
    public Tensor Abs() => Map(ElementwiseOps.Abs, "Abs", [], this);
    public Tensor Exp() => Map(ElementwiseOps.Exp, "Exp", [], this);
    public Tensor Log() => Map(ElementwiseOps.Log, "Log", [], this);
    public Tensor Sqrt() => Map(ElementwiseOps.Sqrt, "Sqrt", [], this);
    public Tensor Rsqrt() => Map(ElementwiseOps.Rsqrt, "Rsqrt", [], this);
    public Tensor Tanh() => Map(ElementwiseOps.Tanh, "Tanh", [], this);
    public Tensor Relu() => Map(ElementwiseOps.Relu, "Relu", [], this);

    /// <summary>GELU, tanh approximation (as GPT-2 and nanoGPT).</summary>
    public Tensor Gelu() => Map(ElementwiseOps.Gelu, "Gelu", [], this);

    public Tensor Pow(float exponent) => Map(ElementwiseOps.PowScalar, "Pow", [exponent], this);

    public static Tensor Maximum(Tensor a, Tensor b) => Map(ElementwiseOps.Maximum, "Maximum", [], a, b);
    public static Tensor Minimum(Tensor a, Tensor b) => Map(ElementwiseOps.Minimum, "Minimum", [], a, b);

    /// <summary>condition ≠ 0 ? a : b, broadcasting all three.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Map(ElementwiseOps.Where, "Where", [], condition, a, b);

    /// <summary>
    /// This tensor's values as <paramref name="dtype"/> (Float32 or BFloat16; to bfloat16 rounded to nearest even), in a
    /// new dense tensor.
    /// </summary>
    public Tensor Cast(DType dtype)
    {
        if (DType is not (DType.Float32 or DType.BFloat16) || dtype is not (DType.Float32 or DType.BFloat16))
            throw new ArgumentException($"Cast: converts between Float32 and BFloat16, not {DType} to {dtype}");
        return Map(ElementwiseOps.Convert(DType, dtype), "Cast", [], this);
    }

    /// <summary>
    /// Runs a fused elementwise program over the broadcast shape of <paramref name="inputs"/> into one new tensor
    /// (of the program's output storage type; each input must have its input's).
    /// This is the one path every elementwise op takes; callers with their own programs use it too.
    /// </summary>
    public static Tensor Map(FusedProgram program, string op, float[] scalars, params Tensor[] inputs)
    {
        if (inputs.Length == 0) throw new ArgumentException($"{op}: no inputs");
        var first = inputs[0];
        int[] shape = first.ShapeArray;
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            t.ThrowIfDisposed();
            t.RequireDType(i < program.InputCount ? program.InputStorage[i] : DType.Float32, op);
            first.RequireSameDevice(t, op);
            shape = ShapeMath.Broadcast(shape, t.ShapeArray, op);
        }
        var result = AllocateForOutput(first.Device, shape, program.OutputCount > 0 ? program.OutputStorage[0] : DType.Float32);   // the map writes every element
        if (result.Count == 0) return result;
        // A rank-0 tensor runs as one element of rank 1: kernels index at least one dimension.
        var launchShape = shape.Length == 0 ? [1L] : Array.ConvertAll(shape, d => (long)d);
        var launchTarget = shape.Length == 0 ? [1] : shape;
        var operands = new StridedSlice[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            var strides = ShapeMath.BroadcastStrides(t.ShapeArray, t._strides, launchTarget);
            operands[i] = new StridedSlice(t.Buffer, t.Offset, launchShape, strides);
        }
        first.Device.RunFused(program, new FusedLaunch(launchShape, operands, [result.DataSlice], scalars));
        return result;
    }
}
