using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Hardware;

/// <summary>What PKS adds to each interrupt: the save/restore bookkeeping, and a WRMSR pair when the interrupted code had a write window open.</summary>
/// <param name="EntryExit">pks_save_pt_regs plus pks_restore_pt_regs with the cached value unchanged.</param>
/// <param name="WrmsrPair">Two WRMSRs to IA32_PKRS: to the default value on entry and back on exit.</param>
public sealed record PksEntryCost(Units.Duration EntryExit, Units.Duration WrmsrPair);

/// <summary>
/// The simulated machine: CPUs on a topology, the IPI bus, the page walker and TLB model, and the physical
/// memory's direct map (whose page sizes every CPU's kernel translations depend on).
/// </summary>
public sealed class Machine
{
    private readonly Dictionary<AccessProfile, TlbOutcome> _tlbCache = [];
    private long _tlbCacheVersion;

    /// <summary>Builds the machine; CPUs do nothing until given a program with <see cref="Start"/>.</summary>
    public Machine(Simulation simulation, MachineParams parameters, DirectMap directMap, ITlbModel tlbModel)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(directMap);
        ArgumentNullException.ThrowIfNull(tlbModel);
        var errors = parameters.Validate("machine").ToList();
        if (errors.Count > 0)
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(parameters));
        Simulation = simulation;
        Params = parameters;
        DirectMap = directMap;
        TlbModel = tlbModel;
        Topology = new Topology(parameters.Topology);
        Walker = new PageWalker(parameters.Tlb, parameters.Cpu.Frequency);
        Bus = new IpiBus(this);
        Cpus = Enumerable.Range(0, Topology.Cpus).Select(i => new Cpu(this, i)).ToArray();
        _coreDeepThreads = new int[parameters.Topology.Sockets * parameters.Topology.CoresPerSocket];
        _packageDeepThreads = new int[parameters.Topology.Sockets];
        var states = parameters.Cpu.IdleStates;
        _threadFallback = states.LastOrDefault(s => s.Level == IdleLevel.Thread && !s.Polling) ?? states[0];
    }

    private readonly Stack<CallRequest> _requestPool = new();
    private OtherCpus[]? _others;

    /// <summary>A csd for a round of <paramref name="initiator"/>, from the machine's pool.</summary>
    internal CallRequest RentRequest(Cpu initiator, Cpu target, CallFunction function, CallRound round)
    {
        if (_requestPool.TryPop(out var request))
        {
            request.Set(initiator, target, function, round);
            return request;
        }
        return new CallRequest(initiator, target, function, round);
    }

    /// <summary>Returns a csd whose round is over (its target has unlocked it).</summary>
    internal void ReturnRequest(CallRequest request) => _requestPool.Push(request);

    /// <summary>Every online CPU but <paramref name="cpu"/>, in CPU order (cpu_online_mask minus self), without building a list.</summary>
    public IReadOnlyList<Cpu> OthersOf(Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        _others ??= new OtherCpus[Cpus.Count];
        return _others[cpu.Id] ??= new OtherCpus(Cpus, cpu.Id);
    }

    private sealed class OtherCpus(IReadOnlyList<Cpu> all, int skip) : IReadOnlyList<Cpu>
    {
        public Cpu this[int index] => all[index < skip ? index : index + 1];

        public int Count => all.Count - 1;

        public IEnumerator<Cpu> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
                yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    // Threads idle in a core-or-deeper state, per core; threads idle in a package state, per socket.
    private readonly int[] _coreDeepThreads;
    private readonly int[] _packageDeepThreads;
    private readonly IdleState _threadFallback;

    internal void EnterIdle(Cpu cpu, IdleState state) => CountIdle(cpu, state, +1);

    internal void ExitIdle(Cpu cpu, IdleState state) => CountIdle(cpu, state, -1);

    private void CountIdle(Cpu cpu, IdleState state, int delta)
    {
        if (state.Level != IdleLevel.Thread)
            _coreDeepThreads[cpu.Core] += delta;
        if (state.Level == IdleLevel.Package)
            _packageDeepThreads[cpu.Socket] += delta;
    }

    /// <summary>
    /// What an idle CPU that asked for <paramref name="requested"/> has reached right now: a core state needs
    /// every SMT thread of the core idle in a core state or deeper, a package state every thread of the
    /// package in a package state; short of that the CPU sits in the deepest thread state of the table (the
    /// core stays clocked for its running sibling), or in the core state.
    /// </summary>
    public (IdleState State, IdleLevel Level) Reached(Cpu cpu, IdleState requested)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(requested);
        if (requested.Level == IdleLevel.Thread)
            return (requested, IdleLevel.Thread);
        var t = Params.Topology;
        if (_coreDeepThreads[cpu.Core] < t.ThreadsPerCore)
            return (_threadFallback, IdleLevel.Thread);
        if (requested.Level == IdleLevel.Package && _packageDeepThreads[cpu.Socket] == t.CoresPerSocket * t.ThreadsPerCore)
            return (requested, IdleLevel.Package);
        return (requested, IdleLevel.Core);
    }

    /// <summary>Threads idle in a core-or-deeper state on <paramref name="core"/>, as counted (for the invariant checks).</summary>
    public int CoreDeepThreads(int core) => _coreDeepThreads[core];

    /// <summary>Threads idle in a package state on <paramref name="socket"/>, as counted (for the invariant checks).</summary>
    public int PackageDeepThreads(int socket) => _packageDeepThreads[socket];

    /// <summary>The engine.</summary>
    public Simulation Simulation { get; }

    /// <summary>The parameters.</summary>
    public MachineParams Params { get; }

    /// <summary>Sockets, cores, threads and distances.</summary>
    public Topology Topology { get; }

    /// <summary>The CPUs, by Linux number.</summary>
    public IReadOnlyList<Cpu> Cpus { get; }

    /// <summary>The APIC and interconnect.</summary>
    public IpiBus Bus { get; }

    /// <summary>Walk latencies.</summary>
    public PageWalker Walker { get; }

    /// <summary>How TLB behaviour is predicted.</summary>
    public ITlbModel TlbModel { get; }

    /// <summary>The kernel's direct map of physical memory.</summary>
    public DirectMap DirectMap { get; }

    /// <summary>PKRS save and restore on every interrupt (set when the design under study uses PKS), or null.</summary>
    public PksEntryCost? Pks { get; set; }

    /// <summary>Function-call requests queued on CPUs (csds), all time.</summary>
    public long CallsQueued { get; internal set; }

    /// <summary>Function-call requests acknowledged by their targets (csd_unlock), all time.</summary>
    public long CallsAcknowledged { get; internal set; }

    /// <summary>Requests queued and not yet acknowledged (in a queue or being handled); kept only while <see cref="TrackOutstanding"/>.</summary>
    public HashSet<CallRequest> Outstanding { get; } = [];

    /// <summary>Keep <see cref="Outstanding"/> (the invariant checker turns it on; it costs a set update per request).</summary>
    public bool TrackOutstanding { get; set; }

    /// <summary>Mechanism operations completed after warm-up (counted by the operation generator).</summary>
    public long OperationsDone { get; set; }

    /// <summary>Bumped whenever the direct map's page sizes change, so CPUs re-evaluate their TLBs.</summary>
    public long TranslationVersion { get; private set; }

    /// <summary>Records that the direct map's page sizes changed.</summary>
    public void DirectMapChanged() => TranslationVersion++;

    /// <summary>Starts <paramref name="cpu"/> running <paramref name="program"/>.</summary>
    public Process Start(Cpu cpu, Func<Cpu, IEnumerable<Event>> program)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(program);
        if (cpu.Process is { IsAlive: true })
            throw new InvalidOperationException($"cpu{cpu.Id} already runs a program");
        cpu.Account(TimeCategory.Idle); // no program until now
        // A program that ends leaves its CPU idle, still taking interrupts.
        var p = Simulation.Process(program(cpu).Concat(cpu.IdleForever()), $"cpu{cpu.Id}");
        cpu.Process = p;
        return p;
    }

    /// <summary>The TLB behaviour of <paramref name="profile"/> under the current direct map, shared by CPUs with equal profiles until the direct map changes.</summary>
    public TlbOutcome EvaluateTlb(AccessProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (_tlbCacheVersion != TranslationVersion)
        {
            _tlbCache.Clear();
            _tlbCacheVersion = TranslationVersion;
        }
        if (!_tlbCache.TryGetValue(profile, out var outcome))
        {
            outcome = TlbModel.Evaluate(Params.Tlb, profile.Classes(DirectMap, Params.Cpu.Pti));
            _tlbCache[profile] = outcome;
        }
        return outcome;
    }
}
