using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Workloads;

/// <summary>
/// The run-time invariants behind <c>tlbsim run --check</c> (always on in tests): simulated time never
/// goes backwards; every IPI's request is acknowledged (none waits longer than the csd-lock timeout and
/// no more are acknowledged than were sent); no TLB structure holds more entries than it has; each CPU's
/// time accounting sums to the elapsed time; no CPU sits in a core C-state while an SMT sibling runs, and no
/// package state is reached while any CPU of the package runs; flush_tlb_mm_range never interrupts a CPU
/// that is lazy, or no longer runs the mm outside a cpumask trim, unless page tables were freed. A violation stops the run with a
/// message naming the invariant, the CPU and the time.
/// </summary>
public sealed class InvariantChecker
{
    /// <summary>Longest a queued call may wait before it counts as lost (Linux warns after 5 s; a simulated run is shorter).</summary>
    public static readonly Duration CsdLockTimeout = Duration.FromMilliseconds(50);

    private readonly Machine _machine;
    private long _lastTimePs;

    /// <summary>Installs the checks on <paramref name="machine"/>.</summary>
    public InvariantChecker(Machine machine, Linux.LinuxKernel? kernel = null)
    {
        ArgumentNullException.ThrowIfNull(machine);
        _machine = machine;
        if (kernel is not null)
        {
            var previousHook = kernel.UserFlushTargets;
            kernel.UserFlushTargets = (mm, targets, freedTables, trim) =>
            {
                previousHook?.Invoke(mm, targets, freedTables, trim);
                if (freedTables)
                    return;
                foreach (var t in targets)
                {
                    if (t.IsLazy || (t.LoadedMm != mm && !trim))
                        throw Violation("a user-mm flush never interrupts a CPU that could skip it (lazy, or running another mm outside a cpumask trim)", t, $"flush of mm {mm.Id}");
                }
            };
        }
        machine.TrackOutstanding = true;
        var sim = machine.Simulation;
        var previous = sim.BeforeFire;
        sim.BeforeFire = e =>
        {
            previous?.Invoke(e);
            long t = e.Time.Picoseconds;
            if (t < _lastTimePs)
                throw Violation("simulated time never goes backwards", null, $"event {e} at {e.Time} after {new Duration(_lastTimePs)}");
            _lastTimePs = t;
        };
        sim.Process(Watch(sim), "invariants");
    }

    /// <summary>Checks everything that can be checked at this instant.</summary>
    public void CheckNow()
    {
        var sim = _machine.Simulation;
        if (_machine.CallsAcknowledged > _machine.CallsQueued)
            throw Violation("every IPI sent is acknowledged once", null, $"{_machine.CallsAcknowledged} acknowledgments for {_machine.CallsQueued} requests");
        foreach (var request in _machine.Outstanding)
        {
            if (sim.NowPicoseconds - request.QueuedAtPs > CsdLockTimeout.Picoseconds)
            {
                var target = _machine.Cpus.FirstOrDefault(c => c.Holds(request));
                throw Violation("every IPI sent is acknowledged", target,
                    $"a request from cpu{request.Initiator.Id} queued at {new Duration(request.QueuedAtPs)} is still unacknowledged (csd lock timeout {CsdLockTimeout})");
            }
        }
        foreach (var cpu in _machine.Cpus)
        {
            // Account() charges every interval to some category, so this holds unless a primitive's bookkeeping breaks.
            cpu.SettleAccounts();
            if (cpu.Accounted != sim.Now)
                throw Violation("each CPU's time accounting sums to elapsed time", cpu, $"accounted {cpu.Accounted}");
            CheckOccupancy(cpu);
        }
        CheckIdleLevels();
    }

    private void CheckIdleLevels()
    {
        var p = _machine.Topology.Params;
        var coreDeep = new int[p.Sockets * p.CoresPerSocket];
        var coreRunning = new bool[coreDeep.Length];
        var socketRunning = new bool[p.Sockets];
        foreach (var c in _machine.Cpus)
        {
            if (c.IdleStateRequested is { Level: not IdleLevel.Thread })
                coreDeep[c.Core]++;
            if (!c.IsIdle && c.Process is not null)
            {
                coreRunning[c.Core] = true;
                socketRunning[c.Socket] = true;
            }
        }
        foreach (var cpu in _machine.Cpus)
        {
            // The machine's counts of deep idle threads must match the CPUs' own states, or Reached() lies.
            if (coreDeep[cpu.Core] != _machine.CoreDeepThreads(cpu.Core))
                throw Violation("the count of threads in core states matches the CPUs", cpu, $"{_machine.CoreDeepThreads(cpu.Core)} counted, {coreDeep[cpu.Core]} found");
            if (cpu.IdleStateRequested is not { } requested)
                continue;
            var (_, level) = _machine.Reached(cpu, requested);
            if (level != IdleLevel.Thread && coreRunning[cpu.Core])
                throw Violation("no CPU is in a core C-state while an SMT sibling runs", cpu, $"reached {level} in {requested.Name}");
            if (level == IdleLevel.Package && socketRunning[cpu.Socket])
                throw Violation("no package C-state while any CPU of the package runs", cpu, $"reached the package state in {requested.Name}");
        }
    }

    private void CheckOccupancy(Cpu cpu)
    {
        if (_machine.TlbModel is not AnalyticTlbModel)
            return; // the trace model is a real cache: its occupancy is bounded by construction
        var tlb = _machine.EvaluateTlb(cpu.Profile); // not cpu.Tlb: checking must not disturb the CPU's own state
        var p = _machine.Params.Tlb;
        foreach (var size in new[] { PageSize.Size4K, PageSize.Size2M, PageSize.Size1G })
        {
            double held = 0;
            for (int k = 0; k < tlb.Classes.Count; k++)
            {
                if (tlb.Classes[k].Size == size)
                    held += tlb.Classes[k].Count * tlb.L1Hit[k];
            }
            int capacity = size switch { PageSize.Size4K => p.Dtlb4kEntries, PageSize.Size2M => p.Dtlb2mEntries, _ => p.Dtlb1gEntries };
            if (held > capacity * (1 + 1e-6) + 1e-6)
                throw Violation("TLB occupancy never exceeds capacity", cpu, $"L1 dTLB {size} holds {held:F1} of {capacity} entries");
        }
    }

    private IEnumerable<Event> Watch(Simulation sim)
    {
        while (true)
        {
            yield return sim.Timeout(Duration.FromMicroseconds(500));
            CheckNow();
        }
    }

    private SimulationException Violation(string invariant, Cpu? cpu, string detail) =>
        new($"invariant violated: {invariant}{(cpu is null ? "" : $" (cpu{cpu.Id})")} at {_machine.Simulation.Now}: {detail}");
}
