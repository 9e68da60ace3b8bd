namespace Engine.Kernels.Fusion;

/// <summary>
/// The hidden dimension of one <see cref="Fx.Contract"/> in a launch: <see cref="Length"/> terms, the k-th read
/// k·<see cref="StrideA"/> elements past the element's position in the first operand and k·<see cref="StrideB"/> in the second.
/// </summary>
public readonly record struct Contraction(long Length, long StrideA, long StrideB);
