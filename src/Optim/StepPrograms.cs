using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>Compiles a chain into the passes of a step: the fused update, or one pass per transform.</summary>
internal static class StepPrograms
{
    /// <summary>Phase R: ||g||² over the whole gradient buffer, as the program's one reduction (fp64 accumulation).</summary>
    public static FusedProgram GradNormSquared { get; } = BuildGradNormSquared();

    /// <summary>Phase U: reads p, g (and ||g||², state), applies every transform in registers, writes p and state once.</summary>
    public static UpdatePass Fused(TransformChain chain)
    {
        var context = new UpdateContext("optim_" + string.Join("_", chain.Transforms.Select(t => t.Name)));
        var update = context.Input(Operand.Grad, "g");
        for (int i = 0; i < chain.Transforms.Count; i++)
        {
            context.Enter(chain.Transforms[i], chain.FirstSlot[i]);
            update = chain.Transforms[i].Apply(update, context);
        }
        context.Output(Operand.Param, "p", context.Param + update);
        return context.Build();
    }

    /// <summary>
    /// The same chain transform by transform: pass i reads the update (the gradient for i = 0) and writes it to
    /// the update buffer; a last pass adds it to the parameters.
    /// </summary>
    public static UpdatePass[] Staged(TransformChain chain)
    {
        var passes = new List<UpdatePass>();
        for (int i = 0; i < chain.Transforms.Count; i++)
        {
            var transform = chain.Transforms[i];
            var context = new UpdateContext($"optim_{transform.Name}");
            var update = context.Input(i == 0 ? Operand.Grad : Operand.Update, "u");
            context.Enter(transform, chain.FirstSlot[i]);
            context.Output(Operand.Update, "u", transform.Apply(update, context));
            passes.Add(context.Build());
        }
        var apply = new UpdateContext("optim_apply_updates");
        apply.Output(Operand.Param, "p", apply.Param + apply.Input(Operand.Update, "u"));
        passes.Add(apply.Build());
        return passes.ToArray();
    }

    private static FusedProgram BuildGradNormSquared()
    {
        var f = new FusionBuilder("optim_grad_norm_sq");
        f.Reduction("grad_norm_sq", Fx.SumSquares(f.Input("g")));
        return f.Build();
    }
}
