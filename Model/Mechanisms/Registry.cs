namespace TlbSim.Model.Mechanisms;

/// <summary>
/// The designs that need a state machine, as C# classes, by the name used in scenario and result files. Designs
/// that are plain sequences of the kernel's primitives are written in Scenarios/Designs/designs.yaml instead.
/// </summary>
public static class Registry
{
    private static readonly (string Name, Func<IMechanism> Create)[] Entries =
    [
        ("map_exclusive", () => new MapExclusive()),
        ("xpfo", () => new Xpfo()),
        ("static_key", () => new StaticKey()),
    ];

    /// <summary>Mechanism names, in the order above.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>A fresh instance of the named mechanism (mechanisms keep per-run state).</summary>
    /// <exception cref="KeyNotFoundException">No mechanism has that name.</exception>
    public static IMechanism Create(string name)
    {
        foreach (var (n, create) in Entries)
        {
            if (n == name)
                return create();
        }
        throw new KeyNotFoundException($"unknown mechanism '{name}'");
    }
}
