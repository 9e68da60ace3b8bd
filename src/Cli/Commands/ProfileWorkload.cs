using System.Globalization;
using Engine.Kernels.Devices;
using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Cli.Commands;

/// <summary>What <c>engine profile</c> repeats: one optimizer step, or one training step, per <see cref="Step"/>.</summary>
internal abstract class ProfileWorkload : IDisposable
{
    /// <summary>One line naming what a step does and how big it is.</summary>
    public abstract string Description { get; }

    public abstract void Step();

    public abstract void Dispose();

    /// <summary>Rows of the hidden matrix the structured methods see in an optimizer-step profile.</summary>
    public const int MatrixRows = 100;

    /// <summary>
    /// Optimizer steps over <paramref name="parameters"/> weight-decayed fp32 values with fixed random gradients, using the
    /// optimizer <c>engine train</c> builds for <paramref name="config"/>: one flat parameter for adamw and sgd, one
    /// [<see cref="MatrixRows"/>, parameters / <see cref="MatrixRows"/>] hidden matrix for the structured methods (SGG's
    /// source gradient is a second fixed random draw, captured once).
    /// </summary>
    public static ProfileWorkload OptimizerSteps(ComputeDevice device, TrainConfig config, long parameters) =>
        new OptimizerWorkload(device, config, parameters);

    /// <summary>Training steps (batch, forward, loss, backward, optimizer step) of a preset's GPT on the generated corpus.</summary>
    public static ProfileWorkload TrainingSteps(ComputeDevice device, TrainConfig config, string presetName) =>
        new TrainingWorkload(device, config, presetName);

    private sealed class OptimizerWorkload : ProfileWorkload
    {
        private readonly ParameterStore _store;
        private readonly Optimizer _optimizer;

        public OptimizerWorkload(ComputeDevice device, TrainConfig config, long parameters)
        {
            bool structured = config.Optim is not ("adamw" or "sgd");
            _store = new ParameterStore(device);
            Optimizer? optimizer = null;
            try
            {
                if (structured)
                    _store.Register("weights", [MatrixRows, (int)(parameters / MatrixRows)], decay: true, kind: ParameterKind.HiddenMatrix);
                else
                    _store.Register("weights", [(int)parameters], decay: true);
                _store.Allocate();
                using (var values = Tensor.Normal(device, 1, 0f, 0.02f, (int)parameters)) _store.Values.CopyFrom(values);
                optimizer = Trainer.CreateOptimizer(config, _store);
                // A source gradient that agrees with the gradient (cos ≈ 0.5), the common SGG step: no conflict, so the
                // update skips reading g_s (`engine bench` measures the step with a conflict too).
                float mean = optimizer.UsesSourceGradient ? 1e-3f : 0f;
                if (optimizer.UsesSourceGradient)
                {
                    using (var source = Tensor.Normal(device, 3, mean, 1e-3f, (int)parameters)) _store.Grads.CopyFrom(source);
                    optimizer.CaptureSourceGradient();
                }
                using (var grads = Tensor.Normal(device, 2, mean, 1e-3f, (int)parameters)) _store.Grads.CopyFrom(grads);
                _optimizer = optimizer;
            }
            catch
            {
                optimizer?.Dispose();
                _store.Dispose();
                throw;
            }
            string layout = structured ? $"one [{MatrixRows}, {parameters / MatrixRows}] hidden matrix" : $"{parameters:N0} fp32 parameters";
            string chains = _optimizer.OthersChain is { } others ? $"{_optimizer.Chain} (hidden) + {others}" : _optimizer.Chain.ToString();
            string guided = _optimizer.UsesSourceGradient ? $" (source gradient in {config.SggSourcePrecision}, without a conflict)" : "";
            Description = string.Create(CultureInfo.InvariantCulture, $"optimizer steps of {chains} over {layout}{guided}");
        }

        public override string Description { get; }

        public override void Step() => _optimizer.Step();

        public override void Dispose()
        {
            _optimizer.Dispose();
            _store.Dispose();
        }
    }

    private sealed class TrainingWorkload : ProfileWorkload
    {
        private readonly Trainer _trainer;

        public TrainingWorkload(ComputeDevice device, TrainConfig preset, string presetName)
        {
            // Steps only, never a checkpoint: the out dir is never written.
            var config = preset with { Device = device.Id, OutDir = Path.Combine(Path.GetTempPath(), "engine-profile-unused") };
            _trainer = new Trainer(config, device: device);
            var model = _trainer.Model.Config;
            Description = string.Create(CultureInfo.InvariantCulture,
                $"training steps of preset {presetName} ({model.ParameterCount:N0} parameters: layers {model.Layers}, heads {model.Heads}, " +
                $"width {model.Width}, block {model.BlockSize}, batch {config.BatchSize}, {config.Optim}) on {_trainer.Data.Corpus.Source}");
        }

        public override string Description { get; }

        public override void Step() => _trainer.TrainStep(readLoss: false);

        public override void Dispose() => _trainer.Dispose();
    }
}
