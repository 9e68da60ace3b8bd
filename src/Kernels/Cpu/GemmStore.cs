namespace Engine.Kernels.Cpu;

/// <summary>
/// How a micro-kernel writes its tile of A*B into C: C = Alpha*AB + Beta*C on the first depth block
/// (Beta = 0 never reads C, so garbage or NaN in C does not leak through), C += Alpha*AB on later ones.
/// </summary>
internal readonly record struct GemmStore(float Alpha, float Beta, bool Accumulate);
