using FsCheck;
using FsCheck.Fluent;

namespace Engine.Tests.Support;

/// <summary>
/// Property-test configuration with a replayable seed. A failure message from FsCheck names the
/// (seed, gamma) pair; set ENGINE_TEST_SEED=seed,gamma to replay it.
/// </summary>
public static class TestSeeds
{
    public static Config Quick(int maxTest = 60)
    {
        var env = Environment.GetEnvironmentVariable("ENGINE_TEST_SEED");
        ulong seed = 20261122, gamma = 1;
        if (!string.IsNullOrEmpty(env))
        {
            var parts = env.Split(',');
            seed = ulong.Parse(parts[0]);
            gamma = parts.Length > 1 ? ulong.Parse(parts[1]) : 1;
        }
        return Config.QuickThrowOnFailure.WithReplay(seed, gamma | 1).WithMaxTest(maxTest);
    }
}
