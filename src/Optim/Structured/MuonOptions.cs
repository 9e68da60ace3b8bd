namespace Engine.Optim.Structured;

/// <summary>How Muon scales the orthogonalized step of an m×n matrix (METHODS §4.4).</summary>
public enum MuonScale
{
    /// <summary>sqrt(max(1, m/n)), Keller Jordan's reference (default).</summary>
    Shape,

    /// <summary>
    /// 0.2·sqrt(max(m, n)), Moonlight's "match_rms_adamw": the step's RMS matches AdamW's, so AdamW's learning rate and
    /// decay suit the hidden matrices too (give them to Muon's chain: the reference lr 0.02 is for <see cref="Shape"/>).
    /// </summary>
    MatchAdamW,
}

/// <summary>
/// Hyperparameters of Muon (METHODS §4.4, Keller Jordan's reference muon.py), with its defaults; each value is checked
/// when set and a bad one throws naming the parameter. The learning rate (reference 0.02) comes with each step.
/// </summary>
public sealed record MuonOptions
{
    private readonly double _momentum = 0.95;
    private readonly int _newtonSchulzSteps = 5;
    private readonly double _weightDecay;

    /// <summary>β of M ← β M + (1 − β) G.</summary>
    public double Momentum
    {
        get => _momentum;
        init => _momentum = Hyperparameter.UnitInterval(value, nameof(Momentum));
    }

    /// <summary>Orthogonalize the Nesterov look-ahead (1 − β) G + β M (default) instead of M itself.</summary>
    public bool Nesterov { get; init; } = true;

    public int NewtonSchulzSteps
    {
        get => _newtonSchulzSteps;
        init
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(NewtonSchulzSteps), value, $"{nameof(NewtonSchulzSteps)} must be >= 1, got {value}");
            _newtonSchulzSteps = value;
        }
    }

    public MuonScale Scale { get; init => field = Hyperparameter.Defined(value, nameof(Scale)); } = MuonScale.Shape;

    /// <summary>The factor of the orthogonalized step of an m×n matrix under <see cref="Scale"/>.</summary>
    public double StepScale(int rows, int cols) => Scale == MuonScale.MatchAdamW
        ? 0.2 * Math.Sqrt(Math.Max(rows, cols))
        : Math.Sqrt(Math.Max(1.0, (double)rows / cols));

    /// <summary>Decoupled decay: W ← (1 − lr·wd) W before the orthogonalized step.</summary>
    public double WeightDecay
    {
        get => _weightDecay;
        init => _weightDecay = Hyperparameter.NonNegative(value, nameof(WeightDecay));
    }
}
