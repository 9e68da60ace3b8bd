using Engine.Kernels.Fusion;
using Engine.Tests.OpenCl;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Fusion;

/// <summary>
/// Random expression trees (depth ≤ 5) over 3 inputs and 2 scalars agree with the double reference on every
/// backend. Domains are kept safe and values bounded: log/sqrt/rsqrt/pow bases are |x| + c, divisors |x| + 1,
/// comparisons only between leaves (exact in fp32 and double alike), exp of tanh; a gate's coefficient is such a
/// comparison (0 or 1, per element or uniform).
/// </summary>
[Collection("OpenCl")]
public sealed class RandomExpressionTests(OpenClFixture fixture, ITestOutputHelper output)
{
    /// <summary>A generated tree, independent of any builder; Show prints it for failure messages.</summary>
    public sealed record Tree(string Op, Tree[] Kids, float Value)
    {
        public override string ToString() => Kids.Length == 0 ? $"{Op}{Value}" : $"{Op}({string.Join(", ", Kids.Select(k => k.ToString()))})";
    }

    private static readonly string[] Unary = ["neg", "exp", "log", "sqrt", "rsqrt", "tanh", "abs", "relu", "sigmoid", "gelu"];
    private static readonly string[] Binary = ["add", "sub", "mul", "div", "pow", "max", "min"];

    private static Gen<Tree> Leaf() => Gen.OneOf(
        Gen.Choose(0, 2).Select(i => new Tree("in", [], i)),
        Gen.Choose(0, 1).Select(i => new Tree("sc", [], i)),
        Gen.Choose(-200, 200).Select(i => new Tree("c", [], i / 100f)));

    private static Gen<Tree> TreeGen(int depth)
    {
        if (depth == 0) return Leaf();
        var sub = TreeGen(depth - 1);
        return Gen.Frequency(
            (1, Leaf()),
            (3, from op in Gen.Elements(Unary) from a in sub select new Tree(op, [a], 0)),
            (4, from op in Gen.Elements(Binary) from a in sub from b in sub select new Tree(op, [a, b], 0)),
            (1, from c1 in Leaf() from c2 in Leaf() from a in sub from b in sub
                select new Tree("where", [new Tree("gt", [c1, c2], 0), a, b], 0)),
            (1, from a in sub from b in sub from c in sub select new Tree("fma", [a, b, c], 0)),
            (1, from c1 in Leaf() from c2 in Leaf() from a in sub
                select new Tree("gate", [new Tree("gt", [c1, c2], 0), a], 0)),
            (1, from a in sub select new Tree("sum", [a], 0)));
    }

    private static Expr ToExpr(Tree t, Expr[] inputs, Expr[] scalars)
    {
        Expr K(int k) => ToExpr(t.Kids[k], inputs, scalars);
        return t.Op switch
        {
            "in" => inputs[(int)t.Value],
            "sc" => scalars[(int)t.Value],
            "c" => t.Value,
            "neg" => -K(0),
            "exp" => Fx.Exp(Fx.Tanh(K(0))),
            "log" => Fx.Log(Fx.Abs(K(0)) + 1f),
            "sqrt" => Fx.Sqrt(Fx.Abs(K(0)) + 0.01f),
            "rsqrt" => Fx.Rsqrt(Fx.Abs(K(0)) + 1f),
            "tanh" => Fx.Tanh(K(0)),
            "abs" => Fx.Abs(K(0)),
            "relu" => Fx.Relu(K(0)),
            "sigmoid" => Fx.Sigmoid(K(0)),
            "gelu" => Fx.Gelu(Fx.Tanh(K(0)) * 3f),
            "add" => K(0) + K(1),
            "sub" => K(0) - K(1),
            "mul" => Fx.Tanh(K(0)) * K(1),
            "div" => K(0) / (Fx.Abs(K(1)) + 1f),
            "pow" => Fx.Pow(Fx.Abs(K(0)) + 0.5f, Fx.Tanh(K(1))),
            "max" => Fx.Max(K(0), K(1)),
            "min" => Fx.Min(K(0), K(1)),
            "gt" => Fx.Greater(K(0), K(1)),
            "where" => Fx.Where(K(0), K(1), K(2)),
            "fma" => Fx.Fma(Fx.Tanh(K(0)), K(1), K(2)),
            "gate" => Fx.Gate(K(0), K(1)),
            "sum" => Fx.Tanh(Fx.Sum(K(0)) * 0.01f),
            _ => throw new ArgumentException(t.Op),
        };
    }

    [Fact]
    public void RandomTreesAgreeWithReferenceOnEveryBackend()
    {
        var devices = FusionKit.Devices(fixture, output);
        int opencl = 0;
        var gen = from trees in Gen.ArrayOf(TreeGen(5), 2)
                  from rows in Gen.Choose(1, 9)
                  from cols in Gen.Choose(1, 70)
                  from seed in Gen.Choose(0, 10_000)
                  select (trees, rows, cols, seed);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var b = new FusionBuilder("random");
            Expr[] inputs = [b.Input("x"), b.Input("y"), b.Input("z")];
            Expr[] scalars = [b.Scalar("s"), b.Scalar("t")];
            for (int o = 0; o < c.trees.Length; o++) b.Output($"out{o}", ToExpr(c.trees[o], inputs, scalars));
            var program = b.Build();
            long[] shape = [c.rows, c.cols];
            var data = new[]
            {
                new HostInput(FusionKit.Random(c.seed, c.rows * c.cols, -2f, 2f), shape),
                new HostInput(FusionKit.Random(c.seed + 1, c.cols, -2f, 2f), [1, c.cols]),
                new HostInput(FusionKit.Random(c.seed + 2, c.rows * c.cols, -2f, 2f), shape),
            };
            // OpenCL builds cost ~1 s each on PoCL: a handful of cases cover its code path
            foreach (var device in devices.Where(d => d.Kind == Engine.Kernels.Devices.DeviceKind.Cpu || opencl < 6))
                FusionKit.Check(device, program, shape, data, [0.75f, -1.25f], relative: 1e-3, absolute: 1e-4);
            opencl++;
        }).Check(TestSeeds.Quick(40));
    }
}
