using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>Where a CPU's time goes; the categories of one CPU sum to the elapsed time.</summary>
public enum TimeCategory
{
    /// <summary>The workload's own instructions (user and kernel), excluding translation misses.</summary>
    Workload,

    /// <summary>Kernel work of the mechanism under study: syscalls, faults, attribute changes, page-table updates.</summary>
    Kernel,

    /// <summary>Interrupt entry and exit.</summary>
    Interrupt,

    /// <summary>Flush work: sending IPIs, invalidating, waiting for acknowledgments.</summary>
    Flush,

    /// <summary>Translation misses: STLB hits, page walks, and the refills that follow a flush.</summary>
    Walk,

    /// <summary>Idle, including the exit latency of an idle state.</summary>
    Idle,
}

/// <summary>
/// Where an initiator's time waiting on other CPUs went, summed over its shootdown rounds: the critical
/// (last) target's idle wake-up and its interrupts-off delay, the per-target work of the initiator
/// (csd_lock and llist_add on each target, the ICR writes, and csd_lock_wait's walk over the csds), and the
/// rest of the wait (IPI delivery, the target's interrupt entry and flush, the unlock).
/// </summary>
public sealed class LatencyBreakdown
{
    /// <summary>Waiting for the critical target to wake from idle, in picoseconds.</summary>
    public long WakePs { get; internal set; }

    /// <summary>Waiting for the critical target to enable interrupts, in picoseconds.</summary>
    public long IrqsOffPs { get; internal set; }

    /// <summary>The initiator's own per-target work, in picoseconds.</summary>
    public long PerTargetPs { get; internal set; }

    /// <summary>The rest of the wait for the targets, in picoseconds.</summary>
    public long RemoteWaitPs { get; internal set; }
}

/// <summary>
/// One logical CPU. Its behaviour is a program (a process) made of the primitives below; each primitive
/// charges its time to a <see cref="TimeCategory"/>. Interrupts (IPIs) preempt <see cref="Run"/>,
/// <see cref="Idle"/> and <see cref="SpinUntil"/>; inside <see cref="RunIrqsOff"/> and inside a handler they
/// wait until interrupts are enabled again, as an IRQ-disabled section delays a real IPI.
/// </summary>
public sealed class Cpu
{
    private readonly Machine _machine;
    private readonly long[] _timePs = new long[Enum.GetValues<TimeCategory>().Length];
    private List<CallRequest> _callQueue = [];
    private List<CallRequest> _batch = [];
    private readonly System.Random _wakeRng;
    private readonly int _core;
    private IdleState? _idleState;
    private bool _polled;
    private long _deliveredAtPs;
    private long _wakePs;
    private Kernel.Timeout? _runTimeout;
    private bool _spinning; // waiting in SpinUntil: a request can be taken at once, the spin resumes after it // the timeout Run waits on: a request can be taken at once by postponing it
    private Window[] _windows = new Window[4]; // handler time taken at once and not yet charged, in time order
    private int _windowHead; // the first window not yet fully charged
    private int _windowCount; // one past the last window
    private long _windowsEndPs;

    /// <summary>A stretch of time already decided (a handler taken at once) and its category.</summary>
    private struct Window
    {
        public long Start;
        public long End;
        public TimeCategory Category;
    }
    private readonly Queue<Func<Cpu, IEnumerable<Event>>> _work = new();
    private long _accountedUntil;
    private TimeCategory _waiting = TimeCategory.Idle;
    private bool _interruptible;
    private bool _ipiPending;
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
    }

    /// <summary>The machine-wide core index.</summary>
    public int Core => _core;

    /// <summary>The idle state the governor chose, while the CPU is idle.</summary>
    public IdleState? IdleStateRequested => IsIdle ? _idleState : null;

    /// <summary>Idle in a polling state: TIF_POLLING_NRFLAG is set, so a single request needs no IPI.</summary>
    public bool IsPolling => IsIdle && _idleState is { Polling: true };

    /// <summary>Scratch list for the targets a flush on this CPU chooses (used before the flush's first wait).</summary>
    internal List<Cpu> ScratchTargets { get; } = [];

    /// <summary>Scratch list for the targets of one round that need an IPI.</summary>
    internal List<Cpu> ScratchIpi { get; } = [];

    private CallRound? _round;

    /// <summary>This CPU's cfd for a smp_call_function_many_cond round, reused; a fresh one if a round is somehow still in use.</summary>
    internal CallRound TakeRound()
    {
        _round ??= new CallRound(_machine.Simulation);
        return _round.InUse ? new CallRound(_machine.Simulation) : _round;
    }

    /// <summary>Ends a round on the cfd.</summary>
    internal static void ReturnRound(CallRound round) => round.InUse = false;

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

    /// <summary>True while the CPU sits in an idle state.</summary>
    public bool IsIdle { get; private set; }

    /// <summary>True while an interrupt would wait (interrupts disabled or a handler running).</summary>
    public bool IrqsDisabled => !_interruptible;

    /// <summary>Time charged to <paramref name="category"/> so far.</summary>
    public Duration TimeIn(TimeCategory category) => new(_timePs[(int)category]);

    /// <summary>Time accounted so far (all categories).</summary>
    public Duration Accounted => new(_timePs.Sum());

    /// <summary>IPIs this CPU has taken (interrupt entries for function calls).</summary>
    public long InterruptsTaken { get; private set; }

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

    // ---- Primitives of a CPU program ------------------------------------------------------------

    /// <summary>Runs for <paramref name="time"/> with interrupts enabled, charging <paramref name="category"/>; interrupts are taken as they arrive and the rest of the time follows.</summary>
    public IEnumerable<Event> Run(Duration time, TimeCategory category) => (_runs.TryPop(out var run) ? run : new RunProgram(this)).Start(time, category);

    /// <summary>Runs for <paramref name="time"/> with interrupts disabled: an IPI arriving meanwhile is taken when the section ends.</summary>
    public IEnumerable<Event> RunIrqsOff(Duration time, TimeCategory category) =>
        time.Picoseconds <= 0 && !_ipiPending ? [] : (_irqsOffs.TryPop(out var run) ? run : new IrqsOffProgram(this)).Start(time, category);

    /// <summary>
    /// Spends <paramref name="time"/> in the current interrupt state without taking interrupts at the end:
    /// the building block of functions that run inside a handler or an IRQ-disabled section.
    /// </summary>
    public IEnumerable<Event> Spend(Duration time, TimeCategory category) =>
        time.Picoseconds > 0 ? (_spends.TryPop(out var spend) ? spend : new SpendProgram(this)).Start(time, category) : [];

    // Run, Spend, RunIrqsOff and SpinUntil are the sub-programs every shootdown round, handler and workload
    // slice goes through, so their programs are written out as enumerators and pooled per CPU (returned when
    // the caller's foreach disposes them): once warm, nothing is allocated for them. Each reads as the
    // iterator in its comment.
    private readonly Stack<RunProgram> _runs = new();
    private readonly Stack<SpendProgram> _spends = new();
    private readonly Stack<IrqsOffProgram> _irqsOffs = new();
    private readonly Stack<SpinProgram> _spins = new();

    /// <summary>What the written-out programs share: the enumerator's plumbing, the return to the pool, and taking interrupts (a relay of <see cref="HandleInterrupts"/>).</summary>
    private abstract class PooledProgram(Cpu cpu) : IEnumerable<Event>, IEnumerator<Event>
    {
        protected readonly Cpu Cpu = cpu;
        private IEnumerator<Event>? _handler;
        private bool _returned;

        public Event Current { get; protected set; } = null!;

        object System.Collections.IEnumerator.Current => Current;

        /// <summary>In the middle of taking interrupts.</summary>
        protected bool InHandler => _handler is not null;

        protected void Rented() => _returned = false;

        /// <summary>Starts or goes on taking the pending interrupts: true with <see cref="Current"/> set while the handler has an event to wait on, false when it is over.</summary>
        protected bool TakeInterrupts()
        {
            _handler ??= Cpu.HandleInterrupts().GetEnumerator();
            if (_handler.MoveNext())
            {
                Current = _handler.Current;
                return true;
            }
            _handler.Dispose();
            _handler = null;
            return false;
        }

        public abstract bool MoveNext();

        /// <summary>Puts this program back in its CPU's pool.</summary>
        protected abstract void Return();

        public void Dispose()
        {
            _handler?.Dispose();
            _handler = null;
            Current = null!;
            if (!_returned)
            {
                _returned = true;
                Return();
            }
        }

        public IEnumerator<Event> GetEnumerator() => this;

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;

        public void Reset() => throw new NotSupportedException();
    }

    /// <summary>
    /// Run's program:
    /// <code>
    /// while (remaining &gt; 0 || _ipiPending)
    /// {
    ///     if (_ipiPending) { foreach (var e in HandleInterrupts()) yield return e; continue; }
    ///     _interruptible = true; _waiting = category;
    ///     yield return _runTimeout = Timeout(remaining);
    ///     _runTimeout = null; _interruptible = false;
    ///     remaining = Process.TryTakeInterrupt(out var i) ? i.Remaining ?? 0 : 0;
    ///     Account(category);
    /// }
    /// </code>
    /// </summary>
    private sealed class RunProgram(Cpu cpu) : PooledProgram(cpu)
    {
        private Duration _remaining;
        private TimeCategory _category;
        private bool _onTimeout;

        public RunProgram Start(Duration time, TimeCategory category)
        {
            Rented();
            _remaining = time;
            _category = category;
            _onTimeout = false;
            return this;
        }

        public override bool MoveNext()
        {
            if (_onTimeout)
            {
                _onTimeout = false;
                Cpu._runTimeout = null;
                Cpu._interruptible = false;
                _remaining = Cpu.Process!.TryTakeInterrupt(out var interrupt) ? interrupt.Remaining ?? Duration.Zero : Duration.Zero;
                Cpu.Account(_category);
            }
            if (InHandler && TakeInterrupts())
                return true;
            while (_remaining.Picoseconds > 0 || Cpu._ipiPending)
            {
                if (Cpu._ipiPending)
                {
                    if (TakeInterrupts())
                        return true;
                    continue;
                }
                Cpu._interruptible = true;
                Cpu._waiting = _category;
                Cpu._runTimeout = Cpu._machine.Simulation.Timeout(_remaining);
                Current = Cpu._runTimeout;
                _onTimeout = true;
                return true;
            }
            Current = null!;
            return false;
        }

        protected override void Return() => Cpu._runs.Push(this);
    }

    /// <summary>Spend's program: <c>_waiting = category; yield return Timeout(time); Account(category);</c></summary>
    private sealed class SpendProgram(Cpu cpu) : PooledProgram(cpu)
    {
        private Duration _time;
        private TimeCategory _category;
        private int _step; // 0: not started, 1: on the timeout, 2: over

        public SpendProgram Start(Duration time, TimeCategory category)
        {
            Rented();
            _time = time;
            _category = category;
            _step = 0;
            return this;
        }

        public override bool MoveNext()
        {
            switch (_step)
            {
                case 0:
                    Cpu._waiting = _category;
                    Current = Cpu._machine.Simulation.Timeout(_time);
                    _step = 1;
                    return true;
                case 1:
                    _step = 2;
                    Current = null!;
                    Cpu.Account(_category);
                    return false;
                default:
                    return false;
            }
        }

        protected override void Return() => Cpu._spends.Push(this);
    }

    /// <summary>
    /// RunIrqsOff's program:
    /// <code>
    /// if (time &gt; 0) { _waiting = category; yield return Timeout(time); Account(category); }
    /// if (_ipiPending) foreach (var e in HandleInterrupts()) yield return e;
    /// </code>
    /// </summary>
    private sealed class IrqsOffProgram(Cpu cpu) : PooledProgram(cpu)
    {
        private Duration _time;
        private TimeCategory _category;
        private int _step; // 0: not started, 1: on the timeout, 2: taking interrupts, 3: over

        public IrqsOffProgram Start(Duration time, TimeCategory category)
        {
            Rented();
            _time = time;
            _category = category;
            _step = 0;
            return this;
        }

        public override bool MoveNext()
        {
            if (_step == 0)
            {
                _step = 1;
                if (_time.Picoseconds > 0)
                {
                    Cpu._waiting = _category;
                    Current = Cpu._machine.Simulation.Timeout(_time);
                    return true;
                }
            }
            if (_step == 1)
            {
                if (_time.Picoseconds > 0)
                    Cpu.Account(_category);
                _step = Cpu._ipiPending ? 2 : 3;
            }
            if (_step == 2)
            {
                if (TakeInterrupts())
                    return true;
                _step = 3;
            }
            Current = null!;
            return false;
        }

        protected override void Return() => Cpu._irqsOffs.Push(this);
    }

    /// <summary>
    /// SpinUntil's program:
    /// <code>
    /// while (!done.IsProcessed || _ipiPending)
    /// {
    ///     if (_ipiPending) { foreach (var e in HandleInterrupts()) yield return e; continue; }
    ///     _interruptible = true; _waiting = category; _spinning = true;
    ///     yield return done;
    ///     _spinning = false; _interruptible = false;
    ///     Process.TryTakeInterrupt(out _);
    ///     Account(category);
    /// }
    /// // A handler taken at once while spinning must end before the spinner sees its event.
    /// while (_windowsEndPs &gt; now)
    /// {
    ///     _interruptible = true;
    ///     yield return _runTimeout = Timeout(_windowsEndPs - now);
    ///     _runTimeout = null; _interruptible = false;
    ///     Account(category);
    /// }
    /// </code>
    /// </summary>
    private sealed class SpinProgram(Cpu cpu) : PooledProgram(cpu)
    {
        private Event _done = null!;
        private TimeCategory _category;
        private int _step; // 0: spinning, 1: on done, 2: waiting out the windows, 3: on a window's timeout

        public SpinProgram Start(Event done, TimeCategory category)
        {
            Rented();
            _done = done;
            _category = category;
            _step = 0;
            return this;
        }

        public override bool MoveNext()
        {
            if (_step == 1)
            {
                Cpu._spinning = false;
                Cpu._interruptible = false;
                Cpu.Process!.TryTakeInterrupt(out _);
                Cpu.Account(_category);
                _step = 0;
            }
            if (_step == 0)
            {
                if (InHandler && TakeInterrupts())
                    return true;
                while (!_done.IsProcessed || Cpu._ipiPending)
                {
                    if (Cpu._ipiPending)
                    {
                        if (TakeInterrupts())
                            return true;
                        continue;
                    }
                    Cpu._interruptible = true;
                    Cpu._waiting = _category;
                    Cpu._spinning = true;
                    Current = _done;
                    _step = 1;
                    return true;
                }
                _step = 2;
            }
            if (_step == 3)
            {
                Cpu._runTimeout = null;
                Cpu._interruptible = false;
                Cpu.Account(_category);
                _step = 2;
            }
            var sim = Cpu._machine.Simulation;
            if (Cpu._windowsEndPs > sim.NowPicoseconds)
            {
                Cpu._interruptible = true;
                Cpu._runTimeout = sim.Timeout(new Duration(Cpu._windowsEndPs - sim.NowPicoseconds));
                Current = Cpu._runTimeout;
                _step = 3;
                return true;
            }
            _done = null!;
            Current = null!;
            return false;
        }

        protected override void Return() => Cpu._spins.Push(this);
    }

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
    /// Idles for up to <paramref name="time"/> in the state the menu governor chooses (cpuidle_idle_call). The
    /// state is reached only as far as the rest of the chip allows: a core state only while every SMT sibling
    /// is idle in a core state too, a package state only while the whole package is. An interrupt wakes the
    /// CPU: it pays a wake-up drawn from the state's shape at the level it reached, handles the interrupt, and
    /// goes back to idle for the rest of the time.
    /// </summary>
    public IEnumerable<Event> Idle(Duration time)
    {
        var sim = _machine.Simulation;
        var end = sim.Now + time;
        while (sim.Now < end || _ipiPending)
        {
            if (_ipiPending)
            {
                foreach (var e in HandleInterrupts())
                    yield return e;
                continue;
            }
            var state = ChooseIdleState(end - sim.Now);
            if (state.FlushesTlb && LoadedMm is not null)
            {
                // cpuidle_enter_state: leave_mm before a state that loses the TLB; the CPU runs on init_mm
                // and loads its task's mm again (a CR3 write) when it resumes it.
                LoadedMm = null;
                IsLazy = false;
            }
            long enteredPs = sim.NowPicoseconds;
            _idleState = state;
            IsIdle = true;
            _machine.EnterIdle(this, state);
            _interruptible = true;
            _waiting = TimeCategory.Idle;
            yield return sim.Timeout(end - sim.Now);
            _interruptible = false;
            var (reached, level) = _machine.Reached(this, state);
            _machine.ExitIdle(this, state);
            IsIdle = false;
            bool woken = Process!.TryTakeInterrupt(out _);
            RecordIdleInterval(sim.NowPicoseconds - enteredPs);
            Account(TimeCategory.Idle);
            if (state.FlushesTlb && level != IdleLevel.Thread)
                LoseEntries(_ => true);
            if (woken)
            {
                var wake = reached.Wake.At(_wakeRng.NextDouble(), reached.ExitLatencyAt(level));
                if (_machine.Params.Cpu.WakeScale != 1)
                    wake *= _machine.Params.Cpu.WakeScale;
                _wakePs = wake.Picoseconds;
                if (wake.Picoseconds > 0)
                {
                    _waiting = TimeCategory.Idle;
                    yield return sim.Timeout(wake);
                    Account(TimeCategory.Idle);
                }
            }
        }
    }

    /// <summary>Spins with interrupts enabled until <paramref name="done"/> has happened (csd_lock_wait), taking interrupts meanwhile.</summary>
    public IEnumerable<Event> SpinUntil(Event done, TimeCategory category)
    {
        ArgumentNullException.ThrowIfNull(done);
        return (_spins.TryPop(out var spin) ? spin : new SpinProgram(this)).Start(done, category);
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

    // ---- Interrupts -----------------------------------------------------------------------------

    /// <summary>
    /// Queues <paramref name="request"/> on this CPU's call-single queue (llist_add). Returns true when the
    /// queue was empty, which is when the initiator must send an IPI; otherwise one is already on its way.
    /// </summary>
    public bool Enqueue(CallRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.QueuedAtPs = _machine.Simulation.NowPicoseconds;
        _machine.CallsQueued++;
        if (_machine.TrackOutstanding)
            _machine.Outstanding.Add(request);
        _callQueue.Add(request);
        return _callQueue.Count == 1;
    }

    /// <summary>Whether <paramref name="request"/> waits in this CPU's call-single queue.</summary>
    public bool Holds(CallRequest request) => _callQueue.Contains(request) || _batch.Contains(request);

    /// <summary>An IPI arrives: taken now if the CPU is interruptible, otherwise when it next enables interrupts.</summary>
    internal void Deliver()
    {
        if (_ipiPending)
            return; // the vector is already pending in the APIC
        if ((_runTimeout is not null || _spinning) && Process is { IsAlive: true })
        {
            TakeAtOnce();
            return;
        }
        _ipiPending = true;
        _deliveredAtPs = _machine.Simulation.NowPicoseconds;
        Wake();
    }

    /// <summary>
    /// The IPI reaches a CPU that is running or spinning with interrupts enabled (in <see cref="Run"/> or
    /// <see cref="SpinUntil"/>): the handler is
    /// taken at once without switching to the CPU's process. Its steps have fixed costs (entry, the queue
    /// take, each csd read and function, exit), so its time is known now: the functions' effects apply now,
    /// each csd is unlocked at the instant the handler reaches it, the handler's time is charged as it
    /// passes, and the interrupted work ends that much later (its timeout is postponed). An IPI arriving
    /// while such a handler runs is taken after it, as a real one waits for interrupts to be enabled.
    /// </summary>
    private void TakeAtOnce()
    {
        var sim = _machine.Simulation;
        var cpu = _machine.Params.Cpu;
        var apic = _machine.Params.Apic;
        var topology = _machine.Topology;
        long now = sim.NowPicoseconds;
        long start = Math.Max(now, _windowsEndPs);
        long t = start;
        InterruptsTaken++;
        t = AddWindow(t, (cpu.InterruptEntry + PksEntryExtra()).Picoseconds, TimeCategory.Interrupt);
        (_batch, _callQueue) = (_callQueue, _batch);
        if (_batch.Count > 0)
            t = AddWindow(t, apic.Ack(topology.Distance(_batch[0].Initiator.Id, Id)).Picoseconds, TimeCategory.Interrupt);
        foreach (var request in _batch)
        {
            request.WakePs = 0;
            request.IrqsOffPs = Math.Max(0, start - Math.Max(now, request.QueuedAtPs));
            t = AddWindow(t, apic.Ack(topology.Distance(request.Initiator.Id, Id)).Picoseconds, TimeCategory.Flush);
            var function = request.Function;
            if (_machine.EarlyAck)
                Acknowledge(request, t);
            t = AddWindow(t, function(this).Picoseconds, TimeCategory.Flush);
            if (!_machine.EarlyAck)
                Acknowledge(request, t);
        }
        _batch.Clear();
        t = AddWindow(t, cpu.InterruptExit.Picoseconds, TimeCategory.Interrupt);
        _windowsEndPs = t;
        _runTimeout?.Extend(t - start); // a spinner has no timeout: it waits for the windows' end when its event comes
    }

    private long AddWindow(long start, long length, TimeCategory category)
    {
        if (length <= 0)
            return start;
        if (_windowCount == _windows.Length)
        {
            if (_windowHead > 0)
            {
                Array.Copy(_windows, _windowHead, _windows, 0, _windowCount - _windowHead);
                _windowCount -= _windowHead;
                _windowHead = 0;
            }
            else
            {
                Array.Resize(ref _windows, _windows.Length * 2);
            }
        }
        _windows[_windowCount++] = new Window { Start = start, End = start + length, Category = category };
        return start + length;
    }

    /// <summary>
    /// A polling idle CPU sees need_resched set by call_function_single_prep_ipi: it leaves the poll loop and
    /// runs its call-single queue from do_idle (flush_smp_call_function_queue), with no interrupt entry or exit.
    /// </summary>
    internal void PollWake()
    {
        if (_ipiPending)
            return;
        _ipiPending = true;
        _polled = true;
        _deliveredAtPs = _machine.Simulation.NowPicoseconds;
        Wake();
    }

    private void Wake()
    {
        if (Process is null)
        {
            // A CPU nobody gave a program sits idle: the IPI wakes it and its idle loop handles it.
            _machine.Start(this, c => c.IdleForever());
            return;
        }
        if (_interruptible && Process.IsAlive)
        {
            _interruptible = false;
            Process.Interrupt("ipi");
        }
    }

    /// <summary>
    /// The CALL_FUNCTION vector (sysvec_call_function): interrupt entry, then flush_smp_call_function_queue
    /// takes every queued request (llist_del_all: the queue's cache line comes back from the initiators) and
    /// runs each with interrupts off, reading its csd (a line the initiator wrote) and unlocking it after its
    /// function (csd_unlock), or before it under the early-ack policy; then interrupt exit. Requests queued
    /// after the take send a new IPI, taken after this one. A polling CPU woken without an IPI does the same
    /// from its idle loop, without entry and exit.
    /// </summary>
    private IEnumerable<Event> HandleInterrupts()
    {
        var sim = _machine.Simulation;
        var cpu = _machine.Params.Cpu;
        var apic = _machine.Params.Apic;
        var topology = _machine.Topology;
        while (_ipiPending)
        {
            _ipiPending = false;
            bool polled = _polled;
            _polled = false;
            long handlerStart = sim.NowPicoseconds;
            if (!polled)
            {
                InterruptsTaken++;
                _waiting = TimeCategory.Interrupt;
                yield return sim.Timeout(cpu.InterruptEntry + PksEntryExtra());
                Account(TimeCategory.Interrupt);
            }
            (_batch, _callQueue) = (_callQueue, _batch);
            if (_batch.Count > 0)
            {
                // llist_del_all: the queue head was last written by an initiator.
                var take = apic.Ack(topology.Distance(_batch[0].Initiator.Id, Id));
                foreach (var e in Spend(take, TimeCategory.Interrupt))
                    yield return e;
            }
            long wake = _wakePs;
            _wakePs = 0;
            foreach (var request in _batch)
            {
                request.WakePs = wake;
                request.IrqsOffPs = Math.Max(0, handlerStart - Math.Max(_deliveredAtPs, request.QueuedAtPs) - wake);
                // Reading the csd: its line is in the initiator's cache.
                foreach (var e in Spend(apic.Ack(topology.Distance(request.Initiator.Id, Id)), TimeCategory.Flush))
                    yield return e;
                var function = request.Function;
                if (_machine.EarlyAck)
                    Acknowledge(request, sim.NowPicoseconds);
                foreach (var e in Spend(function(this), TimeCategory.Flush))
                    yield return e;
                if (!_machine.EarlyAck)
                    Acknowledge(request, sim.NowPicoseconds);
            }
            _batch.Clear();
            if (!polled)
            {
                _waiting = TimeCategory.Interrupt;
                yield return sim.Timeout(cpu.InterruptExit);
                Account(TimeCategory.Interrupt);
            }
        }
    }

    /// <summary>pks_save_pt_regs and pks_restore_pt_regs, charged at entry: nothing without PKS.</summary>
    private Duration PksEntryExtra() => _machine.Pks is { } pks ? pks.EntryExit + (PkrsOpen ? pks.WrmsrPair : Duration.Zero) : Duration.Zero;

    /// <summary>
    /// Charges the time since the last charge to what the CPU is doing now (idle when it has no program or
    /// its program ended), so that <see cref="Accounted"/> equals the elapsed time.
    /// </summary>
    public void SettleAccounts() => Account(Process is { IsAlive: true } ? _waiting : TimeCategory.Idle);

    /// <summary>Idles forever, waking for interrupts: what a CPU does with no program of its own.</summary>
    public IEnumerable<Event> IdleForever()
    {
        while (true)
        {
            foreach (var e in Idle(Duration.FromMilliseconds(100)))
                yield return e;
        }
    }

    private void Acknowledge(CallRequest request, long atPs)
    {
        _machine.CallsAcknowledged++;
        if (_machine.TrackOutstanding)
            _machine.Outstanding.Remove(request);
        request.Unlock(atPs, _machine.Simulation.NowPicoseconds);
    }

    /// <summary>Charges the time since the last charge to <paramref name="category"/>.</summary>
    public void Account(TimeCategory category)
    {
        long now = _machine.Simulation.NowPicoseconds;
        if (_windowCount > _windowHead)
            AccountWindows(category, now);
        _timePs[(int)category] += now - _accountedUntil;
        _accountedUntil = now;
    }

    /// <summary>Charges the handler windows that have started by <paramref name="now"/> to their categories, and the gaps before them to <paramref name="category"/>.</summary>
    private void AccountWindows(TimeCategory category, long now)
    {
        for (; _windowHead < _windowCount; _windowHead++)
        {
            ref var w = ref _windows[_windowHead];
            if (w.Start >= now)
                break;
            _timePs[(int)category] += w.Start - _accountedUntil;
            long end = Math.Min(w.End, now);
            _timePs[(int)w.Category] += end - w.Start;
            _accountedUntil = end;
            if (w.End > now)
            {
                w.Start = now; // the rest of this window is charged later
                break;
            }
        }
        if (_windowHead == _windowCount)
            _windowHead = _windowCount = 0;
    }

    /// <summary>
    /// The menu governor's choice (drivers/cpuidle/governors/menu.c, menu_select): the predicted idle time is
    /// the time to the next timer (here, the planned end of the idle period), capped by the typical recent
    /// interval (get_typical_interval) when there is one, so a CPU woken again and again by IPIs stops
    /// choosing deep states. The deepest state whose target residency fits is chosen; POLL when none does.
    /// </summary>
    private IdleState ChooseIdleState(Duration untilTimer)
    {
        var predicted = untilTimer;
        uint typicalUs = GetTypicalInterval(_idleIntervalsUs);
        if (typicalUs != uint.MaxValue)
            predicted = Duration.Min(predicted, Duration.FromMicroseconds(typicalUs));
        return DeepestFitting(predicted);
    }

    /// <summary>
    /// get_typical_interval of menu.c over the last eight idle intervals (microseconds): their average when the
    /// standard deviation is small (variance &lt;= 400 us^2) or small against the average (avg^2 &gt; 36 variance,
    /// with at least three quarters of the samples left); otherwise the largest sample is discarded as an
    /// outlier and the test repeated, until a quarter of the samples are gone (then no typical interval:
    /// <see cref="uint.MaxValue"/>).
    /// </summary>
    public static uint GetTypicalInterval(IReadOnlyList<uint> intervals)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        int n = intervals.Count;
        uint thresh = int.MaxValue;
        while (true)
        {
            uint min = uint.MaxValue, max = 0;
            ulong sum = 0;
            int divisor = 0;
            foreach (uint value in intervals)
            {
                if (value > thresh)
                    continue;
                sum += value;
                divisor++;
                max = Math.Max(max, value);
                min = Math.Min(min, value);
            }
            if (max == 0)
                return uint.MaxValue;
            ulong avg = sum / (ulong)divisor;
            ulong variance = 0;
            foreach (uint value in intervals)
            {
                if (value > thresh)
                    continue;
                long diff = (long)value - (long)avg;
                variance += (ulong)(diff * diff);
            }
            variance /= (ulong)divisor;
            if (variance <= ulong.MaxValue / 36)
            {
                if ((avg * avg > variance * 36 && divisor * 4 >= n * 3) || variance <= 400)
                    return (uint)avg;
            }
            if (divisor * 4 <= n * 3)
                return uint.MaxValue;
            thresh = max - 1;
        }
    }

    // menu_device.intervals: the last eight measured idle durations in microseconds, zero until measured.
    private readonly uint[] _idleIntervalsUs = new uint[8];
    private int _idleIntervalNext;

    private void RecordIdleInterval(long ps)
    {
        _idleIntervalsUs[_idleIntervalNext] = (uint)Math.Min(ps / 1_000_000, int.MaxValue);
        _idleIntervalNext = (_idleIntervalNext + 1) % _idleIntervalsUs.Length;
    }

    private IdleState DeepestFitting(Duration predicted)
    {
        var states = _machine.Params.Cpu.IdleStates;
        var chosen = states[0];
        foreach (var s in states)
        {
            if (s.TargetResidency <= predicted)
                chosen = s;
        }
        return chosen;
    }
}
