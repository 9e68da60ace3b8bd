using System.Collections.Concurrent;

namespace Engine.Kernels.Fusion;

/// <summary>
/// Every program built in this process, keyed by its name, its operands' names and its structure: building the same
/// program again returns the compiled one. Names are part of the key because a program's name is what profiles and
/// error messages show: sharing one program between two names would label one's launches with the other's name,
/// depending on which was built first.
/// </summary>
internal static class FusedProgramCache
{
    private static readonly ConcurrentDictionary<string, FusedProgram> Programs = new();

    public static FusedProgram GetOrAdd(FusionGraph graph) =>
        Programs.GetOrAdd(Key(graph), static (_, g) => new FusedProgram(g), graph);

    private static string Key(FusionGraph graph) => string.Join('\u0001',
        [graph.Name, .. graph.InputNames, "|", .. graph.ScalarNames, "|", .. graph.Outputs.Select(o => o.Name), "|",
         .. graph.ReductionNames, "|", graph.StructureKey]);
}
