namespace TlbSim.Model.Mechanisms;

/// <summary>Every mechanism by the name used in scenario and result files; adding one is adding a file and a line here.</summary>
public static class Registry
{
    private static readonly (string Name, Func<IMechanism> Create)[] Entries =
    [
        ("baseline", () => new Baseline()),
        ("rare_alloc", () => new RareAlloc()),
        ("rare_modify", () => new RareModify()),
        ("vmap_alias", () => new VmapAlias()),
        ("prlist", () => new Prlist()),
        ("temporary_mm", () => new TemporaryMm()),
        ("map_exclusive", () => new MapExclusive()),
        ("xpfo", () => new Xpfo()),
        ("pku", () => new Pku()),
        ("pks", () => new Pks()),
        ("droppable", () => new Droppable()),
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
