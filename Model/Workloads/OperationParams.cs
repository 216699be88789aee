using TlbSim.Model.Parameters;

namespace TlbSim.Model.Workloads;

/// <summary>How operation arrivals are spaced.</summary>
public enum Arrival
{
    /// <summary>Exponential gaps (a Poisson process).</summary>
    Poisson,

    /// <summary>Equal gaps.</summary>
    Fixed,
}

/// <summary>The operation generator: how often, how spaced, and from which CPUs a mechanism is used.</summary>
public sealed record OperationParams : IParameters
{
    /// <summary>Operations per second per initiating CPU.</summary>
    [Param("Operations per second on each initiating CPU (mechanisms driven by page transitions use the workload's rate instead)", Unit = "1/s", Source = "scenario choice; sweep it")]
    public double Rate { get; init; } = 2000;

    /// <summary>Arrival process.</summary>
    [Param("Arrival process: poisson or fixed")]
    public Arrival Arrival { get; init; } = Arrival.Poisson;

    /// <summary>How many CPUs initiate operations.</summary>
    [Param("CPUs that initiate operations: the first N CPUs; 0 means all", Unit = "cpus", Source = "scenario choice")]
    public int Initiators { get; init; } = 1;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path) =>
        Check.Range(path, "rate", Rate, 0, 1e9).Concat(Check.Range(path, "initiators", Initiators, 0, 1 << 20));
}
