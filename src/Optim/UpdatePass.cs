using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// One compiled elementwise pass of an optimizer step: a fused program and the flat operands its inputs and
/// outputs bind to, plus how each of its scalars is computed for a launch.
/// </summary>
internal sealed record UpdatePass(FusedProgram Program, Operand[] Inputs, Operand[] Outputs, Func<StepContext, double>[] Scalars)
{
    public float[] ScalarValues(StepContext context)
    {
        var values = new float[Scalars.Length];
        for (int k = 0; k < values.Length; k++) values[k] = (float)Scalars[k](context);
        return values;
    }
}
