using TlbSim.Model.Mechanisms;
using TlbSim.Model.Mechanisms.Sequences;

namespace TlbSim.Scenarios.Loading;

/// <summary>
/// The designs a scenario file can name: the C# classes (designs that need a state machine: xpfo,
/// map_exclusive, static_key), the sequences of the shipped designs file (Scenarios/Designs/designs.yaml),
/// and the file's own <c>designs</c>.
/// </summary>
public sealed class Designs
{
    private readonly IReadOnlyList<Sequence> _sequences;

    private Designs(IReadOnlyList<Sequence> sequences) => _sequences = sequences;

    /// <summary>The built-in designs: C# classes and the shipped sequences.</summary>
    public static Designs Builtin { get; } = new(DesignLoader.Parse(DesignLoader.ShippedText(), "designs.yaml", Registry.Names.Contains));

    /// <summary>These designs plus a file's own.</summary>
    public Designs With(IReadOnlyList<Sequence> more) => more.Count == 0 ? this : new([.. _sequences, .. more]);

    /// <summary>Every design name: the sequences in their order, then the classes.</summary>
    public IReadOnlyList<string> Names => [.. _sequences.Select(s => s.Name), .. Registry.Names.Where(n => Sequence(n) is null)];

    /// <summary>Whether <paramref name="name"/> is a design.</summary>
    public bool Contains(string name) => Registry.Names.Contains(name) || _sequences.Any(s => s.Name == name);

    /// <summary>The sequence called <paramref name="name"/>, or null for a class (or no such design).</summary>
    public Sequence? Sequence(string name) => _sequences.FirstOrDefault(s => s.Name == name);

    /// <summary>A fresh mechanism of design <paramref name="name"/> (mechanisms keep per-run state).</summary>
    public IMechanism Create(string name, IReadOnlyDictionary<string, long>? designParams = null) =>
        Sequence(name) is { } s ? new SequenceMechanism(s, designParams) : Registry.Create(name);

    /// <summary>The kernel path of design <paramref name="name"/>.</summary>
    public string KernelPath(string name) => Create(name).KernelPath;

    /// <summary>Where design <paramref name="name"/> is defined: "C# class" or its file and line.</summary>
    public string DefinedAt(string name) => Sequence(name) is { } s ? s.DefinedAt : "C# class";
}

/// <summary>
/// One entry of a scenario's <c>mechanisms</c> list: a design, the label its results carry, and the
/// mechanism options it runs with (the scenario's <c>mechanism</c> section with this entry's overrides).
/// </summary>
public sealed record MechanismChoice(string Label, string Design, MechanismParams Params, IReadOnlyDictionary<string, long> DesignParams, Designs Catalog)
{
    /// <summary>The options as written in the entry (key, value), for resolved.yaml.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Options { get; init; } = [];

    /// <summary>The built-in baseline with the scenario's mechanism options.</summary>
    public static MechanismChoice Baseline(MechanismParams options) => new("baseline", "baseline", options, new Dictionary<string, long>(), Designs.Builtin);

    /// <summary>A fresh mechanism for one run.</summary>
    public IMechanism Create() => Catalog.Create(Design, DesignParams);

    /// <inheritdoc />
    public override string ToString() => Label;
}
