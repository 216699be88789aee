using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// One logical CPU. Its behaviour is a program (a process) made of the primitives of
/// <c>Cpu.Primitives.cs</c>; each primitive
/// charges its time to a <see cref="TimeCategory"/>. Interrupts (IPIs) preempt <see cref="Run"/>,
/// <see cref="Idle"/> and <see cref="SpinUntil"/>; inside <see cref="RunIrqsOff"/> and inside a handler they
/// wait until interrupts are enabled again, as an IRQ-disabled section delays a real IPI.
/// </summary>
public sealed partial class Cpu
{
    private readonly Machine _machine;
    private readonly int _core;
    private readonly long[] _timePs = new long[Enum.GetValues<TimeCategory>().Length];
    private readonly Queue<Func<Cpu, IEnumerable<Event>>> _work = new();
    private long _accountedUntil;
    private TlbOutcome? _outcome;
    private Rates _rates;

    /// <summary>Per-second translation figures of the current TLB outcome, computed once per outcome.</summary>
    private readonly record struct Rates(double TranslationPs, double KernelTranslationPs, double Walks, double KernelWalks);
    private long _outcomeVersion = -1;
    private double[] _resident = [];
    private double _refillDebtPs;
    private double _refillKernelPs;
    private long _kernelDebtPs;
    private double _refillWalks;

    internal Cpu(Machine machine, int id)
    {
        _machine = machine;
        Id = id;
        Socket = machine.Topology.SocketOf(id);
        _core = machine.Topology.CoreOf(id);
        _wakeRng = machine.Simulation.Random.Stream($"cpu{id}.wake");
        Governor = new MenuGovernor(machine.Params.Cpu.IdleStates);
        _runs = new(() => new RunProgram(this));
        _spends = new(() => new SpendProgram(this));
        _irqsOffs = new(() => new IrqsOffProgram(this));
        _spins = new(() => new SpinProgram(this));
    }

    /// <summary>The machine-wide core index.</summary>
    public int Core => _core;

    /// <summary>Where this CPU's shootdown waits went (see <see cref="LatencyBreakdown"/>).</summary>
    public LatencyBreakdown Breakdown { get; } = new();

    /// <summary>Linux CPU number.</summary>
    public int Id { get; }

    /// <summary>Socket the CPU is on.</summary>
    public int Socket { get; }

    /// <summary>The machine.</summary>
    public Machine Machine => _machine;

    /// <summary>The process running this CPU's program, once started.</summary>
    public Process? Process { get; internal set; }

    /// <summary>How this CPU touches memory while busy.</summary>
    public AccessProfile Profile { get; set; } = new();

    /// <summary>The user address space whose page tables CR3 points at (loaded_mm), if any; set by switch_mm, or directly when a run starts with the mm loaded.</summary>
    public AddressSpace? LoadedMm { get; set; }

    /// <summary>In lazy TLB mode: running a kernel thread or idle with a user mm still loaded (cpu_tlbstate_shared.is_lazy).</summary>
    public bool IsLazy { get; internal set; }

    /// <summary>cpu_tlbstate.invalidate_other: a kernel flush under PTI left other ASIDs stale; the next switch to another mm flushes.</summary>
    public bool InvalidateOther { get; set; }

    /// <summary>A PKS write window is open: PKRS differs from the default, so an interrupt must write it twice.</summary>
    public bool PkrsOpen { get; set; }

    /// <summary>Time charged to <paramref name="category"/> so far.</summary>
    public Duration TimeIn(TimeCategory category) => new(_timePs[(int)category]);

    /// <summary>Time accounted so far (all categories).</summary>
    public Duration Accounted => new(_timePs.Sum());

    /// <summary>Page walks (translation misses) this CPU has done, refills included.</summary>
    public double Walks { get; private set; }

    /// <summary>Translation time spent on kernel data (steady misses plus the kernel share of refills), in picoseconds.</summary>
    public double KernelWalkPs { get; private set; }

    /// <summary>Steady-state page walks for kernel direct-map data (refills excluded).</summary>
    public double KernelWalks { get; private set; }

    /// <summary>TLB translations this CPU lost to flushes that it would have used again.</summary>
    public double LiveEntriesLost { get; private set; }

    /// <summary>The TLB behaviour of this CPU's profile under the current direct map.</summary>
    public TlbOutcome Tlb
    {
        get
        {
            if (_outcome is null || _outcomeVersion != _machine.TranslationVersion)
            {
                var previous = _outcome;
                _outcome = _machine.EvaluateTlb(Profile);
                _outcomeVersion = _machine.TranslationVersion;
                _rates = new Rates(
                    _outcome.TranslationPsPerSecond(_machine.Walker), _outcome.TranslationPsPerSecond(_machine.Walker, c => c.Kernel),
                    _outcome.WalksPerSecond(), _outcome.WalksPerSecond(c => c.Kernel));
                if (previous is null || previous.Classes.Count != _outcome.Classes.Count)
                {
                    // New unit classes start warm, except where the old classes had been flushed and not refilled.
                    double mean = _resident.Length == 0 ? 1 : _resident.Average();
                    _resident = Enumerable.Repeat(mean, _outcome.Classes.Count).ToArray();
                }
            }
            return _outcome;
        }
    }

    // ---- Work -----------------------------------------------------------------------------------

    /// <summary>
    /// Workload execution of <paramref name="work"/> (instruction time without translation misses): the
    /// translation misses of this CPU's profile under the current direct map, and any refills owed after a
    /// flush, are added and charged to <see cref="TimeCategory.Walk"/>.
    /// </summary>
    public IEnumerable<Event> Work(Duration work)
    {
        var tlb = Tlb;
        var rates = _rates;
        double seconds = work.TotalSeconds;
        double walkPs = seconds * rates.TranslationPs + _refillDebtPs;
        // The kernel's part: its own units' misses, and the kernel share of the refills owed.
        KernelWalkPs += seconds * rates.KernelTranslationPs + _refillKernelPs;
        Walks += seconds * rates.Walks + _refillWalks;
        KernelWalks += seconds * rates.KernelWalks;
        _refillDebtPs = 0;
        _refillKernelPs = 0;
        _refillWalks = 0;
        // Busy time refills what flushes emptied: a class's live entries come back at its access rate.
        for (int k = 0; k < _resident.Length; k++)
            _resident[k] += (1 - _resident[k]) * -double.ExpM1(-tlb.Classes[k].Rate * seconds);
        foreach (var e in Run(work, TimeCategory.Workload))
            yield return e;
        foreach (var e in Run(new Duration((long)walkPs), TimeCategory.Walk))
            yield return e;
        if (_kernelDebtPs > 0)
        {
            var debt = new Duration(_kernelDebtPs);
            _kernelDebtPs = 0;
            foreach (var e in Run(debt, TimeCategory.Kernel))
                yield return e;
        }
    }

    /// <summary>
    /// schedule_work on this CPU's system workqueue: a kworker runs <paramref name="work"/> when the CPU next
    /// schedules, outside the code that queued it (the CPU program runs queued work between its slices).
    /// </summary>
    public void QueueWork(Func<Cpu, IEnumerable<Event>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _work.Enqueue(work);
    }

    /// <summary>Work queued by <see cref="QueueWork"/> and not yet run.</summary>
    public bool HasQueuedWork => _work.Count > 0;

    /// <summary>The kworker: runs every queued work item in order.</summary>
    public IEnumerable<Event> RunQueuedWork()
    {
        while (_work.TryDequeue(out var work))
        {
            foreach (var e in work(this))
                yield return e;
        }
    }

    /// <summary>Kernel time this CPU owes for things that happened to it between events (traps into poke_int3_handler), paid after its next <see cref="Work"/>.</summary>
    public void OweKernelTime(Duration time) => _kernelDebtPs += Math.Max(0, time.Picoseconds);

    // ---- TLB state ------------------------------------------------------------------------------

    /// <summary>
    /// Drops the cached translations that <paramref name="lost"/> selects (a full flush: user entries; a global
    /// flush: all). The live ones among them that had been refilled since the last loss are owed as refills,
    /// paid by the next <see cref="Work"/>; refills right after a full flush find the paging-structure caches
    /// empty too and read every level.
    /// </summary>
    public void LoseEntries(Func<UnitClass, bool> lost)
    {
        var tlb = Tlb;
        for (int k = 0; k < tlb.Classes.Count; k++)
        {
            var c = tlb.Classes[k];
            if (!lost(c))
                continue;
            double live = c.Count * tlb.Live[k] * _resident[k];
            _resident[k] = 0;
            Owe(live, live * _machine.Walker.RefillWalkPs(c.Size), c.Kernel);
        }
    }

    /// <summary>
    /// Drops the translations of <paramref name="pages"/> consecutive 4K kernel direct-map pages by INVLPG. Each
    /// INVLPG invalidates the mapping that covers its address, so the pages knock out ceil(pages x 4K / size)
    /// mappings of <paramref name="mappedBy"/>; each is live with the average liveness of that size's kernel units.
    /// </summary>
    public void LoseKernelPages(long pages, PageSize mappedBy)
    {
        if (pages <= 0)
            return;
        var tlb = Tlb;
        double unitsInMemory = _machine.DirectMap.Coverage(mappedBy) * _machine.DirectMap.Memory.Bytes / mappedBy.Bytes();
        if (unitsInMemory <= 0)
            return;
        double mappings = Math.Min(Math.Ceiling(pages * 4096.0 / mappedBy.Bytes()), unitsInMemory);
        double hit = mappings / unitsInMemory; // the chance that a given unit is among the invalidated mappings
        double live = 0;
        for (int k = 0; k < tlb.Classes.Count; k++)
        {
            var c = tlb.Classes[k];
            if (c.Kernel && c.Size == mappedBy)
            {
                live += c.Count * tlb.Live[k] * _resident[k] * hit;
                _resident[k] *= 1 - hit;
            }
        }
        Owe(live, live * _machine.Walker.WalkPs(mappedBy), kernel: true);
    }

    private void Owe(double walks, double ps, bool kernel)
    {
        if (kernel)
            _refillKernelPs += ps;
        LiveEntriesLost += walks;
        _refillWalks += walks;
        _refillDebtPs += ps;
    }

    // ---- Accounting -----------------------------------------------------------------------------

    /// <summary>
    /// Charges the time since the last charge to what the CPU is doing now (idle when it has no program or
    /// its program ended), so that <see cref="Accounted"/> equals the elapsed time.
    /// </summary>
    public void SettleAccounts() => Account(Process is { IsAlive: true } ? _waiting : TimeCategory.Idle);

    /// <summary>Charges the time since the last charge to <paramref name="category"/>.</summary>
    public void Account(TimeCategory category)
    {
        long now = _machine.Simulation.NowPicoseconds;
        if (_windowCount > _windowHead)
            AccountWindows(category, now);
        _timePs[(int)category] += now - _accountedUntil;
        _accountedUntil = now;
    }
}
