using Engine.Kernels.Devices;

namespace Engine.Kernels.Fusion;

/// <summary>
/// Operands of one run of a <see cref="FusedProgram"/> over an index space of shape <see cref="Shape"/>.
/// Inputs are strided views whose Shape equals <see cref="Shape"/> (broadcast dimensions have stride 0);
/// outputs are dense row-major with that shape. Scalars bind the program's scalar parameters in order.
/// If the program has reduction nodes and <see cref="Reductions"/> is set, their final values (fp32, in the
/// program's reduction order) are written there, so callers can read norms without recomputing them.
/// <see cref="Contractions"/> gives each <see cref="Fx.Contract"/> of the program its extent and strides (program order).
/// </summary>
public sealed record FusedLaunch(long[] Shape, StridedSlice[] Inputs, BufferSlice[] Outputs, float[] Scalars,
                                 BufferSlice? Reductions = null, Contraction[]? Contractions = null)
{
    public long Count
    {
        get { long n = 1; foreach (var d in Shape) n *= d; return n; }
    }
}
