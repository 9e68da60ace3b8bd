using Xunit;

namespace Engine.Tests.Profiling;

/// <summary>
/// The profiler is process-wide: tests that switch it on or count its records run alone, after every parallel
/// collection, so no other test's kernels land in their records (or theirs in another's).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProfilerCollection
{
    public const string Name = "Profiler";
}
