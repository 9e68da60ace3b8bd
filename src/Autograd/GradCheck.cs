using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>
/// Compares the analytic gradient of a scalar function of variables with central finite differences.
/// Engine's tensors are fp32, so the forward passes run in fp32: each element is perturbed by
/// h = StepScale·max(1, |x|) (large enough that fp32 rounding of the loss stays well below the signal),
/// the two losses are differenced in double over the step actually representable in fp32, and the
/// comparison allows a relative plus an absolute error suited to fp32.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Checks d function(inputs) / d inputs. Every input requires a gradient; <paramref name="function"/> must
    /// return a one-element variable and be deterministic. Inputs with at most
    /// <see cref="GradCheckOptions.MaxElementsPerInput"/> elements are checked everywhere, larger ones at a
    /// random subset of that many elements.
    /// </summary>
    public static GradCheckReport Run(ComputeDevice device, Func<Variable[], Variable> function,
                                      IReadOnlyList<(float[] Values, int[] Shape)> inputs, GradCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        options ??= new GradCheckOptions();
        var analytic = AnalyticGradients(device, function, inputs);
        var random = new Random(options.Seed);
        var mismatches = new List<GradCheckMismatch>();
        int checkedCount = 0;
        double worst = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            var values = (float[])inputs[i].Values.Clone();
            foreach (int e in ElementsToCheck(values.Length, options.MaxElementsPerInput, random))
            {
                float original = values[e];
                double h = options.StepScale * Math.Max(1.0, Math.Abs(original));
                float up = (float)(original + h), down = (float)(original - h);
                values[e] = up;
                double lossUp = Loss(device, function, inputs, i, values);
                values[e] = down;
                double lossDown = Loss(device, function, inputs, i, values);
                values[e] = original;
                double numeric = (lossUp - lossDown) / ((double)up - down);
                double exact = analytic[i][e];
                double error = Math.Abs(exact - numeric);
                double allowed = options.AbsoluteTolerance + options.RelativeTolerance * Math.Max(Math.Abs(exact), Math.Abs(numeric));
                worst = Math.Max(worst, error / allowed);
                checkedCount++;
                if (!(error <= allowed)) mismatches.Add(new GradCheckMismatch(i, e, exact, numeric));
            }
        }
        return new GradCheckReport(mismatches, checkedCount, worst);
    }

    private static float[][] AnalyticGradients(ComputeDevice device, Func<Variable[], Variable> function,
                                               IReadOnlyList<(float[] Values, int[] Shape)> inputs)
    {
        using var scope = new TensorScope();
        var variables = inputs.Select((input, i) =>
            new Variable(Tensor.FromArray(device, input.Values, input.Shape), requiresGrad: true, name: $"input {i}")).ToArray();
        using (var tape = new GradientTape())
        {
            var loss = function(variables);
            tape.Backward(loss);
        }
        return variables.Select(v => v.Grad?.ToArray() ?? new float[v.Value.Count]).ToArray();
    }

    /// <summary>The function's value with input <paramref name="replaced"/> taking <paramref name="values"/>, in double.</summary>
    private static double Loss(ComputeDevice device, Func<Variable[], Variable> function,
                               IReadOnlyList<(float[] Values, int[] Shape)> inputs, int replaced, float[] values)
    {
        using var scope = new TensorScope();
        using var noGrad = new NoGradScope();
        var variables = inputs.Select((input, i) =>
            new Variable(Tensor.FromArray(device, i == replaced ? values : input.Values, input.Shape))).ToArray();
        var loss = function(variables);
        if (loss.Value.Count != 1)
            throw new ArgumentException($"GradCheck: the function must return one element, got shape {ShapeMath.Format(loss.Shape)}");
        return loss.Value.Item();
    }

    private static IEnumerable<int> ElementsToCheck(int count, int limit, Random random)
    {
        if (count <= limit) return Enumerable.Range(0, count);
        var all = Enumerable.Range(0, count).ToArray();
        random.Shuffle(all);
        return all.Take(limit).Order();
    }
}

/// <summary>Step and tolerances of <see cref="GradCheck"/>; an element passes when |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|).</summary>
public sealed record GradCheckOptions(
    double StepScale = 1e-2,
    double RelativeTolerance = 2e-2,
    double AbsoluteTolerance = 2e-3,
    int MaxElementsPerInput = 24,
    int Seed = 1);

/// <summary>One element whose analytic and numeric derivatives disagree.</summary>
public sealed record GradCheckMismatch(int Input, int Element, double Analytic, double Numeric);

/// <summary>Outcome of <see cref="GradCheck.Run"/>: mismatches, elements checked and the worst error as a fraction of the allowed one.</summary>
public sealed record GradCheckReport(IReadOnlyList<GradCheckMismatch> Mismatches, int Checked, double WorstErrorRatio)
{
    public bool Passed => Mismatches.Count == 0;

    public override string ToString() =>
        Passed
            ? $"gradcheck passed: {Checked} elements, worst error {WorstErrorRatio:F3} of the tolerance"
            : $"gradcheck failed at {Mismatches.Count} of {Checked} elements, e.g. " +
              string.Join("; ", Mismatches.Take(5).Select(m =>
                  $"input {m.Input} element {m.Element}: analytic {m.Analytic:G6}, numeric {m.Numeric:G6}"));
}
