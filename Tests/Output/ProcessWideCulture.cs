using Xunit;

namespace TlbSim.Tests.Output;

/// <summary>
/// Tests that set the process-wide culture (CultureInfo.DefaultThreadCurrentCulture, so that worker threads
/// format under it too) run alone: in parallel, every other test's threads would format under it as well.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCulture
{
    /// <summary>The collection's name.</summary>
    public const string Name = "process-wide culture";
}
