using Engine.Kernels.Devices;
using Engine.Models.Config;
using Engine.Optim.Structured;

namespace Engine.Models.Training;

/// <summary>The options of the structured methods as a <see cref="TrainConfig"/> sets them (validated there first).</summary>
internal static class MethodOptions
{
    public static CgfmOptions Cgfm(TrainConfig c) => new()
    {
        Rank = c.CgfmRank == 0 ? null : c.CgfmRank,
        ProjectionPeriod = c.CgfmRefresh,
        LambdaLocal = Trainer.Decimal(c.CgfmLambdaLocal),
        LambdaGlobal = Trainer.Decimal(c.CgfmLambdaGlobal),
        StepRule = c.CgfmStep switch { "l" => CgfmStepRule.Literal, "one" => CgfmStepRule.Unit, _ => CgfmStepRule.Relative },
        Basis = c.CgfmBasis == "randomized" ? CgfmBasisMethod.Randomized : CgfmBasisMethod.Exact,
    };

    public static SggOptions Sgg(TrainConfig c) => new()
    {
        Alpha = Trainer.Decimal(c.SggAlpha),
        ClipFactor = c.SggCTau == 0 ? null : Trainer.Decimal(c.SggCTau),
        NormEmaDecay = Trainer.Decimal(c.SggNormEma),
        SourceWeight = Trainer.Decimal(c.SggSourceWeight),
        ConflictProjection = c.SggProjection,
        ReferenceDirection = c.SggDirection == "support" ? SggReferenceDirection.Captured : SggReferenceDirection.Momentum,
        SourcePrecision = c.SggSourcePrecision == "bf16" ? DType.BFloat16 : DType.Float32,
    };

    public static SggFormAOptions SggFormA(TrainConfig c) => new()
    {
        Alpha = Trainer.Decimal(c.SggAAlpha),
        Beta = Trainer.Decimal(c.SggABeta),
        Gamma = Trainer.Decimal(c.SggAGamma),
        ClipFactor = Trainer.Decimal(c.SggACTau),
        NormEmaDecay = Trainer.Decimal(c.SggNormEma),
    };

    public static SpectralOptions Spectral(TrainConfig c) => new()
    {
        Source = c.SpectralGraph == "gradients" ? GraphSource.GradientCosine : GraphSource.Weights,
        Laplacian = c.SpectralLaplacian == "comb" ? LaplacianKind.Combinatorial : LaplacianKind.Symmetric,
        Response = c.SpectralFilter == "resolvent" ? SpectralResponse.Resolvent : SpectralResponse.HeatKernel,
        Tau = Trainer.Decimal(c.SpectralTau),
        Rho = Trainer.Decimal(c.SpectralRho),
        Penalty = Trainer.Decimal(c.SpectralLambda),
        Mode = c.SpectralMode switch { "exact" => SpectralFilterMode.Exact, "chebyshev" => SpectralFilterMode.Chebyshev, _ => SpectralFilterMode.Auto },
        ChebyshevOrder = c.SpectralOrder,
        ExactMaxRows = c.SpectralExactRows,
        GradientEmaDecay = Trainer.Decimal(c.SpectralEma),
        Reference = c.SpectralReference == "start" || (c.SpectralReference == "auto" && c.InitFrom is not null)
            ? SpectralReference.Start
            : SpectralReference.Zero,
        Neighbors = c.SpectralNeighbors,
        RebuildPeriod = c.SpectralRebuild,
        GraphWarmupSteps = c.SpectralWarmup,
    };

    public static MuonOptions Muon(TrainConfig c) => new()
    {
        Momentum = Trainer.Decimal(c.MuonMomentum),
        Nesterov = c.MuonNesterov,
        NewtonSchulzSteps = c.MuonNsSteps,
        Scale = c.MuonScale == "adamw" ? MuonScale.MatchAdamW : MuonScale.Shape,
    };
}
