using System.Globalization;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Autograd;
using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Gpt;
using Engine.Models.Nn;
using Engine.Models.Text;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tensors;

namespace Engine.Models.Training;

/// <summary>
/// nanoGPT's train.py as a class: builds the data, the tokenizer, the model and the optimizer from a
/// <see cref="TrainConfig"/>, optionally resumes from the latest complete checkpoint in OutDir, and runs steps
/// (batch → forward → mean cross-entropy → backward → fused optimizer step). Every EvalInterval steps and at the
/// end it measures the validation loss; every CheckpointInterval steps, at the end and when cancelled it writes a
/// checkpoint. Each step's temporaries live in one <see cref="TensorScope"/>, so memory stays flat.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly BlockSampler _trainSampler;
    private readonly BlockSampler _valSampler;
    private readonly BlockSampler? _sourceSampler;
    private readonly SupportSet? _supportSet;
    /// <summary>SGG form A (--sgg-form a), run around a plain base chain; null otherwise.</summary>
    private readonly SggFormA? _formA;
    private readonly int[] _inputs;
    private readonly int[] _targets;
    private readonly CheckpointStore _checkpoints;
    private readonly List<string> _warnings = [];
    private readonly StabilityMetrics _stability;
    private readonly StartingWeights _start;
    private long _savedStep = -1;

    /// <param name="config">The run's settings; invalid ones throw <see cref="ArgumentException"/> naming every flag at fault.</param>
    /// <param name="resume">Continue from the latest complete checkpoint in <c>config.OutDir</c> when there is one.</param>
    /// <param name="device">The device to train on; null opens <c>config.Device</c> through <see cref="DeviceRegistry"/>.</param>
    /// <exception cref="CheckpointMismatchException">Resuming a checkpoint of another model shape, tokenizer or optimizer.</exception>
    public Trainer(TrainConfig config, bool resume = false, ComputeDevice? device = null)
        : this(Validated(config), device, warn => resume ? new CheckpointStore(config.OutDir).LoadLatest(warn) : null)
    {
    }

    /// <summary>Continues <paramref name="resumeFrom"/>, a checkpoint the caller loaded from <c>config.OutDir</c>.</summary>
    /// <inheritdoc cref="Trainer(TrainConfig, bool, ComputeDevice?)"/>
    public Trainer(TrainConfig config, Checkpoint resumeFrom, ComputeDevice? device = null)
        : this(Validated(config), device, _ => resumeFrom ?? throw new ArgumentNullException(nameof(resumeFrom)))
    {
    }

    /// <param name="loadCheckpoint">The checkpoint to resume (null: a new run), given where to report the damaged ones passed over.</param>
    private Trainer(TrainConfig config, ComputeDevice? device, Func<Action<string>, Checkpoint?> loadCheckpoint)
    {
        _checkpoints = new CheckpointStore(config.OutDir);
        var checkpoint = loadCheckpoint(_warnings.Add);
        if (checkpoint is not null)
        {
            TrainingCheckpoint.RequireCompatible(checkpoint, config);
            config = config with { InitFrom = RequireSameOrigin(checkpoint, config.InitFrom) };
        }
        // A resumed run continues its own checkpoint; --init-from only starts a fresh one, and is recorded as a full path.
        var initial = checkpoint is null && config.InitFrom is { } from ? CheckpointStore.Locate(from, _warnings.Add) : null;
        if (initial is not null)
        {
            TrainingCheckpoint.RequireSameModel(initial, config, config.InitFrom!);
            config = config with { InitFrom = Path.GetFullPath(config.InitFrom!) };
        }
        Config = config;

        Data = LoadData(config, checkpoint ?? initial);
        Device = device ?? DeviceRegistry.Open(config.Device);
        Model = new GptModel(GptConfig.From(config, Data.Tokenizer.VocabSize), Device, InitSchemes.Parse(config.Init), config.Seed);
        try
        {
            Optimizer = CreateOptimizer(config, Model.Parameters.Store, new StepStatisticsOptions(config.LogInterval, config.UpdateAlignment));
            _stability = new StabilityMetrics(config.StabilityWindow);
            _trainSampler = Data.Dataset.CreateSampler(DataSplit.Train, config.BlockSize, config.BatchSize, config.Seed);
            _valSampler = Data.Dataset.CreateSampler(DataSplit.Val, config.BlockSize, config.BatchSize, config.Seed + 1);
            if (config.Optim == "sgg" && config.SggForm == "a") _formA = new SggFormA(MethodOptions.SggFormA(config));
            if (Optimizer.UsesSourceGradient || _formA is not null) _sourceSampler = CreateSourceSampler(config, Data);
            if (Optimizer.UsesReferenceDirection)
                _supportSet = new SupportSet(Data.Dataset.Train, config.SggSupportBlocks, config.BlockSize, config.BatchSize);
            if (checkpoint is not null)
            {
                Restore(checkpoint);
                _start = StartingWeights.Rebuild(config, Model.Config, Device, checkpoint.Manifest.Extra[StartHashKey]?.GetValue<string>(),
                                                 _warnings.Add);
            }
            else
            {
                if (initial is not null)
                {
                    TrainingCheckpoint.LoadWeights(initial, Model);
                    InitializedFrom = initial.Name;
                }
                _start = StartingWeights.Of(Model.Parameters.Store.ExportValues());
            }
        }
        catch
        {
            Optimizer?.Dispose();
            Model.Dispose();
            throw;
        }
        _inputs = new int[config.BatchSize * config.BlockSize];
        _targets = new int[_inputs.Length];
    }

    public TrainConfig Config { get; }

    private static TrainConfig Validated(TrainConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = config.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid training configuration: " + string.Join("; ", errors), nameof(config));
        return config;
    }
    public TrainingData Data { get; }
    public ComputeDevice Device { get; }
    public GptModel Model { get; }
    public Optimizer Optimizer { get; }

    /// <summary>Steps taken so far (including those before a resume).</summary>
    public long Step => Optimizer.StepCount;

    /// <summary>The checkpoint this trainer resumed from, or null for a fresh run.</summary>
    public string? ResumedFrom { get; private set; }

    /// <summary>The checkpoint whose weights started this run (<see cref="TrainConfig.InitFrom"/>), or null.</summary>
    public string? InitializedFrom { get; private set; }

    /// <summary>What the user should hear about setting up the run: damaged checkpoints passed over (<see cref="CheckpointStore.LoadLatest"/>).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>The checkpoint written last (or resumed from), or null when there is none yet.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>
    /// Trains until MaxIters steps are done or <paramref name="cancellationToken"/> is cancelled; cancellation is
    /// checked between steps, and a cancelled run writes a checkpoint of its last complete step (a save is never
    /// interrupted, and the previous checkpoint stays valid until the new one is complete). A run diverges when the
    /// train loss or gradient norm (read on log, eval and checkpoint steps), the val loss, or, before any save, the
    /// weights stop being finite, or when an optimizer's host work reads NaN or ∞ (<see cref="OptimizerDivergedException"/>,
    /// reported at the last complete step): it is reported at that step and stops without writing a checkpoint
    /// (<see cref="TrainResult.Divergence"/>).
    /// </summary>
    public TrainResult Run(IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var wall = Stopwatch.StartNew();
        long firstStep = Step;
        double trainLoss = double.NaN, valLoss = double.NaN;
        string? checkpoint = null, divergence = null;
        long? divergedAt = null;
        long stepsSinceReport = 0, ticksSinceReport = 0;
        bool cancelled = false;
        while (Step < Config.MaxIters)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }
            long step = Step + 1;
            bool log = step % Config.LogInterval == 0 || step == Config.MaxIters;
            bool eval = step % Config.EvalInterval == 0 || step == Config.MaxIters;
            bool save = step % Config.CheckpointInterval == 0 || step == Config.MaxIters;
            // A checkpoint step reads its loss too: one scalar, and no checkpoint is written from a diverged run.
            bool read = log || eval || save;
            double learningRate = Optimizer.NextLearningRate ?? double.NaN;
            long start = Stopwatch.GetTimestamp();
            double loss;
            try
            {
                loss = TrainStep(readLoss: read);
            }
            catch (OptimizerDivergedException e)
            {
                // The weights the step read were already broken: nothing to save from here on. The step did not finish,
                // so the optimizer's count is one short of the step that found it.
                divergence = e.Message;
                divergedAt = step;
                break;
            }
            double gradNorm = read ? Optimizer.ReadGradNorm() : double.NaN;
            ticksSinceReport += Stopwatch.GetTimestamp() - start;
            stepsSinceReport++;
            if (read) divergence = NotFinite("train loss", loss) ?? NotFinite("gradient norm", gradNorm);
            if (log || eval || divergence is not null)
            {
                trainLoss = loss;
                double? measured = null;
                bool onInterval = step % Config.EvalInterval == 0;
                if (eval && divergence is null)
                {
                    measured = valLoss = EstimateValLoss(advance: onInterval);
                    divergence = NotFinite("val loss", valLoss);
                    // Only the interval's evaluations: a closing one off the interval is not in a longer run's EMA.
                    if (onInterval) _stability.AddValLoss(valLoss);
                }
                double seconds = (double)ticksSinceReport / Stopwatch.Frequency;
                progress?.Report(new TrainProgress(step, Config.MaxIters, loss, measured, learningRate, gradNorm,
                    stepsSinceReport * _inputs.Length / seconds, 1000 * seconds / stepsSinceReport, wall.Elapsed,
                    ReadMethodMetrics(), Device.GetMemoryInfo(), ReadStability(evaluation: measured is not null)));
                stepsSinceReport = ticksSinceReport = 0;
            }
            if (divergence is null && save) divergence = SaveUnlessDamaged(trainLoss, valLoss, ref checkpoint);
            if (divergence is not null) break;
        }
        if (cancelled && Step > firstStep && Step > _savedStep) divergence = SaveUnlessDamaged(trainLoss, valLoss, ref checkpoint);
        return new TrainResult(divergedAt ?? Step, trainLoss, valLoss, cancelled, checkpoint, divergence);
    }

    private static string? NotFinite(string what, double value) =>
        double.IsFinite(value) ? null : $"{what} {value.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Saves a checkpoint unless the weights are no longer finite (the loss read at a step comes from before its
    /// update, so an update that breaks the weights shows only here); returns what diverged, or null after saving.
    /// </summary>
    private string? SaveUnlessDamaged(double trainLoss, double valLoss, ref string? checkpoint)
    {
        var values = Model.Parameters.Store.ExportValues();
        foreach (var value in values)
            if (!float.IsFinite(value)) return "weights (not finite after the update)";
        checkpoint = SaveCheckpoint(trainLoss, valLoss, values);
        return null;
    }

    /// <summary>
    /// One optimizer step on the next training batch; returns the batch's loss when <paramref name="readLoss"/> is
    /// set (reading it waits for the device), NaN otherwise.
    /// </summary>
    public double TrainStep(bool readLoss = true)
    {
        double loss = StepOnNextBatch(readLoss);
        // The ring holds LogInterval steps; a caller that steps without Run's read steps must not lose any.
        if (Optimizer.Statistics is { } statistics && statistics.Unread >= statistics.Options.Capacity) _stability.Add(statistics.ReadNew());
        return loss;
    }

    private double StepOnNextBatch(bool readLoss)
    {
        if (_formA is not null) return FormAStep(_formA, readLoss);
        if (_sourceSampler is not null && Step % Config.SggEvery == 0) ComputeSourceGradient(_sourceSampler);
        if (_supportSet is not null && Step % Config.SggEvery == 0) ComputeSupportDirection(_supportSet);
        _trainSampler.Next(_inputs, _targets);
        using var scope = new TensorScope();
        var (tokens, targets) = Batch();
        Model.Parameters.ZeroGrads();
        Variable loss;
        using (var tape = new GradientTape())
        {
            loss = Model.Loss(tokens, targets);
            tape.Backward(loss);
        }
        Optimizer.Step();
        return readLoss ? loss.Value.Item() : double.NaN;
    }

    /// <summary>
    /// The --init-from a resumed run began with (kept in its sidecars); a different one given now is refused, since the
    /// resumed weights did not come from it.
    /// </summary>
    private static string? RequireSameOrigin(Checkpoint checkpoint, string? given)
    {
        var origin = TrainingCheckpoint.TrainConfigOf(checkpoint).InitFrom;
        if (given is null || (origin is not null && Path.GetFullPath(given) == origin)) return origin;
        throw new CheckpointMismatchException(
            $"Cannot resume from checkpoint '{checkpoint.Name}' with --init-from '{given}': the run started from " +
            $"{(origin is null ? "scratch" : $"'{origin}'")}. Drop --init-from to resume it, or use another --out-dir to start a new run.",
            ["init_from"]);
    }

    /// <summary>The run's text, tokenized with <paramref name="checkpoint"/>'s tokenizer when the run starts from one.</summary>
    private static TrainingData LoadData(TrainConfig config, Checkpoint? checkpoint)
    {
        try
        {
            return TrainingData.Load(config, checkpoint?.Manifest.Tokenizer);
        }
        catch (TokenizerException e) when (checkpoint is not null)
        {
            var data = config.Data ?? "the generated corpus";
            throw new DataException($"{data} cannot be encoded with the tokenizer of checkpoint '{checkpoint.Name}': {e.Message} " +
                                    "(a checkpoint trained with --tokenizer bpe encodes any text)");
        }
    }

    /// <summary>SGG's source gradient: one forward/backward of a source batch, kept by the optimizer until the next one.</summary>
    private void ComputeSourceGradient(BlockSampler sampler)
    {
        sampler.Next(_inputs, _targets);
        Model.Parameters.ZeroGrads();
        Backward(readLoss: false);
        Optimizer.CaptureSourceGradient();
    }

    /// <summary>
    /// Forward and backward of the batch in the input buffers, the loss times <paramref name="weight"/> added into the
    /// gradients (zero them first for the batch's own); the loss when <paramref name="readLoss"/>, read at once.
    /// </summary>
    private double Backward(bool readLoss, float weight = 1)
    {
        using var scope = new TensorScope();
        var (tokens, targets) = Batch();
        using var tape = new GradientTape();
        var loss = Model.Loss(tokens, targets);
        tape.Backward(weight == 1 ? loss : loss * weight);
        return readLoss ? loss.Value.Item() : double.NaN;
    }

    /// <summary>
    /// A step of SGG form A: the target batch's gradient g, a source batch's g_s, d = the base optimizer's first moment, then
    /// the form's gradient with its two Hessian products (each one more forward/backward of the same batch at shifted
    /// weights), all on the device; the form leaves the weights restored bit for bit and its gradient for the base step.
    /// </summary>
    private double FormAStep(SggFormA form, bool readLoss)
    {
        _trainSampler.Next(_inputs, _targets);
        (int[] Inputs, int[] Targets) target = ((int[])_inputs.Clone(), (int[])_targets.Clone());
        _sourceSampler!.Next(_inputs, _targets);
        (int[] Inputs, int[] Targets) source = ((int[])_inputs.Clone(), (int[])_targets.Clone());
        double targetLoss = double.NaN;
        bool atStart = true;
        form.Gradient(Model.Parameters.Store, Optimizer.FirstMoment, isTarget =>
        {
            var batch = isTarget ? target : source;
            batch.Inputs.CopyTo(_inputs, 0);
            batch.Targets.CopyTo(_targets, 0);
            Model.Parameters.ZeroGrads();
            // The first target pass is at the unshifted weights: its loss is the step's.
            double loss = Backward(readLoss && isTarget && atStart);
            if (isTarget && atStart) (targetLoss, atStart) = (loss, false);
        });
        Optimizer.Step();
        return readLoss ? targetLoss : double.NaN;
    }

    /// <summary>The optimizer's method scalars, and form A's (cos(g, g_s), the rate of steps with R_mag active); reads the device.</summary>
    internal IReadOnlyDictionary<string, double> ReadMethodMetrics()
    {
        if (_formA is not { } form) return Optimizer.ReadMethodMetrics();
        return new Dictionary<string, double>
        {
            ["sgg.cos_g_gs"] = form.CosineGradSource,
            ["sgg.clip_rate"] = form.Steps == 0 ? 0 : (double)form.MagnitudeSteps / form.Steps,
        };
    }

    /// <summary>
    /// SGG's support-set direction: the mean gradient over the fixed support set (the batch losses are means, so the sum of
    /// the batches' gradients over their count), kept by the optimizer as d until the next one.
    /// </summary>
    private void ComputeSupportDirection(SupportSet support)
    {
        Model.Parameters.ZeroGrads();
        for (int b = 0; b < support.Batches; b++)
        {
            support.Fill(b, _inputs, _targets);
            Backward(readLoss: false, 1f / support.Batches);
        }
        Optimizer.CaptureReferenceDirection();
    }

    /// <summary>
    /// Batches of SGG's source data: the train split of --source, or of the main data when it is absent. Only that split
    /// is read, so a source text needs no validation part; its errors name --source, not the main data.
    /// </summary>
    private static BlockSampler CreateSourceSampler(TrainConfig config, TrainingData data)
    {
        if (config.Source is not { } path)
            return data.Dataset.CreateSampler(DataSplit.Train, config.BlockSize, config.BatchSize, config.Seed + 2);
        try
        {
            var tokens = data.Tokenizer.Encode(TextCorpus.Load(path).Text);
            return TokenDataset.FromTokens(tokens).CreateSampler(DataSplit.Train, config.BlockSize, config.BatchSize, config.Seed + 2);
        }
        catch (TokenizerException e)
        {
            throw new DataException($"--source {path} cannot be encoded with the run's tokenizer (built from " +
                                    $"{(config.InitFrom ?? data.Corpus.Source)}): {e.Message}");
        }
        catch (DataException e)
        {
            throw new DataException($"--source {path}: {e.Message}");
        }
    }

    /// <summary>
    /// Mean loss over EvalIters validation batches (no gradients). With <paramref name="advance"/> false the batches are
    /// read without moving the validation stream on: the closing evaluation of a run that ends off the interval uses
    /// that, so a run extended with --resume sees the same validation batches as one run straight through.
    /// </summary>
    public double EstimateValLoss(bool advance = true)
    {
        var start = _valSampler.State;
        double sum = 0;
        using var noGrad = new NoGradScope();
        for (int i = 0; i < Config.EvalIters; i++)
        {
            _valSampler.Next(_inputs, _targets);
            using var scope = new TensorScope();
            var (tokens, targets) = Batch();
            sum += Model.Loss(tokens, targets).Value.Item();
        }
        if (!advance) _valSampler.State = start;
        return sum / Config.EvalIters;
    }

    /// <summary>Writes checkpoint "step-NNNNNNN" for the current step and points latest.json at it; returns its name.</summary>
    public string SaveCheckpoint(double trainLoss = double.NaN, double valLoss = double.NaN) =>
        SaveCheckpoint(trainLoss, valLoss, values: null);

    private string SaveCheckpoint(double trainLoss, double valLoss, float[]? values)
    {
        _stability.Add(Optimizer.Statistics!.ReadNew());
        var extra = new JsonObject { [StabilityStateKey] = _stability.ToJson(), [StartHashKey] = _start.Hash };
        if (double.IsFinite(trainLoss)) extra["train_loss"] = trainLoss;
        if (double.IsFinite(valLoss)) extra["val_loss"] = valLoss;
        if (_formA is { } form)
            extra[FormAStateKey] = new JsonObject { ["norm_ema"] = form.NormEma, ["steps"] = form.Steps, ["magnitude_steps"] = form.MagnitudeSteps };
        var rng = new Dictionary<string, RngState>
        {
            [TrainingCheckpoint.TrainSamplerRng] = _trainSampler.State,
            [TrainingCheckpoint.ValSamplerRng] = _valSampler.State,
        };
        if (_sourceSampler is not null) rng[TrainingCheckpoint.SourceSamplerRng] = _sourceSampler.State;
        var name = TrainingCheckpoint.NameOf(Step);
        var manifest = TrainingCheckpoint.Manifest(Model, Config, Data.Tokenizer.ToSpec(), Optimizer, rng, extra);
        _checkpoints.Save(name, manifest, TrainingCheckpoint.Tensors(Model, Optimizer, values));
        _savedStep = Step;
        LastCheckpoint = name;
        return name;
    }

    private const string FormAStateKey = "sgg_form_a";
    private const string StabilityStateKey = "stability";
    private const string StartHashKey = "start_weights_sha256";

    /// <summary>
    /// The stability figures after the steps recorded since the last read (which waits for the device); on an evaluation
    /// step also the val-loss EMA and the perturbation from θ_0 (the weights read to the host).
    /// </summary>
    internal StabilityReport ReadStability(bool evaluation)
    {
        _stability.Add(Optimizer.Statistics!.ReadNew());
        var report = _stability.Report();
        if (!evaluation) return report;
        report = report with { ValLossEma = _stability.ValLossEma };
        if (_start.Values is not { } start) return report;
        var (overall, byTensor) = StabilityMetrics.Perturbation(Model.Parameters.Store, Model.Parameters.Store.ExportValues(), start);
        return report with { Perturbation = overall, PerturbationByTensor = byTensor };
    }

    private (Tensor Tokens, Tensor Targets) Batch() =>
        (Tensor.FromArray(Device, _inputs, Config.BatchSize, Config.BlockSize),
         Tensor.FromArray(Device, _targets, Config.BatchSize, Config.BlockSize));

    private void Restore(Checkpoint checkpoint)
    {
        var saved = TrainingCheckpoint.ModelConfigOf(checkpoint);
        if (saved != Model.Config)
            throw new CheckpointMismatchException(
                $"Cannot resume from checkpoint '{checkpoint.Name}': it holds model {saved}, this configuration builds {Model.Config}.",
                ["model"]);
        TrainingCheckpoint.LoadWeights(checkpoint, Model);
        TrainingCheckpoint.LoadOptimizer(checkpoint, Optimizer, Model.Parameters.Store);
        if (checkpoint.Manifest.RngStates.TryGetValue(TrainingCheckpoint.TrainSamplerRng, out var train)) _trainSampler.State = train;
        if (checkpoint.Manifest.RngStates.TryGetValue(TrainingCheckpoint.ValSamplerRng, out var val)) _valSampler.State = val;
        if (_sourceSampler is not null && checkpoint.Manifest.RngStates.TryGetValue(TrainingCheckpoint.SourceSamplerRng, out var source))
            _sourceSampler.State = source;
        if (checkpoint.Manifest.Extra[StabilityStateKey] is JsonObject stability) _stability.Restore(stability);
        // Resumed without the alignment, DA would repeat the checkpoint's, frozen; a later resume with it counts afresh.
        if (!Config.UpdateAlignment) _stability.ForgetAlignment();
        if (_formA is { } form)
        {
            var state = checkpoint.Manifest.Extra[FormAStateKey] as JsonObject
                        ?? throw new CheckpointException($"checkpoint '{checkpoint.Name}' lacks the SGG form A state ('{FormAStateKey}')");
            form.NormEma = state["norm_ema"]!.GetValue<double>();
            form.Steps = state["steps"]!.GetValue<long>();
            form.MagnitudeSteps = state["magnitude_steps"]!.GetValue<long>();
        }
        _savedStep = checkpoint.Manifest.Step;
        ResumedFrom = LastCheckpoint = checkpoint.Name;
    }

    /// <summary>
    /// The optimizer of <paramref name="config"/> over <paramref name="store"/>: <see cref="CreateChain"/> for every
    /// parameter, after <see cref="AddL2ToInit"/> on the hidden matrices with --l2-to-init; or for muon, Muon on the hidden matrices (--muon-lr on the same warm-up and decay shape) beside the
    /// AdamW chain for the rest. Tracks the gradient norm for the progress reports, and with <paramref name="statistics"/>
    /// every step's (<see cref="Optimizer.Statistics"/>).
    /// </summary>
    public static Optimizer CreateOptimizer(TrainConfig config, ParameterStore store, StepStatisticsOptions? statistics = null)
    {
        if (config.L2ToInit > 0)
            return new Optimizer(store, Optimizers.Over(new AddL2ToInit(Decimal(config.L2ToInit), hiddenOnly: true), CreateChain(config)),
                                 trackGradNorm: true, statistics);
        if (config.Optim != "muon") return new Optimizer(store, CreateChain(config), trackGradNorm: true, statistics);
        double? clip = config.GradClip > 0 ? Decimal(config.GradClip) : null;
        var options = MethodOptions.Muon(config);
        double ratio = Decimal(config.MuonLr) / Decimal(config.Lr);
        var hidden = Optimizers.Muon(Schedule(config, ratio), options, Decimal(config.MuonWeightDecay), clip);
        return new Optimizer(store, hidden, CreateChain(config with { Optim = "adamw" }), trackGradNorm: true, statistics);
    }

    /// <summary>
    /// The chain of every parameter: AdamW or SGD (nanoGPT's settings), or CGFM, SGG or SPEC-GF over either (--base-optim),
    /// with warmup + cosine decay and global-norm clipping when GradClip &gt; 0. Muon needs two chains: see
    /// <see cref="CreateOptimizer"/>.
    /// </summary>
    public static TransformChain CreateChain(TrainConfig config)
    {
        var schedule = Schedule(config, 1);
        double? clip = config.GradClip > 0 ? Decimal(config.GradClip) : null;
        double b1 = Decimal(config.Beta1), b2 = Decimal(config.Beta2), eps = Decimal(config.Eps), wd = Decimal(config.WeightDecay);
        TransformChain Base(string name) => name == "sgd"
            ? Optimizers.Sgd(schedule, Decimal(config.Momentum), config.Nesterov, wd, clip)
            : Optimizers.AdamW(schedule, b1, b2, eps, wd, clip);
        return config.Optim switch
        {
            "adamw" or "sgd" => Base(config.Optim),
            "cgfm" => Optimizers.Over(new CgfmTransform(MethodOptions.Cgfm(config)), Base(config.BaseOptim)),
            "sgg" when config.SggForm == "a" => Base(config.BaseOptim),   // form A works on the gradient before the step: FormAStep
            "sgg" => Optimizers.Over(new SggTransform(MethodOptions.Sgg(config)), Base(config.BaseOptim)),
            "spectral" when config.SpectralPlacement == "update" =>
                Optimizers.OnUpdate(new SpectralTransform(MethodOptions.Spectral(config)), Base(config.BaseOptim)),
            "spectral" => Optimizers.Over(new SpectralTransform(MethodOptions.Spectral(config)), Base(config.BaseOptim)),
            "muon" => throw new ArgumentException("--optim muon runs two chains (Muon, AdamW): use Trainer.CreateOptimizer"),
            _ => throw new ArgumentException($"--optim must be adamw, sgd, cgfm, sgg, spectral or muon (got '{config.Optim}')"),
        };
    }

    /// <summary>The run's learning-rate schedule with every rate multiplied by <paramref name="scale"/>.</summary>
    private static LearningRateSchedule Schedule(TrainConfig config, double scale)
    {
        double lr = Decimal(config.Lr) * scale, minLr = Decimal(config.MinLr) * scale;
        return config.WarmupIters < config.LrDecayIters
            ? LearningRateSchedule.WarmupCosine(lr, config.WarmupIters, config.LrDecayIters, minLr)
            : LearningRateSchedule.Constant(lr);
    }

    /// <summary>The double a float setting was written as (0.9f → 0.9, not 0.8999999762), as PyTorch receives it.</summary>
    internal static double Decimal(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _formA?.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}
