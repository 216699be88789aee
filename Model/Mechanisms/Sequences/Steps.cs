using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms.Sequences;

/// <summary>
/// A whole number a step reads when it runs: a constant, a mechanism parameter (<c>rare_alloc_pages</c>,
/// so that sweeps and per-design options reach it) or one of the design's own parameters.
/// </summary>
public sealed record Count(string Text, Func<MechanismParams, IReadOnlyDictionary<string, long>, long> Read)
{
    /// <summary>A constant.</summary>
    public static Count Constant(long value) => new(value.ToString(System.Globalization.CultureInfo.InvariantCulture), (_, _) => value);
}

/// <summary>One step of a design written as a sequence.</summary>
public abstract record Step
{
    /// <summary>The step as the kernel path names it ("set_memory_ro(vmalloc, 1 page)").</summary>
    public abstract string Render();
}

/// <summary>One of the kernel's primitives, with its arguments already checked.</summary>
public sealed record PrimitiveStep(Primitive Primitive, StepArgs Args) : Step
{
    /// <inheritdoc />
    public override string Render() => Args.Render(Primitive);
}

/// <summary>The steps, <c>times</c> over.</summary>
public sealed record RepeatStep(Count Times, IReadOnlyList<Step> Steps) : Step
{
    /// <inheritdoc />
    public override string Render() => $"{Times.Text} x [{Sequence.Render(Steps)}]";
}

/// <summary>The steps on every <c>n</c>th call of the design (the nth, 2nth, ...): batching, or tagging one page in n.</summary>
public sealed record EveryStep(Count N, IReadOnlyList<Step> Steps) : Step
{
    /// <inheritdoc />
    public override string Render() => $"every {N.Text}th call: [{Sequence.Render(Steps)}]";
}

/// <summary>The steps on the design's first call only (state a later call relies on).</summary>
public sealed record OnceStep(IReadOnlyList<Step> Steps) : Step
{
    /// <inheritdoc />
    public override string Render() => $"first call only: [{Sequence.Render(Steps)}]";
}

/// <summary>Steps chosen by a mechanism option (<c>alias_flush: eager</c>), evaluated when the step runs.</summary>
public sealed record WhenStep(string Param, string Value, Func<MechanismParams, IReadOnlyDictionary<string, long>, bool> Test, IReadOnlyList<Step> Then, IReadOnlyList<Step> Else) : Step
{
    /// <inheritdoc />
    public override string Render() =>
        $"if {Param} = {Value}: [{Sequence.Render(Then)}]" + (Else.Count > 0 ? $" else [{Sequence.Render(Else)}]" : "");
}

/// <summary>local_irq_save ... local_irq_restore: an IPI arriving inside waits until the section ends.</summary>
public sealed record IrqsOffStep(IReadOnlyList<Step> Steps) : Step
{
    /// <inheritdoc />
    public override string Render() => $"local_irq_save; {Sequence.Render(Steps)}; local_irq_restore";
}

/// <summary>mutex_lock(text_mutex) ... mutex_unlock: one holder at a time; a waiter spins while the owner runs (mutex_optimistic_spin).</summary>
public sealed record TextMutexStep(IReadOnlyList<Step> Steps) : Step
{
    /// <inheritdoc />
    public override string Render() => $"mutex_lock(text_mutex); {Sequence.Render(Steps)}; mutex_unlock(text_mutex)";
}

/// <summary>The checked arguments of one primitive step.</summary>
public sealed record StepArgs(IReadOnlyDictionary<string, Count> Counts, IReadOnlyDictionary<string, string> Choices)
{
    /// <summary>No arguments.</summary>
    public static StepArgs None { get; } = new(new Dictionary<string, Count>(), new Dictionary<string, string>());

    /// <summary>The choice argument <paramref name="name"/> (its default when not given).</summary>
    public string Choice(Primitive primitive, string name) =>
        Choices.TryGetValue(name, out var v) ? v : primitive.Arg(name).Default;

    /// <summary>The number argument <paramref name="name"/> as it reads in this run.</summary>
    public long Number(Primitive primitive, string name, MechanismParams p, IReadOnlyDictionary<string, long> designParams) =>
        Counts.TryGetValue(name, out var c) ? c.Read(p, designParams) : long.Parse(primitive.Arg(name).Default, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"name(arg=value, ...)" with the arguments given (primitive names are the kernel functions they model).</summary>
    public string Render(Primitive primitive)
    {
        var given = primitive.Args.Where(a => Counts.ContainsKey(a.Name) || Choices.ContainsKey(a.Name))
            .Select(a => Counts.TryGetValue(a.Name, out var c) ? $"{a.Name}={c.Text}" : $"{a.Name}={Choices[a.Name]}").ToList();
        return given.Count == 0 ? primitive.Name : $"{primitive.Name}({string.Join(", ", given)})";
    }
}

/// <summary>A design written as a sequence of the kernel's primitives (in the shipped designs file or a scenario file).</summary>
public sealed record Sequence(string Name, string Description, IReadOnlyList<Step> Steps)
{
    /// <summary>Where it was defined (file and line), for describe.</summary>
    public string DefinedAt { get; init; } = "";

    /// <summary>The design's own whole-number parameters and their defaults (a per-design option may change them).</summary>
    public IReadOnlyDictionary<string, long> Params { get; init; } = new Dictionary<string, long>();

    /// <summary>Interrupt-entry hooks the design installs (pks_save_pt_regs).</summary>
    public IReadOnlyList<string> Hooks { get; init; } = [];

    /// <summary>The kernel path, rendered from the steps.</summary>
    public string KernelPath => Render(Steps) + (Hooks.Count > 0 ? $"; every interrupt entry/exit: {string.Join(", ", Hooks)}" : "");

    /// <summary>
    /// The most primitive steps one operation can run with these parameters (repeats multiplied out, the
    /// larger branch of each when), saturating at <see cref="long.MaxValue"/>: what bounds an operation.
    /// </summary>
    public long Expansion(MechanismParams p, IReadOnlyDictionary<string, long> designParams) => Count(Steps, p, designParams);

    private static long Count(IReadOnlyList<Step> steps, MechanismParams p, IReadOnlyDictionary<string, long> d)
    {
        long total = 0;
        foreach (var step in steps)
        {
            long n = step switch
            {
                PrimitiveStep => 1,
                RepeatStep r => Times(r.Times.Read(p, d), Count(r.Steps, p, d)),
                EveryStep e => Count(e.Steps, p, d),
                OnceStep o => Count(o.Steps, p, d),
                WhenStep w => Math.Max(Count(w.Then, p, d), Count(w.Else, p, d)),
                IrqsOffStep i => Count(i.Steps, p, d),
                TextMutexStep m => Count(m.Steps, p, d),
                _ => 1,
            };
            total = total > long.MaxValue - n ? long.MaxValue : total + n;
        }
        return total;
    }

    private static long Times(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    /// <summary>Steps joined as a kernel path.</summary>
    public static string Render(IReadOnlyList<Step> steps) => string.Join("; ", steps.Select(s => s.Render()));
}

/// <summary>Where a cost is charged: the CPU's time categories a pending stretch may hold.</summary>
internal readonly record struct PendingCost(Hardware.TimeCategory Category, double Cycles, Duration Time);
