using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Tests that time the host itself (tlbsim probe's micro-benchmarks) run alone: with the rest of the suite
/// running beside them on the same CPUs, what they measure is the other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostMeasurements
{
    /// <summary>The collection's name.</summary>
    public const string Name = "host measurements";
}
