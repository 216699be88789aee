using MathNet.Numerics.Distributions;
using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Workloads;

/// <summary>Everything one simulation run needs: one sweep point, one replication, one mechanism.</summary>
public sealed record RunSpec
{
    /// <summary>The machine.</summary>
    public required MachineParams Machine { get; init; }

    /// <summary>The kernel's flush settings.</summary>
    public required KernelParams Kernel { get; init; }

    /// <summary>The background load on every CPU.</summary>
    public required WorkloadParams Workload { get; init; }

    /// <summary>Mechanism costs and options.</summary>
    public required MechanismParams MechanismParams { get; init; }

    /// <summary>The operation generator.</summary>
    public required OperationParams Operations { get; init; }

    /// <summary>The mechanism's name in results (a design's name, or the label of an entry with its own options).</summary>
    public required string Mechanism { get; init; }

    /// <summary>Makes a fresh mechanism for the run; without one, the C# design class called <see cref="Mechanism"/>.</summary>
    public Func<IMechanism>? Design { get; init; }

    /// <summary>What <see cref="Design"/> builds (the design's name and its parameters): with the parameters above, all a run's results depend on.</summary>
    public string DesignKey { get; init; } = "";

    /// <summary>A fresh mechanism for the run.</summary>
    public IMechanism CreateMechanism() => Design?.Invoke() ?? Registry.Create(Mechanism);

    /// <summary>"analytic" or "trace".</summary>
    public string TlbModel { get; init; } = "analytic";

    /// <summary>Measured simulated time, after warm-up.</summary>
    public required Duration Duration { get; init; }

    /// <summary>Simulated time before measurement starts.</summary>
    public required Duration Warmup { get; init; }

    /// <summary>Run seed (already specific to the replication).</summary>
    public required long Seed { get; init; }

    /// <summary>Spacing of time-series samples.</summary>
    public Duration SampleInterval { get; init; } = Duration.FromMilliseconds(1);

    /// <summary>Check the run-time invariants (<see cref="InvariantChecker"/>) as the run goes.</summary>
    public bool Check { get; init; }
}

/// <summary>What a run reports besides the per-operation latencies it streams.</summary>
public sealed record RunOutcome
{
    /// <summary>Operations completed in the measured window.</summary>
    public long Operations { get; init; }

    /// <summary>Measured seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>CPUs.</summary>
    public int Cpus { get; init; }

    /// <summary>IPIs sent.</summary>
    public long Ipis { get; init; }

    /// <summary>Shootdown rounds.</summary>
    public long Shootdowns { get; init; }

    /// <summary>Times an operation lost its CPU at a preemption point (whole run, warm-up included).</summary>
    public long Preemptions { get; init; }

    /// <summary>Full or global flushes (summed over CPUs).</summary>
    public long FullFlushes { get; init; }

    /// <summary>Iterations of the closed-loop syscall benchmark, all threads (0 without one).</summary>
    public long Loops { get; init; }

    /// <summary>Threads of the closed-loop syscall benchmark (0 without one).</summary>
    public int LoopThreads { get; init; }

    /// <summary>CPUs that flush_tlb_mm_range left alone because they were in lazy TLB mode.</summary>
    public long LazySkips { get; init; }

    /// <summary>Page walks, refills included (summed over CPUs).</summary>
    public double TlbMisses { get; init; }

    /// <summary>Share of CPU time in each category (summed over CPUs, divided by CPUs x seconds).</summary>
    public required IReadOnlyDictionary<TimeCategory, double> TimeShare { get; init; }

    /// <summary>Direct-map 1G pages at the end.</summary>
    public long DirectMap1G { get; init; }

    /// <summary>Direct-map 2M pages at the end.</summary>
    public long DirectMap2M { get; init; }

    /// <summary>Direct-map 4K pages at the end.</summary>
    public long DirectMap4K { get; init; }

    /// <summary>Events the engine processed.</summary>
    public long Events { get; init; }

    /// <summary>Direct-map remappings (vmap aliases, prlist).</summary>
    public long Remaps { get; init; }

    /// <summary>
    /// Kernel time per unit of workload work: the workload's own kernel share of its work, plus mechanism
    /// kernel work, interrupts, flushes and kernel translation misses, divided by the work done. Its ratio to
    /// baseline's is how much the design slows the workload's kernel (system) time.
    /// </summary>
    public double KernelTimePerWork { get; init; }

    /// <summary>
    /// Per kind of operation (the mechanism's order): where the measured operations' time went, summed in
    /// picoseconds (see <see cref="OperationBreakdown"/>).
    /// </summary>
    public IReadOnlyList<OperationBreakdown> Breakdown { get; init; } = [];
}

/// <summary>
/// The measured operations of one kind in one run, their total latency split by cause: waiting for the
/// critical target's wake-up from idle, for it to enable interrupts, the initiator's per-target work
/// (csd_lock, llist_add, ICR writes, csd_lock_wait's walk), and the rest of the wait for targets (delivery,
/// entry, their flush, the unlock). The remainder of <see cref="TotalPs"/> is the initiator's own work.
/// </summary>
public readonly record struct OperationBreakdown
{
    /// <summary>Sum of the operations' latencies.</summary>
    public long TotalPs { get; init; }

    /// <summary>Waiting for wake-ups.</summary>
    public long WakePs { get; init; }

    /// <summary>Waiting for interrupts-off sections to end.</summary>
    public long IrqsOffPs { get; init; }

    /// <summary>Per-target work on the initiator.</summary>
    public long PerTargetPs { get; init; }

    /// <summary>The rest of the wait for targets.</summary>
    public long RemoteWaitPs { get; init; }

    /// <summary>The sum of two breakdowns.</summary>
    public OperationBreakdown Add(in OperationBreakdown other) => new()
    {
        TotalPs = TotalPs + other.TotalPs, WakePs = WakePs + other.WakePs, IrqsOffPs = IrqsOffPs + other.IrqsOffPs,
        PerTargetPs = PerTargetPs + other.PerTargetPs, RemoteWaitPs = RemoteWaitPs + other.RemoteWaitPs,
    };
}

/// <summary>Receives what a run measures as it happens.</summary>
public interface IRunObserver
{
    /// <summary>One operation of kind <paramref name="kind"/> (an index into the mechanism's operation kinds) finished, taking <paramref name="latency"/> on its CPU.</summary>
    void Operation(int kind, Duration latency);

    /// <summary>A time-series sample at <paramref name="time"/> (measured from the end of warm-up).</summary>
    void Sample(Duration time, string metric, double value);
}

/// <summary>
/// Runs one simulation: builds the machine and kernel, gives every CPU the workload's program, drives the
/// mechanism from the initiating CPUs (or from the page ownership transitions), warms up, then measures.
/// </summary>
public static partial class Experiment
{
    /// <summary>Runs <paramref name="spec"/>, streaming latencies and samples to <paramref name="observer"/>.</summary>
    public static RunOutcome Run(RunSpec spec, IRunObserver observer, Action<Simulation>? started = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(observer);
        var mechanism = spec.CreateMechanism();
        var kernelParams = mechanism.Adjust(spec.Kernel);
        var sim = new Simulation(spec.Seed) { Cancellation = cancel };
        started?.Invoke(sim);
        var directMap = new DirectMap(spec.Machine.Memory, kernelParams.GbPages, kernelParams.Force4kDirectMap, kernelParams.Remerge);
        ITlbModel tlb = spec.TlbModel == "trace" ? new TraceTlbModel() : new AnalyticTlbModel();
        var machine = new Machine(sim, spec.Machine, directMap, tlb);
        var kernel = new LinuxKernel(machine, kernelParams);
        var context = new MechanismContext(kernel, spec.MechanismParams, sim.Random.Stream($"mechanism.{spec.Mechanism}"));
        mechanism.Attach(context);
        context.Reporter = (kind, latency) =>
        {
            if (sim.NowPicoseconds - latency.Picoseconds >= spec.Warmup.Picoseconds)
                observer.Operation(kind, latency);
        };
        var runQueues = new RunQueues(context, Math.Max(spec.Workload.TasksPerCpu, spec.Workload.JobsPerCpu));
        PreloadLazyVmalloc(kernel, spec.Workload, sim.Random.Stream("vmalloc"));
        var access = spec.Workload.Access with { KernelShare = spec.Workload.KernelFraction };
        int initiators = spec.Operations.Initiators == 0 ? machine.Cpus.Count : Math.Min(spec.Operations.Initiators, machine.Cpus.Count);
        long warmupEnd = spec.Warmup.Picoseconds;
        var breakdown = new OperationBreakdown[mechanism.OperationKinds.Count];
        for (int k = 0; k < breakdown.Length; k++)
            breakdown[k] = new();
        int loopThreads = spec.Workload.Loop == SyscallLoop.None ? 0 : spec.Workload.LoopThreads == 0 ? machine.Cpus.Count : Math.Min(spec.Workload.LoopThreads, machine.Cpus.Count);
        var loops = new long[machine.Cpus.Count];
        var loopMm = new AddressSpace(9, "loop");
        var trace = string.IsNullOrEmpty(spec.Workload.Trace) ? null : RecordedTrace.Load(spec.Workload.Trace);
        var traceTasks = new Dictionary<int, TaskStruct>();
        var traceProcesses = new Dictionary<int, AddressSpace>();
        foreach (var cpu in machine.Cpus)
        {
            cpu.Profile = access;
            bool initiates = cpu.Id < initiators && !mechanism.DrivenByPageTransitions && spec.Operations.Rate > 0;
            if (trace is not null)
            {
                bool traceInitiates = cpu.Id < initiators && !mechanism.DrivenByPageTransitions && spec.Operations.Rate > 0;
                machine.Start(cpu, c => TraceProgram(c, spec, trace, mechanism, context, traceTasks, traceProcesses, traceInitiates, observer, warmupEnd, breakdown));
            }
            else if (cpu.Id < loopThreads)
            {
                // The loop thread is the CPU's only task: one mm shared by all threads, or its own process.
                var mm = spec.Workload.LoopProcesses ? new AddressSpace(1_000_000 + cpu.Id, $"loop{cpu.Id}") : loopMm;
                cpu.LoadedMm?.RemoveCpu(cpu.Id);
                cpu.LoadedMm = mm;
                mm.AddCpu(cpu.Id);
                kernel.Current[cpu.Id] = new TaskStruct(1_000_000 + cpu.Id, mm);
                machine.Start(cpu, c => LoopProgram(c, spec, mechanism, context, mm, initiates, observer, warmupEnd, breakdown, loops));
            }
            else
            {
                machine.Start(cpu, c => CpuProgram(c, spec, mechanism, context, runQueues, initiates, observer, warmupEnd, breakdown));
            }
        }
        sim.Process(Sampler(sim, machine, kernel, spec, observer), "sampler");
        var checker = spec.Check ? new InvariantChecker(machine, kernel) : null;

        sim.Run(spec.Warmup);
        var before = Snapshot.Take(machine, kernel);
        long loopsBefore = loops.Sum();
        long remapsBefore = context.Remaps;
        long lazySkipsBefore = kernel.LazySkips;
        sim.Run(spec.Warmup + spec.Duration);
        var after = Snapshot.Take(machine, kernel);
        checker?.CheckNow();
        double seconds = spec.Duration.TotalSeconds;
        double cpuSeconds = seconds * machine.Cpus.Count;
        return new RunOutcome
        {
            Operations = after.Operations - before.Operations,
            Seconds = seconds,
            Cpus = machine.Cpus.Count,
            Ipis = after.Ipis - before.Ipis,
            Shootdowns = after.Shootdowns - before.Shootdowns,
            Preemptions = kernel.Preemptions,
            FullFlushes = after.FullFlushes - before.FullFlushes,
            LazySkips = kernel.LazySkips - lazySkipsBefore,
            TlbMisses = after.Walks - before.Walks,
            TimeShare = Enum.GetValues<TimeCategory>().ToDictionary(c => c, c => (after.Time[(int)c] - before.Time[(int)c]) / 1e12 / cpuSeconds),
            DirectMap1G = directMap.Count1G,
            DirectMap2M = directMap.Count2M,
            DirectMap4K = directMap.Count4K,
            Events = sim.EventsProcessed,
            Remaps = context.Remaps - remapsBefore,
            KernelTimePerWork = KernelTimePerWork(before, after, spec.Workload.KernelFraction),
            Breakdown = breakdown,
            Loops = loops.Sum() - loopsBefore,
            LoopThreads = loopThreads,
        };
    }

    /// <summary>
    /// A run starts in the kernel's steady state: with background vfree traffic, vmap_lazy_nr follows a
    /// sawtooth from 0 to lazy_max_pages() and back at each purge, so at a random instant it is uniform on
    /// that range; without traffic nothing is pending.
    /// </summary>
    private static void PreloadLazyVmalloc(LinuxKernel kernel, WorkloadParams workload, System.Random rng)
    {
        if (workload.VfreeRate <= 0 || workload.BusyFraction <= 0)
            return;
        long pages = rng.NextInt64(kernel.Vmalloc.LazyMaxPages);
        kernel.Vmalloc.Preload(pages, pages / workload.VfreePages);
    }

    private static double KernelTimePerWork(Snapshot before, Snapshot after, double kernelFraction)
    {
        double Delta(TimeCategory c) => after.Time[(int)c] - before.Time[(int)c];
        double work = Delta(TimeCategory.Workload);
        if (work <= 0)
            return 0;
        double kernel = kernelFraction * work + Delta(TimeCategory.Kernel) + Delta(TimeCategory.Interrupt) + Delta(TimeCategory.Flush)
            + (after.KernelWalkPs - before.KernelWalkPs);
        return kernel / work;
    }

    private sealed record Snapshot(long Operations, long Ipis, long Shootdowns, long FullFlushes, double Walks, double KernelWalkPs, long[] Time)
    {
        public static Snapshot Take(Machine machine, LinuxKernel kernel)
        {
            var time = new long[Enum.GetValues<TimeCategory>().Length];
            double walks = 0, kernelWalkPs = 0;
            foreach (var cpu in machine.Cpus)
            {
                cpu.SettleAccounts();
                foreach (var c in Enum.GetValues<TimeCategory>())
                    time[(int)c] += cpu.TimeIn(c).Picoseconds;
                walks += cpu.Walks;
                kernelWalkPs += cpu.KernelWalkPs;
            }
            return new Snapshot(machine.OperationsDone, machine.Bus.IpisSent, kernel.Shootdowns, kernel.FullFlushes, walks, kernelWalkPs, time);
        }
    }

    private static IEnumerable<Event> CpuProgram(Cpu cpu, RunSpec spec, IMechanism mechanism, MechanismContext context, RunQueues runQueues,
        bool initiates, IRunObserver observer, long warmupEnd, OperationBreakdown[] breakdown)
    {
        var sim = cpu.Machine.Simulation;
        var kernel = context.Kernel;
        var w = spec.Workload;
        var rng = sim.Random.Stream($"cpu{cpu.Id}.workload");
        var opRng = sim.Random.Stream($"cpu{cpu.Id}.operations");
        var schedRng = sim.Random.Stream($"cpu{cpu.Id}.sched");
        var vmallocRng = sim.Random.Stream($"cpu{cpu.Id}.vmalloc");
        double rate = spec.Operations.Rate;
        long Gap() => spec.Operations.Arrival == Arrival.Fixed
            ? (long)(1e12 / rate)
            : Math.Max(1, (long)(Exponential.Sample(opRng, rate) * 1e12));
        long nextOp = initiates ? sim.NowPicoseconds + Gap() : long.MaxValue;
        double idleMean = w.BusyFraction >= 1 ? 0 : w.BusyFraction <= 0 ? double.PositiveInfinity : w.BusyPeriod.TotalSeconds * (1 - w.BusyFraction) / w.BusyFraction;
        bool busy = rng.NextDouble() < w.BusyFraction;
        long busyLeft = busy ? Draw(rng, w.BusyPeriod.TotalSeconds) : 0;
        long idleLeft = busy ? 0 : Draw(rng, idleMean);

        // The CPU's task runs again after idle (lazy TLB, or init_mm after leave_mm): switch_mm back to its mm.
        IEnumerable<Event> Resume()
        {
            var current = kernel.Current[cpu.Id];
            if (current is null || (!cpu.IsLazy && cpu.LoadedMm == current.Mm))
                return [];
            return kernel.ContextSwitch(cpu, current, TimeCategory.Workload);
        }

        // Jobs sharing the CPU (make -jN on M CPUs: N/M each): they take turns of sched_base_slice; the
        // operations belong to job 0, so an operation that falls due in another job's turn waits for job 0's.
        int jobs = Math.Max(1, w.JobsPerCpu);
        int job = 0;
        long turnLeft = kernel.Params.SchedBaseSlice.Picoseconds;
        var turns = jobs > 1 ? new JobTurns(kernel, runQueues, schedRng, jobs) : null;

        IEnumerable<Event> Operate(long dueAt)
        {
            foreach (var e in Resume())
                yield return e;
            long start = jobs > 1 ? Math.Min(dueAt, sim.NowPicoseconds) : sim.NowPicoseconds;
            if (turns is not null)
            {
                // The operation runs in its task's turn (a sleeper woken for it starts a new one) and can lose
                // the CPU at its preemption points once the turn is over.
                turns.TurnEndPs = sim.NowPicoseconds + (w.InitiatorWakes ? kernel.Params.SchedBaseSlice.Picoseconds : turnLeft);
                kernel.SetScheduler(cpu, turns);
            }
            foreach (var e in MeasuredOperation(cpu, mechanism, context, observer, warmupEnd, breakdown, start))
                yield return e;
            if (turns is not null)
            {
                kernel.SetScheduler(cpu, null);
                if (!w.InitiatorWakes)
                    turnLeft = Math.Max(1, turns.TurnEndPs - sim.NowPicoseconds);
                busyLeft = Math.Max(0, busyLeft - turns.OthersRanPs);
                turns.OthersRanPs = 0;
            }
        }

        while (true)
        {
            if (cpu.HasQueuedWork)
            {
                // A kworker (drain_vmap_work) runs before the workload continues.
                foreach (var e in cpu.RunQueuedWork())
                    yield return e;
                continue;
            }
            long now = sim.NowPicoseconds;
            if (now >= nextOp && (job == 0 || w.InitiatorWakes || (busyLeft <= 0 && idleLeft > 0)))
            {
                // Due, and the initiating job holds the CPU (or the CPU is idle: it wakes and runs it; or the
                // initiator is a sleeper whose wake-up preempts the running job).
                if (job != 0 && !w.InitiatorWakes)
                {
                    job = 0;
                    turnLeft = kernel.Params.SchedBaseSlice.Picoseconds;
                }
                foreach (var e in Operate(nextOp))
                    yield return e;
                nextOp = spec.Operations.Arrival == Arrival.Fixed ? nextOp + Gap() : sim.NowPicoseconds + Gap();
                continue;
            }
            if (busyLeft > 0)
            {
                foreach (var e in Resume())
                    yield return e;
                long untilOp = job == 0 ? Math.Max(1, nextOp - now) : long.MaxValue;
                long slice = Math.Min(Math.Min(w.Slice.Picoseconds, busyLeft), untilOp);
                if (jobs > 1)
                    slice = Math.Min(slice, Math.Max(1, turnLeft));
                long sliceStart = sim.NowPicoseconds;
                foreach (var e in cpu.Work(new Duration(slice)))
                    yield return e;
                busyLeft -= slice;
                // The turn is runtime: the slice's translation misses and the interrupts it took count too.
                if (jobs > 1 && (turnLeft -= sim.NowPicoseconds - sliceStart) <= 0)
                {
                    // The turn is used up: the next job runs (pick_next_entity; a switch between processes).
                    job = (job + 1) % jobs;
                    turnLeft = kernel.Params.SchedBaseSlice.Picoseconds;
                    var nextTask = runQueues.PickNext(cpu.Id, schedRng, 0);
                    if (nextTask is not null)
                    {
                        foreach (var e in kernel.ContextSwitch(cpu, nextTask, TimeCategory.Workload))
                            yield return e;
                    }
                }
                double sliceSeconds = slice / 1e12;
                int sections = PoissonCount(rng, sliceSeconds * w.IrqOffRate);
                for (int i = 0; i < sections; i++)
                {
                    foreach (var e in cpu.RunIrqsOff(new Duration(Draw(rng, w.IrqOffLength.TotalSeconds)), TimeCategory.Workload))
                        yield return e;
                }
                int switches = PoissonCount(rng, sliceSeconds * w.ContextSwitchRate);
                for (int i = 0; i < switches; i++)
                {
                    // context_switch: the workload's own cost (a CR3 write with PCID) unless a flush is owed.
                    var next = runQueues.PickNext(cpu.Id, schedRng, w.TaskMigration);
                    if (next is null)
                        continue;
                    foreach (var e in kernel.ContextSwitch(cpu, next, TimeCategory.Workload))
                        yield return e;
                }
                int vfrees = PoissonCount(vmallocRng, sliceSeconds * w.VfreeRate);
                for (int i = 0; i < vfrees; i++)
                {
                    // An exiting task's stack (or another vmalloc area) freed lazily: vmap_lazy_nr grows, no flush.
                    kernel.VunmapNoflush(cpu, kernel.Vmap(w.VfreePages - 1));
                }
                if (mechanism.DrivenByPageTransitions)
                {
                    int transitions = PoissonCount(opRng, sliceSeconds * w.PageTransitionRate);
                    for (int i = 0; i < transitions; i++)
                    {
                        foreach (var e in Operate(sim.NowPicoseconds))
                            yield return e;
                    }
                }
                if (busyLeft <= 0)
                    idleLeft = Draw(rng, idleMean);
                continue;
            }
            if (idleLeft <= 0)
            {
                busyLeft = Draw(rng, w.BusyPeriod.TotalSeconds);
                continue;
            }
            long idleFor = Math.Min(idleLeft, nextOp == long.MaxValue ? idleLeft : Math.Max(1, nextOp - now));
            LinuxKernel.EnterLazyTlb(cpu); // the idle task runs with the task's mm loaded, lazily
            foreach (var e in cpu.Idle(new Duration(idleFor)))
                yield return e;
            idleLeft -= idleFor;
        }
    }

    /// <summary>
    /// A closed-loop syscall benchmark thread, pinned to <paramref name="cpu"/>: iterations back to back, each
    /// built from the kernel's primitives, with the mechanism's operations in between when this CPU initiates.
    /// </summary>
    private static IEnumerable<Event> LoopProgram(Cpu cpu, RunSpec spec, IMechanism mechanism, MechanismContext context, AddressSpace mm,
        bool initiates, IRunObserver observer, long warmupEnd, OperationBreakdown[] breakdown, long[] loops)
    {
        var sim = cpu.Machine.Simulation;
        var kernel = context.Kernel;
        var opRng = sim.Random.Stream($"cpu{cpu.Id}.operations");
        double rate = spec.Operations.Rate;
        long nextOp = initiates ? sim.NowPicoseconds + Math.Max(1, (long)(Exponential.Sample(opRng, rate) * 1e12)) : long.MaxValue;
        // will-it-scale's mapping sizes: pages touched and dropped before the mapping is unmapped and mapped again.
        long mappingPages = spec.Workload.Loop switch
        {
            SyscallLoop.TlbFlush2 => 1024 * 1024 / 4096,
            SyscallLoop.TlbFlush1 or SyscallLoop.TlbFlush3 => 128L * 1024 * 1024 / 4096,
            _ => 0,
        };
        // tlb_flush2 and the madvise and munmap loops map anonymous memory, whose threads' adjacent mappings merge
        // into one VMA (one vm_refcnt line for all); tlb_flush1 and tlb_flush3 map each thread's own file.
        var vma = spec.Workload.Loop is SyscallLoop.TlbFlush1 or SyscallLoop.TlbFlush3 && !spec.Workload.LoopProcesses
            ? kernel.NewVma(mm, $"{mm.Name}.file{cpu.Id}")
            : kernel.VmaOf(mm);
        long page = 0;
        while (true)
        {
            if (cpu.HasQueuedWork)
            {
                foreach (var e in cpu.RunQueuedWork())
                    yield return e;
            }
            if (sim.NowPicoseconds >= nextOp)
            {
                foreach (var e in MeasuredOperation(cpu, mechanism, context, observer, warmupEnd, breakdown, sim.NowPicoseconds))
                    yield return e;
                nextOp = sim.NowPicoseconds + Math.Max(1, (long)(Exponential.Sample(opRng, rate) * 1e12));
                continue;
            }
            // will-it-scale's tlb_flush loops as written: write the page, madvise(MADV_DONTNEED) it, read it back
            // (assert), in the steady state after the first pass (the file's pages in the page cache). A read
            // fault on a file page maps the rest of its 16-page fault-around window read-only, so the next 15
            // writes find a present read-only PTE: tlb_flush1 (private) copies on write and clears the old PTE
            // with ptep_clear_flush, a second shootdown; tlb_flush3 (shared) makes it writable, no flush.
            bool windowStart = page % FaultAroundPages == 0;
            long aroundPages = windowStart ? FaultAroundPages - 1 : 0; // mapped by this iteration's read fault
            IEnumerable<Event> iteration = spec.Workload.Loop switch
            {
                SyscallLoop.Madvise => kernel.AnonFault(cpu, vma).Concat(kernel.MadviseDontneed(cpu, vma, 1, freed: 1)),
                SyscallLoop.TlbFlush1 => (windowStart ? kernel.CowFault(cpu, vma) : kernel.WpPageCopy(cpu, vma))
                    .Concat(kernel.MadviseDontneed(cpu, vma, 1, freed: 1)).Concat(kernel.FileReadFault(cpu, vma, aroundPages)),
                SyscallLoop.TlbFlush2 => kernel.AnonFault(cpu, vma).Concat(kernel.MadviseDontneed(cpu, vma, 1, freed: 1)).Concat(kernel.ZeroPageFault(cpu, vma)),
                SyscallLoop.TlbFlush3 => (windowStart ? kernel.FileFault(cpu, vma) : kernel.WpPageShared(cpu, vma))
                    .Concat(kernel.MadviseDontneed(cpu, vma, 1, freed: 0)).Concat(kernel.FileReadFault(cpu, vma, aroundPages)),
                SyscallLoop.Mprotect => kernel.Mprotect(cpu, mm, 1).Concat(kernel.Mprotect(cpu, mm, 1)),
                _ => kernel.Mmap(cpu, vma).Concat(kernel.AnonFault(cpu, vma)).Concat(kernel.Munmap(cpu, vma, 1, present: 1, freed: 1)),
            };
            foreach (var e in iteration)
                yield return e;
            if (mappingPages > 0 && ++page == mappingPages)
            {
                // After the last page: munmap, which finds every page populated by the read-back (the zero page,
                // or the page-cache page), and mmap again.
                page = 0;
                foreach (var e in kernel.Munmap(cpu, vma, mappingPages, present: mappingPages, freed: 0).Concat(kernel.Mmap(cpu, vma)))
                    yield return e;
            }
            if (sim.NowPicoseconds >= warmupEnd)
                loops[cpu.Id]++;
        }
    }

    /// <summary>
    /// One operation of <paramref name="mechanism"/> on <paramref name="cpu"/>, recorded when it began after the
    /// warm-up: its latency from <paramref name="start"/> (when it fell due), and the initiator's wait split
    /// (its CPU's <see cref="Cpu.Breakdown"/> over the operation).
    /// </summary>
    private static IEnumerable<Event> MeasuredOperation(Cpu cpu, IMechanism mechanism, MechanismContext context, IRunObserver observer,
        long warmupEnd, OperationBreakdown[] breakdown, long start)
    {
        var b = cpu.Breakdown;
        long wake = b.WakePs, irqsOff = b.IrqsOffPs, perTarget = b.PerTargetPs, remoteWait = b.RemoteWaitPs;
        foreach (var e in mechanism.Operate(context, cpu))
            yield return e;
        if (start < warmupEnd)
            yield break;
        cpu.Machine.OperationsDone++;
        int kind = mechanism.LastKind(cpu);
        long latency = cpu.Machine.Simulation.NowPicoseconds - start;
        breakdown[kind] = breakdown[kind].Add(new OperationBreakdown
        {
            TotalPs = latency, WakePs = b.WakePs - wake, IrqsOffPs = b.IrqsOffPs - irqsOff,
            PerTargetPs = b.PerTargetPs - perTarget, RemoteWaitPs = b.RemoteWaitPs - remoteWait,
        });
        observer.Operation(kind, new Duration(latency));
    }

    // fault_around_bytes (64 KiB) in pages: do_fault_around's window.
    private const long FaultAroundPages = 16;

    private static long Draw(System.Random rng, double meanSeconds)
    {
        if (meanSeconds <= 0)
            return 0;
        if (double.IsPositiveInfinity(meanSeconds))
            return long.MaxValue / 4;
        return Math.Max(1, (long)(Exponential.Sample(rng, 1 / meanSeconds) * 1e12));
    }

    private static int PoissonCount(System.Random rng, double mean) => mean <= 0 ? 0 : Poisson.Sample(rng, mean);

    private static IEnumerable<Event> Sampler(Simulation sim, Machine machine, LinuxKernel kernel, RunSpec spec, IRunObserver observer)
    {
        yield return sim.Timeout(spec.Warmup);
        long lastIpis = machine.Bus.IpisSent;
        var start = sim.Now;
        while (true)
        {
            var t = sim.Now - start;
            observer.Sample(t, "direct_map_1g", machine.DirectMap.Count1G);
            observer.Sample(t, "direct_map_2m", machine.DirectMap.Count2M);
            observer.Sample(t, "direct_map_4k", machine.DirectMap.Count4K);
            if (t > Duration.Zero)
                observer.Sample(t, "ipis_per_s", (machine.Bus.IpisSent - lastIpis) / spec.SampleInterval.TotalSeconds);
            lastIpis = machine.Bus.IpisSent;
            if (t >= spec.Duration)
                yield break;
            yield return sim.Timeout(spec.SampleInterval);
        }
    }
}
