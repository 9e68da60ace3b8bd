using System.Reflection;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Fusion;

/// <summary>The SIMD vector type CPU kernels are compiled for: Vector512 where the hardware has it, else Vector256.</summary>
internal sealed class CpuVectorIsa
{
    private CpuVectorIsa(Type statics, Type vector, Type doubleVector, string suffix)
    {
        Statics = statics;
        Vector = vector;
        DoubleVector = doubleVector;
        Width = (int)vector.GetProperty("Count")!.GetValue(null)!;
        Load = Helper("Load" + suffix);
        Store = Helper("Store" + suffix);
        Stream = Helper("Stream" + suffix);
        LoadBf16 = Helper("LoadBf16x" + suffix);
        StoreBf16 = Helper("StoreBf16x" + suffix);
        HorizontalMax = typeof(CpuKernelMemory).GetMethod(nameof(CpuKernelMemory.HorizontalMax), [vector])!;
    }

    public static CpuVectorIsa Best { get; } = Vector512.IsHardwareAccelerated
        ? new(typeof(Vector512), typeof(Vector512<float>), typeof(Vector512<double>), "512")
        : new(typeof(Vector256), typeof(Vector256<float>), typeof(Vector256<double>), "256");

    /// <summary>The static class with the operations (Vector512 or Vector256).</summary>
    public Type Statics { get; }
    public Type Vector { get; }
    public Type DoubleVector { get; }
    public int Width { get; }
    public MethodInfo Load { get; }
    public MethodInfo Store { get; }

    /// <summary>Load and store of bfloat16 storage (widened to, and rounded from, the fp32 vector).</summary>
    public MethodInfo LoadBf16 { get; }
    public MethodInfo StoreBf16 { get; }

    /// <summary>Store that bypasses the caches when aligned (for outputs much larger than the caches).</summary>
    public MethodInfo Stream { get; }
    public MethodInfo HorizontalMax { get; }

    /// <summary>A generic operation of the static class instantiated for <paramref name="element"/>, e.g. Sqrt&lt;float&gt;.</summary>
    public MethodInfo Generic(string name, int arity, Type element) =>
        Statics.GetMethods(BindingFlags.Public | BindingFlags.Static)
               .Single(m => m.Name == name && m.IsGenericMethodDefinition && m.GetParameters().Length == arity
                            && m.GetParameters().All(p => p.ParameterType.IsGenericType))
               .MakeGenericMethod(element);

    /// <summary>A non-generic overload of the static class with exactly these parameter types.</summary>
    public MethodInfo Exact(string name, params Type[] parameters) =>
        Statics.GetMethod(name, BindingFlags.Public | BindingFlags.Static, parameters)
        ?? throw new MissingMethodException(Statics.Name, name);

    private static MethodInfo Helper(string name) =>
        typeof(CpuKernelMemory).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
}
