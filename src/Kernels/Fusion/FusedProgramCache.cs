using System.Collections.Concurrent;

namespace Engine.Kernels.Fusion;

/// <summary>Every program built in this process, keyed by structure: equal structure ⇒ one program, compiled once.</summary>
internal static class FusedProgramCache
{
    private static readonly ConcurrentDictionary<string, FusedProgram> Programs = new();

    public static FusedProgram GetOrAdd(FusionGraph graph) =>
        Programs.GetOrAdd(graph.StructureKey, static (_, g) => new FusedProgram(g), graph);
}
