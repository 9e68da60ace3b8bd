using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>Compiles chains into the passes of a step: phase R, the fused update, or one pass per transform.</summary>
internal static class StepPrograms
{
    /// <summary>
    /// Phase R: ||g||² when <paramref name="gradNorm"/> is set (result 0), then every structured link's reductions, in
    /// group order, as one program over the whole store (fp64 accumulation). Returns null when there is nothing to
    /// reduce, and the result indices of each link's reductions.
    /// </summary>
    public static (UpdatePass? Pass, Dictionary<(int Group, int Link), int[]> Results) Reduce(
        IReadOnlyList<TransformChain> groups, bool gradNorm)
    {
        var context = new UpdateContext("optim_reduce");
        if (gradNorm)
            context.GradNormSquaredResult = context.Reduction("grad_norm_sq", Fx.SumSquares(context.Input(Operand.Grad, "g")));
        var results = new Dictionary<(int, int), int[]>();
        for (int group = 0; group < groups.Count; group++)
            for (int link = 0; link < groups[group].Transforms.Count; link++)
                if (groups[group].Transforms[link] is StructuredTransform structured)
                {
                    context.Enter(groups[group], link, group);
                    var indices = structured.AddReductions(context);
                    if (indices.Count > 0) results[(group, link)] = indices.ToArray();
                }
        if (context.ReductionCount == 0) return (null, results);
        var pass = context.Build();
        // The compiler merges structurally equal reductions, which would shift every later result index.
        if (pass.Program.ReductionCount != context.ReductionCount)
            throw new InvalidOperationException(
                $"phase R: {context.ReductionCount} reductions compiled to {pass.Program.ReductionCount}; two links reduce the same expression");
        return (pass, results);
    }

    /// <summary>
    /// Phase U: reads p, g (and ||g||², state, link scalars), applies every transform in registers, writes p and state
    /// once. A clip in front of a link that applies the clip coefficient in phase S itself is left out. A chain with late
    /// structured links (<see cref="TransformChain.LateLinks"/>) gives one pass more per late link: each pass but the last
    /// writes the update buffer, the next starts from it (the late link's phase S runs between them).
    /// </summary>
    public static UpdatePass[] Fused(TransformChain chain, int group = 0, bool recordApplied = false)
    {
        int[] starts = [0, .. chain.LateLinks];
        var passes = new UpdatePass[starts.Length];
        for (int p = 0; p < starts.Length; p++)
        {
            int end = p + 1 < starts.Length ? starts[p + 1] : chain.Transforms.Count;
            var input = p == 0 ? Operand.Grad : Operand.Update;
            var links = chain.Transforms.Skip(starts[p]).Take(end - starts[p]);
            var context = new UpdateContext("optim_" + string.Join("_", links.Select(t => t.Name)), input);
            var update = context.Input(input, p == 0 ? "g" : "u");
            for (int i = starts[p]; i < end; i++)
            {
                bool absorbed = chain.Transforms[i] is ClipGlobalNorm && i + 1 < chain.Transforms.Count
                                && chain.Transforms[i + 1] is StructuredTransform { AbsorbsInputScale: true };
                if (absorbed) continue;
                context.Enter(chain, i, group);
                update = chain.Transforms[i].Apply(update, context);
            }
            if (end == chain.Transforms.Count) Apply(context, update, recordApplied);
            else context.Output(Operand.Update, "u", update);
            passes[p] = context.Build();
        }
        return passes;
    }

    /// <summary>
    /// The same chain transform by transform: pass i reads the update (the gradient for i = 0) and writes it to
    /// the update buffer; a last pass adds it to the parameters.
    /// </summary>
    public static UpdatePass[] Staged(TransformChain chain, int group = 0, bool recordApplied = false)
    {
        var passes = new List<UpdatePass>();
        for (int i = 0; i < chain.Transforms.Count; i++)
        {
            var transform = chain.Transforms[i];
            var input = i == 0 ? Operand.Grad : Operand.Update;
            var context = new UpdateContext($"optim_{transform.Name}", input);
            var update = context.Input(input, "u");
            context.Enter(chain, i, group);
            context.Output(Operand.Update, "u", transform.Apply(update, context));
            passes.Add(context.Build());
        }
        var apply = new UpdateContext("optim_apply_updates");
        Apply(apply, apply.Input(Operand.Update, "u"), recordApplied);
        passes.Add(apply.Build());
        return passes.ToArray();
    }

    /// <summary>
    /// p += update, and with <paramref name="recordApplied"/> the update written for the step statistics, in bfloat16
    /// (2 B/param): it only feeds a cosine, whose rounding error then averages out over the parameters.
    /// </summary>
    private static void Apply(UpdateContext context, Expr update, bool recordApplied)
    {
        context.Output(Operand.Param, "p", context.Param + update);
        if (recordApplied) context.Output(Operand.AppliedUpdate, "u_applied", update, StepStatistics.AppliedUpdateStorage);
    }

    /// <summary>c = min(1, maxNorm / (sqrt(||g||²) + 1e-6)), ClipGlobalNorm's coefficient, as a device scalar for phase S.</summary>
    public static FusedProgram ClipCoefficient { get; } = BuildClipCoefficient();

    private static FusedProgram BuildClipCoefficient()
    {
        var f = new FusionBuilder("optim_clip_coefficient");
        var gradNormSquared = f.Input("grad_norm_sq");
        var maxNorm = f.Scalar("max_norm");
        f.Output("c", Fx.Min(1f, maxNorm / (Fx.Sqrt(gradNormSquared) + 1e-6f)));
        return f.Build();
    }
}
