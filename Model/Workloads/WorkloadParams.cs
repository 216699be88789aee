using TlbSim.Model.Hardware;
using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Workloads;

/// <summary>A closed-loop syscall benchmark that threads run as fast as they can instead of the background load.</summary>
public enum SyscallLoop
{
    /// <summary>No loop: the background load of busy and idle periods.</summary>
    None,

    /// <summary>Touch one anonymous page, madvise(MADV_DONTNEED) it (the concurrent-flush series' benchmark, lore:20190531063645.4697-1-namit@vmware.com).</summary>
    Madvise,

    /// <summary>will-it-scale tlb_flush1: a 128 MiB private file mapping; per page, a write (COW fault) and madvise(MADV_DONTNEED); munmap and mmap after the last page.</summary>
    TlbFlush1,

    /// <summary>will-it-scale tlb_flush2: a 1 MiB anonymous mapping; per page, a write (anonymous fault) and madvise(MADV_DONTNEED); munmap and mmap after 256 pages.</summary>
    TlbFlush2,

    /// <summary>will-it-scale tlb_flush3: a 128 MiB shared file mapping; per page, a write (page-cache fault) and madvise(MADV_DONTNEED); munmap and mmap after the last page.</summary>
    TlbFlush3,

    /// <summary>mprotect of one page to PROT_READ and back.</summary>
    Mprotect,

    /// <summary>mmap one anonymous page, touch it, munmap it (page tables freed: every CPU of the mm is flushed, lazy ones too).</summary>
    Munmap,
}

/// <summary>
/// A per-CPU background load: alternating busy and idle periods, with IRQ-disabled sections, context
/// switches and page ownership transitions while busy, and the memory access profile that decides its
/// TLB behaviour.
/// </summary>
public sealed record WorkloadParams : IParameters
{
    /// <summary>Fraction of time busy.</summary>
    [Param("Fraction of time each CPU is busy (the rest idle)", Unit = "fraction", Source = "preset")]
    public double BusyFraction { get; init; } = 0.9;

    /// <summary>Mean busy period.</summary>
    [Param("Mean length of a busy period (exponential) before the CPU goes idle", Source = "preset")]
    public Duration BusyPeriod { get; init; } = Duration.FromMilliseconds(2);

    /// <summary>Workload slice length.</summary>
    [Param("Work is executed in slices of this length; operations and sections start between slices", Source = "chosen: short against operation gaps, long against event overhead")]
    public Duration Slice { get; init; } = Duration.FromMicroseconds(20);

    /// <summary>Kernel share of busy time.</summary>
    [Param("Share of busy time spent in the kernel (sets the access profile's kernel share)", Unit = "fraction", Source = "preset")]
    public double KernelFraction { get; init; } = 0.3;

    /// <summary>IRQ-disabled sections per second.</summary>
    [Param("IRQ-disabled sections per second of busy time", Unit = "1/s", Source = "preset")]
    public double IrqOffRate { get; init; } = 2000;

    /// <summary>Mean IRQ-disabled section length.</summary>
    [Param("Mean length of an IRQ-disabled section (exponential)", Source = "preset; irqsoff tracer latencies of tens of microseconds are the tail, a few microseconds typical")]
    public Duration IrqOffLength { get; init; } = Duration.FromMicroseconds(3);

    /// <summary>Context switches per second.</summary>
    [Param("Context switches between processes per second of busy time (switch_mm with PCID: a CR3 write, no flush)", Unit = "1/s", Source = "preset")]
    public double ContextSwitchRate { get; init; } = 1000;

    /// <summary>Processes per CPU.</summary>
    [Param("Processes queued on each CPU that its context switches pick from (switch_mm_irqs_off between different mms, with the tlb_gen check); 1 means switches stay within one process", Unit = "tasks", Source = "preset; estimate: make -jN keeps the compiler, the assembler and make or a shell per CPU, 2-4")]
    public int TasksPerCpu { get; init; } = 2;

    /// <summary>Share of context switches that pull a task from another CPU.</summary>
    [Param("Share of context switches that pull a waiting task from another CPU (CFS load balancing), so tasks move between CPUs", Unit = "fraction", Source = "estimate 0.05, plausible 0-0.3; sweep it", Low = "0", High = "0.3")]
    public double TaskMigration { get; init; } = 0.05;

    /// <summary>Background vfree rate.</summary>
    [Param("The kernel's own vmalloc frees per second of busy time per CPU (VMAP_STACK stacks freed at exit when the per-CPU cache of NR_CACHED_STACKS = 2 is full, module and BPF allocations): each adds its pages to vmap_lazy_nr", Unit = "1/s", Source = "preset; estimate for kernel_build: ~50 process exits/s per CPU (about 125,000 processes, make, sh, gcc, cc1 and as for each of ~25,000 objects, over the 607 s, 4-CPU build of the XPFO v7 cover letter), of which about half find the CPU's 2-stack cache full and vfree; plausible 5-100")]
    public double VfreeRate { get; init; } = 0;

    /// <summary>Pages per background vfree.</summary>
    [Param("Pages of each background vmalloc area freed, guard page included", Unit = "pages", Source = "a 16 KiB x86_64 thread stack (THREAD_SIZE, arch/x86/include/asm/page_64_types.h) plus its guard page")]
    public int VfreePages { get; init; } = 5;

    /// <summary>Runnable jobs sharing each CPU.</summary>
    [Param("CPU-bound jobs runnable on each CPU while it is busy, taking turns of kernel.sched_base_slice (make -jN on M CPUs: N / M); the mechanism's operations belong to the first job, so an operation due during another job's turn waits for the first job's, and its latency includes that wait", Unit = "jobs", Source = "kernel/sched/fair.c (EEVDF): runnable tasks share the CPU in slices of sysctl_sched_base_slice")]
    public int JobsPerCpu { get; init; } = 1;

    /// <summary>The initiator sleeps between operations and wakes for each.</summary>
    [Param("With jobs_per_cpu > 1: the operations come from a task that sleeps between them (a kthread, an interactive task) rather than from the first job; on waking it preempts the running job at once, as CFS's check_preempt_wakeup does for a sleeper placed GENTLE_FAIR_SLEEPERS-style half a sched_latency behind min_vruntime (more than the wakeup granularity); without it, an operation waits for its job's turn", Source = "kernel/sched/fair.c (CFS, before 6.6): place_entity, check_preempt_wakeup, wakeup_preempt_entity; EEVDF's RUN_TO_PARITY is not modelled")]
    public bool InitiatorWakes { get; init; }

    /// <summary>A closed-loop syscall benchmark.</summary>
    [Param("Run a closed-loop syscall benchmark instead of the background load: none, madvise, tlb_flush1, tlb_flush2, tlb_flush3 (will-it-scale), mprotect or munmap; each loop thread is pinned to one CPU and loops as fast as it can", Source = "will-it-scale tests/tlb_flush{1,2,3}.c; lore:20190531063645.4697-1-namit@vmware.com")]
    public SyscallLoop Loop { get; init; } = SyscallLoop.None;

    /// <summary>Loop threads.</summary>
    [Param("Loop threads, on CPUs 0..N-1 (0: every CPU); the other CPUs idle", Unit = "threads")]
    public int LoopThreads { get; init; }

    /// <summary>Threads of one process or separate processes.</summary>
    [Param("Loop threads are separate processes (will-it-scale's _processes: each its own mm, no remote flush) rather than threads of one process (_threads: one mm, every madvise flushes the other threads' CPUs)")]
    public bool LoopProcesses { get; init; }

    /// <summary>A recorded workload to replay.</summary>
    [Param("A trace to replay instead of the generated load (a .tlbtrace.gz from tlbsim trace import, relative to the scenario file): each CPU replays a recorded CPU's switches, idle periods and initiator flushes, and its user-page allocations and frees drive XPFO; see Model/Workloads/README.md for the rule")]
    public string Trace { get; init; } = "";

    /// <summary>Page ownership transitions per second.</summary>
    [Param("Pages moving between kernel and user ownership per second of busy time, per CPU (what XPFO unmaps or maps back)", Unit = "1/s", Source = "preset; for kernel_build the one fitted input (see Model/Workloads/README.md)")]
    public double PageTransitionRate { get; init; } = 10_000;

    /// <summary>Memory access profile.</summary>
    public AccessProfile Access { get; init; } = new();

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        var e = new List<string>();
        e.AddRange(Check.Range(path, "busy_fraction", BusyFraction, 0, 1));
        e.AddRange(Check.NonNegative(path, "busy_period", BusyPeriod, positive: true));
        e.AddRange(Check.NonNegative(path, "slice", Slice, positive: true));
        e.AddRange(Check.Range(path, "kernel_fraction", KernelFraction, 0, 1));
        e.AddRange(Check.Range(path, "irq_off_rate", IrqOffRate, 0, 1e7));
        e.AddRange(Check.NonNegative(path, "irq_off_length", IrqOffLength));
        e.AddRange(Check.Range(path, "context_switch_rate", ContextSwitchRate, 0, 1e7));
        e.AddRange(Check.Range(path, "page_transition_rate", PageTransitionRate, 0, 1e9));
        e.AddRange(Check.Range(path, "loop_threads", LoopThreads, 0, 1 << 20));
        e.AddRange(Check.Range(path, "jobs_per_cpu", JobsPerCpu, 1, 1024));
        e.AddRange(Check.Range(path, "tasks_per_cpu", TasksPerCpu, 1, 64));
        e.AddRange(Check.Range(path, "task_migration", TaskMigration, 0, 1));
        e.AddRange(Check.Range(path, "vfree_rate", VfreeRate, 0, 1e7));
        e.AddRange(Check.Range(path, "vfree_pages", VfreePages, 1, 1 << 20));
        e.AddRange(Access.Validate(Check.Join(path, "access")));
        return e;
    }
}

/// <summary>Named workloads.</summary>
public static class WorkloadPresets
{
    /// <summary>Every CPU idle: shows what a shootdown costs when nobody works, and the C-state exit latencies it hits.</summary>
    public static WorkloadParams Idle { get; } = new()
    {
        BusyFraction = 0,
        IrqOffRate = 0,
        ContextSwitchRate = 0,
        PageTransitionRate = 0,
        TasksPerCpu = 1,
        TaskMigration = 0,
    };

    /// <summary>
    /// A parallel kernel build (make -jN): CPUs nearly always busy, a third of the time in the kernel
    /// (fork/exec, page faults, file I/O), frequent process creation and exit, many page ownership transitions.
    /// </summary>
    public static WorkloadParams KernelBuild { get; } = new()
    {
        BusyFraction = 0.95,
        BusyPeriod = Duration.FromMilliseconds(5),
        KernelFraction = 0.3,
        IrqOffRate = 5000,
        IrqOffLength = Duration.FromMicroseconds(2),
        ContextSwitchRate = 2000,
        PageTransitionRate = KernelBuildTransitionRate,
        TasksPerCpu = 3,
        VfreeRate = 25,
        Access = new AccessProfile
        {
            KernelShare = 0.3,
            KernelWorkingSet = ByteSize.FromMiB(64),
            UserWorkingSet = ByteSize.FromMiB(128),
        },
    };

    /// <summary>The kernel_build preset's page ownership transitions per second per busy CPU: fitted once (see the card).</summary>
    public const double KernelBuildTransitionRate = 402_000;

    /// <summary>A network server: mostly kernel time (networking stack), short busy periods, many interrupts and IRQ-off sections.</summary>
    public static WorkloadParams WebServer { get; } = new()
    {
        BusyFraction = 0.6,
        BusyPeriod = Duration.FromMicroseconds(500),
        KernelFraction = 0.6,
        IrqOffRate = 20_000,
        IrqOffLength = Duration.FromMicroseconds(1),
        ContextSwitchRate = 20_000,
        PageTransitionRate = 20_000,
        TasksPerCpu = 4, // estimate: worker processes plus the occasional short-lived helper
        VfreeRate = 5, // estimate: long-lived workers rarely exit, so few stacks are freed; plausible 0-20
        Access = new AccessProfile
        {
            KernelShare = 0.6,
            KernelWorkingSet = ByteSize.FromMiB(256),
            UserWorkingSet = ByteSize.FromMiB(64),
        },
    };

    /// <summary>A memory-bound job: always busy in user space over a large working set, so every lost translation costs.</summary>
    public static WorkloadParams MemoryBound { get; } = new()
    {
        BusyFraction = 1.0,
        BusyPeriod = Duration.FromMilliseconds(50),
        KernelFraction = 0.05,
        IrqOffRate = 500,
        IrqOffLength = Duration.FromMicroseconds(2),
        ContextSwitchRate = 100,
        PageTransitionRate = 1000,
        TasksPerCpu = 1, // one job per CPU; no process exits, so no background vfree
        Access = new AccessProfile
        {
            AccessesPerSecond = 1e8,
            KernelShare = 0.05,
            KernelWorkingSet = ByteSize.FromMiB(16),
            UserWorkingSet = ByteSize.FromGiB(4),
            HotFraction = 0.001,
        },
    };

    private static WorkloadParams LoopPreset(SyscallLoop loop) => new()
    {
        Loop = loop,
        BusyFraction = 0, // CPUs without a loop thread idle
        VfreeRate = 0,
        PageTransitionRate = 0,
        TasksPerCpu = 1,
    };

    /// <summary>Every preset by its scenario name.</summary>
    public static IReadOnlyDictionary<string, WorkloadParams> All { get; } = new Dictionary<string, WorkloadParams>(StringComparer.Ordinal)
    {
        ["idle"] = Idle,
        ["kernel_build"] = KernelBuild,
        ["web_server"] = WebServer,
        ["memory_bound"] = MemoryBound,
        ["madvise_loop"] = LoopPreset(SyscallLoop.Madvise),
        ["tlb_flush1"] = LoopPreset(SyscallLoop.TlbFlush1),
        ["tlb_flush2"] = LoopPreset(SyscallLoop.TlbFlush2),
        ["tlb_flush3"] = LoopPreset(SyscallLoop.TlbFlush3),
        ["mprotect_loop"] = LoopPreset(SyscallLoop.Mprotect),
        ["munmap_loop"] = LoopPreset(SyscallLoop.Munmap),
    };
}
