using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms.Sequences;

/// <summary>
/// A design written as a sequence of primitives, run by an interpreter: each operation walks the steps on
/// the initiating CPU. State that outlives one operation (the current page, each <c>every</c> block's call
/// count, whether <c>once</c> blocks ran) belongs to this instance, one per run.
/// </summary>
public sealed class SequenceMechanism : IMechanism
{
    private readonly Sequence _design;
    private readonly IReadOnlyDictionary<string, long> _params;
    private readonly Dictionary<Step, long> _calls = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Step> _done = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates a fresh instance of <paramref name="design"/> with its parameters as given (defaults for the rest).</summary>
    public SequenceMechanism(Sequence design, IReadOnlyDictionary<string, long>? designParams = null)
    {
        ArgumentNullException.ThrowIfNull(design);
        _design = design;
        var values = new Dictionary<string, long>(design.Params, StringComparer.Ordinal);
        foreach (var (k, v) in designParams ?? new Dictionary<string, long>())
            values[k] = v;
        _params = values;
    }

    /// <inheritdoc />
    public string Name => _design.Name;

    /// <inheritdoc />
    public string KernelPath => _design.KernelPath;

    /// <inheritdoc />
    public IReadOnlySet<string>? ParamsRead => _read ??= ReadBy(_design);

    private IReadOnlySet<string>? _read;

    // What the design reads: the mechanism parameters its primitives' costs name (as "mechanism.key"), the
    // parameters its counts and conditions name, and those of its hooks.
    private static HashSet<string> ReadBy(Sequence design)
    {
        var read = new HashSet<string>(StringComparer.Ordinal);
        void Names(string text)
        {
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"mechanism\.([a-z0-9_]+)"))
                read.Add(m.Groups[1].Value);
        }
        void Walk(IEnumerable<Step> steps)
        {
            foreach (var step in steps)
            {
                switch (step)
                {
                    case PrimitiveStep p:
                        Names(p.Primitive.Costs);
                        foreach (var c in p.Args.Counts.Values)
                            read.Add(c.Text);
                        break;
                    case RepeatStep r:
                        read.Add(r.Times.Text);
                        Walk(r.Steps);
                        break;
                    case EveryStep e:
                        read.Add(e.N.Text);
                        Walk(e.Steps);
                        break;
                    case OnceStep o:
                        Walk(o.Steps);
                        break;
                    case WhenStep w:
                        read.Add(w.Param);
                        Walk(w.Then);
                        Walk(w.Else);
                        break;
                    case IrqsOffStep i:
                        Walk(i.Steps);
                        break;
                    case TextMutexStep t:
                        Walk(t.Steps);
                        break;
                }
            }
        }
        Walk(design.Steps);
        foreach (var hook in design.Hooks)
            Names(Primitives.Hooks.TryGetValue(hook, out var text) ? text : hook);
        return read;
    }

    /// <summary>The current page, kept from one operation to the next (-1 before the first allocation).</summary>
    internal long Page { get; set; } = -1;

    /// <inheritdoc />
    public void Attach(MechanismContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_design.Hooks.Contains("pks_save_pt_regs"))
        {
            var clock = context.Machine.Params.Cpu.Frequency;
            context.Machine.Pks = new PksEntryCost(clock.Cycles(context.Params.PksEntryCycles), clock.Cycles(2 * context.Params.WrmsrPkrsCycles));
        }
    }

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var run = new SequenceRun(this, context, cpu, _params);
        foreach (var e in Steps(run, _design.Steps))
            yield return e;
        foreach (var e in run.Flush())
            yield return e;
    }

    private IEnumerable<Event> Steps(SequenceRun run, IReadOnlyList<Step> steps)
    {
        foreach (var step in steps)
        {
            foreach (var e in One(run, step))
                yield return e;
        }
    }

    private IEnumerable<Event> One(SequenceRun run, Step step)
    {
        switch (step)
        {
            case PrimitiveStep p:
                return p.Primitive.Body(run, p.Args);
            case RepeatStep r:
                return Repeat(run, r);
            case EveryStep ev:
            {
                long calls = _calls.GetValueOrDefault(ev) + 1;
                _calls[ev] = calls;
                return calls % Math.Max(1, ev.N.Read(run.Params, run.DesignParams)) == 0 ? Steps(run, ev.Steps) : [];
            }
            case OnceStep o:
                return _done.Add(o) ? Steps(run, o.Steps) : [];
            case WhenStep w:
                return Steps(run, w.Test(run.Params, run.DesignParams) ? w.Then : w.Else);
            case IrqsOffStep i:
                return IrqsOff(run, i);
            case TextMutexStep m:
                return TextMutex(run, m);
            default:
                throw new InvalidOperationException($"unknown step {step}");
        }
    }

    private IEnumerable<Event> Repeat(SequenceRun run, RepeatStep r)
    {
        long times = r.Times.Read(run.Params, run.DesignParams);
        for (long i = 0; i < times; i++)
        {
            foreach (var e in Steps(run, r.Steps))
                yield return e;
        }
    }

    private IEnumerable<Event> IrqsOff(SequenceRun run, IrqsOffStep step)
    {
        foreach (var e in run.Flush())
            yield return e;
        bool outer = run.IrqsOff;
        run.IrqsOff = true;
        foreach (var e in Steps(run, step.Steps))
            yield return e;
        foreach (var e in run.Flush())
            yield return e;
        run.IrqsOff = outer;
        if (!outer)
        {
            // local_irq_restore: an IPI that arrived inside is taken now, and under full preemption the task can
            // lose its CPU here.
            foreach (var e in run.Cpu.RunIrqsOff(Duration.Zero, TimeCategory.Kernel))
                yield return e;
            foreach (var e in run.Kernel.PreemptionPoint(run.Cpu, Linux.PreemptPoint.PreemptEnable))
                yield return e;
        }
    }

    private IEnumerable<Event> TextMutex(SequenceRun run, TextMutexStep step)
    {
        foreach (var e in run.Flush())
            yield return e;
        foreach (var e in run.Kernel.PreemptionPoint(run.Cpu, Linux.PreemptPoint.MightSleep)) // mutex_lock's might_sleep
            yield return e;
        using var textMutex = run.Context.TextMutex.Request();
        foreach (var e in run.Cpu.SpinUntil(textMutex, TimeCategory.Kernel)) // mutex_optimistic_spin: the owner is running
            yield return e;
        foreach (var e in Steps(run, step.Steps))
            yield return e;
        foreach (var e in run.Flush())
            yield return e;
    }
}

/// <summary>
/// One operation of a sequence design in progress: the CPU running it, the stretch of plain kernel time
/// not yet spent (consecutive costs, by category), and the design's state it reads and changes.
/// </summary>
public sealed class SequenceRun
{
    private readonly SequenceMechanism _owner;
    private readonly List<PendingCost> _pending = [];

    internal SequenceRun(SequenceMechanism owner, MechanismContext context, Cpu cpu, IReadOnlyDictionary<string, long> designParams)
    {
        _owner = owner;
        Context = context;
        Cpu = cpu;
        DesignParams = designParams;
    }

    /// <summary>The run's mechanism context.</summary>
    public MechanismContext Context { get; }

    /// <summary>The CPU performing the operation.</summary>
    public Cpu Cpu { get; }

    /// <summary>The design's own parameters.</summary>
    public IReadOnlyDictionary<string, long> DesignParams { get; }

    /// <summary>Mechanism costs and options.</summary>
    public MechanismParams Params => Context.Params;

    /// <summary>The kernel.</summary>
    public LinuxKernel Kernel => Context.Kernel;

    /// <summary>The machine.</summary>
    public Machine Machine => Context.Machine;

    /// <summary>Inside an irqs_off block: time passes with interrupts held off.</summary>
    public bool IrqsOff { get; set; }

    /// <summary>The page the page-level steps act on (kept across operations).</summary>
    public long Page
    {
        get => _owner.Page;
        set => _owner.Page = value;
    }

    /// <summary>The area of the last vmap, until vunmap frees it.</summary>
    public VmapArea? Area { get; set; }

    /// <summary>The current page; the design's loader makes sure a page step came first.</summary>
    public long RequirePage() => Page >= 0 ? Page : throw new InvalidOperationException("no current page: a page or alloc_pages step must come first");

    /// <summary>A frame from the page allocator as <paramref name="placement"/> says.</summary>
    public long Frame(string placement) => placement switch
    {
        "buddy" => Context.AllocFrame(),
        "pool" => Context.PoolFrame(),
        _ => Context.RandomFrame(),
    };

    /// <summary>The address space <paramref name="name"/> names.</summary>
    public AddressSpace Mm(string name) => name == "poking" ? Context.PokingMm : Context.UserMm;

    /// <summary>Adds plain kernel time to the pending stretch (cycles convert at the machine's clock when the stretch runs).</summary>
    public IEnumerable<Event> Cost(TimeCategory category, double cycles, Duration time)
    {
        if (_pending.Count > 0 && _pending[^1].Category == category)
            _pending[^1] = new PendingCost(category, _pending[^1].Cycles + cycles, _pending[^1].Time + time);
        else
            _pending.Add(new PendingCost(category, cycles, time));
        return [];
    }

    /// <summary>Runs the pending stretch, then <paramref name="action"/>, then adds the given cost to a new stretch.</summary>
    public IEnumerable<Event> Act(Action action, TimeCategory category = TimeCategory.Kernel, Duration time = default, double cycles = 0)
    {
        foreach (var e in Flush())
            yield return e;
        action();
        if (time.Picoseconds > 0 || cycles > 0)
            Cost(category, cycles, time);
    }

    /// <summary>Runs the pending stretch, then the kernel path <paramref name="path"/> (started only then).</summary>
    public IEnumerable<Event> Call(Func<IEnumerable<Event>> path)
    {
        foreach (var e in Flush())
            yield return e;
        foreach (var e in path())
            yield return e;
        if (!IrqsOff)
        {
            // A kernel path returns with preemption enabled (on_each_cpu's preempt_enable, cpa_lock's unlock):
            // under full preemption the task can lose its CPU here.
            foreach (var e in Kernel.PreemptionPoint(Cpu, Linux.PreemptPoint.PreemptEnable))
                yield return e;
        }
    }

    /// <summary>Spends the pending stretch: interruptible, or with interrupts held off inside irqs_off.</summary>
    public IEnumerable<Event> Flush()
    {
        if (_pending.Count == 0)
            yield break;
        var clock = Machine.Params.Cpu.Frequency;
        var stretch = _pending.ToArray();
        _pending.Clear();
        foreach (var (category, cycles, time) in stretch)
        {
            var total = (cycles > 0 ? clock.Cycles(cycles) : Duration.Zero) + time;
            var part = IrqsOff ? Cpu.Spend(total, category) : Cpu.Run(total, category);
            foreach (var e in part)
                yield return e;
        }
    }
}
