using Engine.Kernels.Fusion;
using Xunit;

namespace Engine.Tests.Fusion;

/// <summary>
/// Which nodes a kernel evaluates inside a gate's block (FusionGraph.GateScopes, which the cpu compiler, the C renderer and
/// the profiler share): what a gate's term alone reads is inside, what anything else reads is outside. Values cannot
/// show this (the gate's select hides an evaluated term), so these tests look at the scopes and the generated source.
/// </summary>
public sealed class GateScopeTests
{
    private static int Node(FusionGraph g, FxOp op, int index = -1) =>
        Enumerable.Range(0, g.Nodes.Length).Single(id => g.Nodes[id].Op == op && (index < 0 || g.Nodes[id].Index == index));

    private static int[] Gates(FusionGraph g) => Enumerable.Range(0, g.Nodes.Length).Where(id => g.Nodes[id].Op == FxOp.Gate).ToArray();

    private static int[] MapScopes(FusedProgram p) => p.Graph.GateScopes(p.Graph.OutputNodes, expandRoots: false);

    [Fact]
    public void WhatOnlyTheTermReadsIsInsideAndTheRestOutside()
    {
        var f = new FusionBuilder("scope_plain");
        var x = f.Input("x");
        var y = f.Input("y");
        f.Output("out", x + Fx.Gate(f.Scalar("s"), y * 2f));
        var program = f.Build();
        var g = program.Graph;
        var scopes = MapScopes(program);
        int gate = Gates(g).Single();
        Assert.Equal(gate, scopes[Node(g, FxOp.Input, 1)]);
        Assert.Equal(gate, scopes[Node(g, FxOp.Mul)]);
        Assert.Equal(-1, scopes[Node(g, FxOp.Input, 0)]);
        Assert.Equal(-1, scopes[gate]);

        // In the C source y is loaded only under the test of s; x before it.
        foreach (var source in new[] { program.EmitOpenCl(), program.EmitCuda(), program.EmitOpenCl(2) })
        {
            var map = source[source.IndexOf("_map(", StringComparison.Ordinal)..];
            int test = map.IndexOf("if (s0 != 0.0f)", StringComparison.Ordinal);
            Assert.True(test > 0, map);
            Assert.True(map.IndexOf("in1[", StringComparison.Ordinal) > test, map);
            Assert.True(map.IndexOf("in0[", StringComparison.Ordinal) < test, map);
        }
    }

    [Fact]
    public void AnInputTwoGatesReadIsReadOutsideBoth()
    {
        var f = new FusionBuilder("scope_two");
        var x = f.Input("x");
        f.Output("out", Fx.Gate(f.Scalar("k1"), x * 2f) + Fx.Gate(f.Scalar("k2"), x * 3f));
        var program = f.Build();
        var g = program.Graph;
        var scopes = MapScopes(program);
        var gates = Gates(g);
        Assert.Equal(-1, scopes[Node(g, FxOp.Input, 0)]);
        var products = Enumerable.Range(0, g.Nodes.Length).Where(id => g.Nodes[id].Op == FxOp.Mul).ToArray();
        Assert.Equal(gates.Order(), products.Select(id => scopes[id]).Order());
    }

    [Fact]
    public void AGateUsedOutsideKeepsItsOwnTermWhenAnotherGateReadsIt()
    {
        // inner = gate(k, x·2) is an output of its own and part of outer's term: inner is evaluated outside and still
        // skips x; outer skips only y.
        var f = new FusionBuilder("scope_reused");
        var x = f.Input("x");
        var y = f.Input("y");
        var inner = Fx.Gate(f.Scalar("k"), x * 2f);
        f.Output("inner", inner);
        f.Output("outer", Fx.Gate(f.Scalar("k2"), inner + y));
        var program = f.Build();
        var g = program.Graph;
        var scopes = MapScopes(program);
        var gates = Gates(g);
        int innerId = gates.Single(id => g.Nodes[g.Nodes[id].B].Op == FxOp.Mul), outerId = gates.Single(id => id != innerId);
        Assert.Equal(-1, scopes[innerId]);
        Assert.Equal(innerId, scopes[Node(g, FxOp.Input, 0)]);
        Assert.Equal(outerId, scopes[Node(g, FxOp.Input, 1)]);
        Assert.Equal(outerId, scopes[Node(g, FxOp.Add)]);
    }

    [Fact]
    public void ANestedGateAndItsTermAreInsideTheOuterGate()
    {
        var f = new FusionBuilder("scope_nested");
        var x = f.Input("x");
        var y = f.Input("y");
        f.Output("out", Fx.Gate(f.Scalar("k2"), Fx.Gate(f.Scalar("k"), x) + y));
        var program = f.Build();
        var g = program.Graph;
        var scopes = MapScopes(program);
        int outer = Gates(g).Single(id => scopes[id] < 0), inner = Gates(g).Single(id => id != outer);
        Assert.Equal(outer, scopes[inner]);
        Assert.Equal(outer, scopes[Node(g, FxOp.Input, 0)]);
        Assert.Equal(outer, scopes[Node(g, FxOp.Input, 1)]);
    }

    [Fact]
    public void AReducePhaseGatesItsTermsToo()
    {
        var f = new FusionBuilder("scope_reduce");
        var x = f.Input("x");
        var y = f.Input("y");
        var total = f.Reduction("total", Fx.Sum(x + Fx.Gate(f.Scalar("s"), x * y)));
        f.Output("out", x - total);
        var program = f.Build();
        var g = program.Graph;
        var scopes = g.GateScopes(g.ReductionNodes, expandRoots: true);
        int gate = Gates(g).Single();
        Assert.Equal(gate, scopes[Node(g, FxOp.Input, 1)]);
        Assert.Equal(-1, scopes[Node(g, FxOp.Input, 0)]);
        var reduce = program.EmitOpenCl()[..program.EmitOpenCl().IndexOf("_finalize1(", StringComparison.Ordinal)];
        Assert.True(reduce.IndexOf("in1[", StringComparison.Ordinal) > reduce.IndexOf("if (s0 != 0.0f)", StringComparison.Ordinal), reduce);
    }
}
