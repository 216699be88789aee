using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Linux;

/// <summary>
/// The x86 kernel's TLB flush machinery on a <see cref="Machine"/>. Each method is a CPU program fragment
/// (run it with <c>foreach (var e in ...) yield return e;</c> from that CPU's program) and follows the
/// kernel function it is named after.
/// </summary>
public sealed partial class LinuxKernel
{
    private readonly Dictionary<(int Cpu, int Mm), long> _cpuTlbGen = [];
    private readonly CallFunction _doFlushTlbAll;
    private readonly Dictionary<(long Pages, PageSize MappedBy), CallFunction> _kernelRangeFunctions = [];
    private FlushInfo?[] _flushInfo = [];

    /// <summary>The arguments of a flush_tlb_mm_range round (the kernel's per-CPU flush_tlb_info), with its call function.</summary>
    private sealed class FlushInfo
    {
        public FlushInfo(LinuxKernel kernel) => Function = cpu => kernel.FlushTlbFunc(cpu, Mm!, Gen, Pages);

        public AddressSpace? Mm;
        public long Gen;
        public long Pages;

        public CallFunction Function { get; }
    }

    /// <summary>Boots the kernel's flush machinery on <paramref name="machine"/>.</summary>
    public LinuxKernel(Machine machine, KernelParams parameters)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(parameters);
        var errors = parameters.Validate("kernel").ToList();
        if (errors.Count > 0)
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(parameters));
        Machine = machine;
        Params = parameters;
        CpaLock = new Resource(machine.Simulation, 1);
        _doFlushTlbAll = DoFlushTlbAll;
        VmapPurgeLock = new Resource(machine.Simulation, 1);
        Current = new TaskStruct?[machine.Cpus.Count];
        _flushInfo = new FlushInfo?[machine.Cpus.Count];
        Vmalloc = new VmallocSpace(VmallocSpace.LazyMax(parameters.LazyVmapBytes.Bytes, machine.Cpus.Count));
        InitMm();
    }

    /// <summary>The machine.</summary>
    public Machine Machine { get; }

    /// <summary>The parameters.</summary>
    public KernelParams Params { get; }

    /// <summary>cpa_lock: serialises page-attribute changes and the splits they cause.</summary>
    public Resource CpaLock { get; }

    /// <summary>Shootdown rounds that reached at least one other CPU (IPIs or a broadcast).</summary>
    public long Shootdowns { get; private set; }

    /// <summary>Full or global flushes executed, summed over CPUs.</summary>
    public long FullFlushes { get; private set; }

    /// <summary>CPUs in an mm's cpumask that flush_tlb_mm_range did not interrupt because they were lazy.</summary>
    public long LazySkips { get; private set; }

    /// <summary>User flushes that trimmed the mm's cpumask (should_trim_cpumask), interrupting the CPUs that had left the mm.</summary>
    public long CpumaskTrims { get; private set; }

    /// <summary>Flushes of an mm that reached a CPU running another one, which left the mask (trace_tlb_flush(TLB_REMOTE_WRONG_CPU)).</summary>
    public long WrongCpuFlushes { get; private set; }

    /// <summary>Single-page invalidations (INVLPG) executed, summed over CPUs.</summary>
    public long PageInvalidations { get; private set; }

    private Simulation Sim => Machine.Simulation;

    // ---- arch/x86/mm/tlb.c ------------------------------------------------------------------------

    /// <summary>
    /// flush_tlb_mm_range: bumps the mm's generation; targets the CPUs in mm_cpumask that have the mm loaded
    /// and are not lazy (should_flush_tlb), or every CPU in the mask when page tables were freed; more than
    /// tlb_single_page_flush_ceiling pages becomes a full flush. The local flush runs only if the mm is loaded
    /// here. Lazy CPUs skipped now flush fully when they switch back (switch_mm_irqs_off's tlb_gen check).
    /// </summary>
    public IEnumerable<Event> FlushTlbMmRange(Cpu me, AddressSpace mm, long pages, bool freedTables)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(mm);
        return FlushTlbMmRangeOn(me, mm, pages, freedTables);
    }

    private IEnumerable<Event> FlushTlbMmRangeOn(Cpu me, AddressSpace mm, long pages, bool freedTables)
    {
        long gen = mm.BumpGeneration();
        bool full = pages > Params.SinglePageFlushCeiling;
        bool broadcast = Params.Policy == FlushPolicy.Rar || (Params.Policy == FlushPolicy.Broadcast && mm.GlobalAsid);
        // info->trim_cpumask = should_trim_cpumask(mm), asked only on the IPI path and only when another CPU is in
        // the mask (cpumask_any_but); a broadcast mm never trims.
        bool trim = !broadcast && Params.CpumaskTrim == CpumaskTrim.Lazy && OthersInMask(me, mm) && ShouldTrimCpumask(mm);
        var targets = me.ScratchTargets;
        targets.Clear();
        foreach (int id in mm.CpuMask)
        {
            var cpu = Machine.Cpus[id];
            if (cpu == me)
                continue;
            // freed tables: on_each_cpu_mask, every CPU in the mask; otherwise should_flush_tlb: never a lazy CPU,
            // a CPU running the mm, and during a trim one running another mm too (it leaves the mask).
            if (freedTables || (!cpu.IsLazy && (cpu.LoadedMm == mm || trim)))
                targets.Add(cpu);
            else if (cpu.IsLazy)
                LazySkips++;
        }
        if (trim)
            CpumaskTrims++;
        UserFlushTargets?.Invoke(mm, targets, freedTables, trim);
        bool local = me.LoadedMm == mm && !me.IsLazy;
        if (Params.Policy == FlushPolicy.Broadcast && !mm.GlobalAsid)
            ConsiderGlobalAsid(mm, Current[me.Id]?.Id ?? me.Id);
        if (broadcast && targets.Count > 0)
        {
            foreach (var e in BroadcastFlush(me, full ? -1 : pages, cpu =>
            {
                if (cpu.LoadedMm == mm)
                    LoseUser(cpu, mm, gen, full);
            }))
                yield return e;
            yield break;
        }
        // flush_tlb_info: one per initiating CPU, reused (the round ends before this CPU can start another).
        var info = _flushInfo[me.Id] ??= new FlushInfo(this);
        info.Mm = mm;
        info.Gen = gen;
        info.Pages = full ? -1 : pages;
        var func = info.Function;
        if (targets.Count == 0)
        {
            if (local)
            {
                foreach (var e in RunLocal(me, func))
                    yield return e;
            }
            yield break;
        }
        // The early-acknowledgement series makes only this call asynchronous: native_flush_tlb_multi passes
        // wait=0 unless info->freed_tables ("no tables are freed, since otherwise speculative page walks might
        // cause machine-checks"); kernel flushes and every other call stay synchronous.
        bool acknowledgeOnEntry = Params.Policy == FlushPolicy.EarlyAck && !freedTables;
        foreach (var e in OnEachCpuMask(me, targets, func, runLocal: local, localFirst: true, acknowledgeOnEntry: acknowledgeOnEntry))
            yield return e;
    }

    private static bool OthersInMask(Cpu me, AddressSpace mm)
    {
        foreach (int id in mm.CpuMask)
        {
            if (id != me.Id)
                return true;
        }
        return false;
    }

    /// <summary>
    /// should_trim_cpumask: true once the time passes mm->context.next_trim_cpumask, which then moves one second
    /// (HZ jiffies) on; at most one trimming flush per second per mm.
    /// </summary>
    private bool ShouldTrimCpumask(AddressSpace mm)
    {
        if (Sim.NowPicoseconds <= mm.NextTrimCpumaskPs)
            return false;
        mm.NextTrimCpumaskPs = Sim.NowPicoseconds + AddressSpace.CpumaskTrimInterval.Picoseconds;
        return true;
    }

    /// <summary>
    /// consider_global_asid (INVLPGB as merged): once in a while ((pid &amp; 0x1f) == (jiffies &amp; 0x1f), with the
    /// flushing task's id as pid and 4 ms jiffies, HZ=250), an mm active on more than three CPUs
    /// (mm_active_cpus_exceeds(mm, 3)) gets a global ASID, and its later flushes are broadcast.
    /// </summary>
    private void ConsiderGlobalAsid(AddressSpace mm, int pid)
    {
        long jiffies = Sim.NowPicoseconds / Duration.FromMilliseconds(4).Picoseconds;
        if ((pid & 0x1f) != (jiffies & 0x1f))
            return;
        int active = 0;
        foreach (int id in mm.CpuMask)
        {
            var cpu = Machine.Cpus[id];
            if (cpu.LoadedMm == mm && !cpu.IsLazy && ++active > 3)
            {
                mm.GlobalAsid = true;
                return;
            }
        }
    }

    /// <summary>
    /// flush_tlb_kernel_range: every online CPU, idle and lazy ones included (on_each_cpu, no condition);
    /// up to tlb_single_page_flush_ceiling pages are invalidated one by one (do_kernel_range_flush), more
    /// become a global flush on each CPU (do_flush_tlb_all). <paramref name="mappedBy"/> is the page size that
    /// maps the range now, which decides what each INVLPG knocks out.
    /// </summary>
    public IEnumerable<Event> FlushTlbKernelRange(Cpu me, long pages, PageSize mappedBy)
    {
        ArgumentNullException.ThrowIfNull(me);
        bool full = pages > Params.SinglePageFlushCeiling;
        if (full)
            return FlushTlbAll(me);
        if (Params.Policy is FlushPolicy.Broadcast or FlushPolicy.Rar)
            return BroadcastFlush(me, pages, KernelPagesLoss(pages, mappedBy));
        if (!_kernelRangeFunctions.TryGetValue((pages, mappedBy), out var func))
            _kernelRangeFunctions[(pages, mappedBy)] = func = KernelRangeFunction(pages, mappedBy);
        return OnEachCpuMask(me, Machine.OthersOf(me), func, runLocal: true);
    }

    // Closures made apart from FlushTlbKernelRange, which would otherwise allocate their captures on every call.
    private static Action<Cpu> KernelPagesLoss(long pages, PageSize mappedBy) => cpu => cpu.LoseKernelPages(pages, mappedBy);

    private CallFunction KernelRangeFunction(long pages, PageSize mappedBy) => cpu => FlushTlbOneKernel(cpu, pages, mappedBy);

    /// <summary>flush_tlb_all: a global flush (__flush_tlb_all) on every online CPU, idle ones included.</summary>
    public IEnumerable<Event> FlushTlbAll(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        if (Params.Policy is FlushPolicy.Broadcast or FlushPolicy.Rar)
            return BroadcastFlush(me, -1, GlobalLoss);
        return OnEachCpuMask(me, Machine.OthersOf(me), _doFlushTlbAll, runLocal: true);
    }

    /// <summary>
    /// switch_mm_irqs_off: loads <paramref name="next"/> on <paramref name="cpu"/> (a CR3 write, with interrupts
    /// off), leaving lazy mode; if the CPU's copy of the mm's generation is stale (it skipped flushes while
    /// lazy or away), the CR3 write flushes that PCID.
    /// </summary>
    public IEnumerable<Event> SwitchMm(Cpu cpu, AddressSpace next, TimeCategory category = TimeCategory.Kernel)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(next);
        if (cpu.LoadedMm == next && !cpu.IsLazy)
            return []; // a thread switch within one process: nothing to do
        bool stale = _cpuTlbGen.GetValueOrDefault((cpu.Id, next.Id)) < next.TlbGeneration;
        if (cpu.LoadedMm != next && cpu.InvalidateOther)
        {
            // choose_new_asid: clear_asid_other after a kernel flush under PTI; the next mm's ASID is flushed.
            cpu.InvalidateOther = false;
            stale = true;
        }
        if (cpu.LoadedMm == next && !stale)
        {
            cpu.IsLazy = false; // back from lazy mode to the mm still loaded, and nothing was missed: no CR3 write
            return [];
        }
        cpu.IsLazy = false;
        // Before 6.14 a real switch clears this CPU from the previous mm's cpumask; from 6.14 it stays there
        // until a flush of that mm finds it running another (flush_tlb_func).
        if (Params.CpumaskTrim == CpumaskTrim.OnSwitch && cpu.LoadedMm is { } prev && prev != next)
            prev.RemoveCpu(cpu.Id);
        cpu.LoadedMm = next;
        next.AddCpu(cpu.Id);
        _cpuTlbGen[(cpu.Id, next.Id)] = next.TlbGeneration;
        var cr3 = Machine.Params.Cpu.Frequency.Cycles(Machine.Params.Tlb.Cr3WriteCycles);
        if (stale)
        {
            FullFlushes++;
            cpu.LoseEntries(c => !c.Global);
        }
        return cpu.RunIrqsOff(cr3, stale ? TimeCategory.Flush : category);
    }

    /// <summary>The task each CPU runs (rq->curr), once tasks are given.</summary>
    public TaskStruct?[] Current { get; }

    /// <summary>
    /// context_switch to <paramref name="next"/> on <paramref name="cpu"/>: switch_mm_irqs_off when the process
    /// changes (its CR3 write counted as <paramref name="category"/>, a stale generation flushing the PCID),
    /// PKS's pks_write_pkrs of the next task's value when PKS is on, and a full local flush (__flush_tlb_all)
    /// when this CPU owes one: to the task (XPFO v7 16/16) or to the machine's pending mask (XPFO v9 12/13).
    /// </summary>
    public IEnumerable<Event> ContextSwitch(Cpu cpu, TaskStruct next, TimeCategory category)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(next);
        Current[cpu.Id] = next;
        if (Machine.Pks is { } pks)
        {
            foreach (var e in cpu.RunIrqsOff(pks.EntryExit, category))
                yield return e;
        }
        foreach (var e in SwitchMm(cpu, next.Mm, category))
            yield return e;
        // XPFO: v7's pending mask in the task, v9's global one (cpumask_test_and_clear_cpu, then __flush_tlb_all).
        bool owed = next.TakePendingFlush(cpu.Id);
        if (_xpfoPendingFlush is not null && _xpfoPendingFlush[cpu.Id])
        {
            _xpfoPendingFlush[cpu.Id] = false;
            owed = true;
        }
        if (owed)
        {
            foreach (var e in cpu.RunIrqsOff(DoFlushTlbAll(cpu), TimeCategory.Flush))
                yield return e;
        }
    }

    private bool[]? _xpfoPendingFlush;

    /// <summary>
    /// XPFO v9 12/13's pending_xpfo_flush: one cpumask for the whole machine; xpfo_flush_tlb_kernel_range ORs in
    /// every CPU but <paramref name="me"/> (cpumask_setall, __cpumask_clear_cpu, cpumask_or), and each CPU
    /// flushes fully at its next switch_mm_irqs_off (<see cref="ContextSwitch"/>).
    /// </summary>
    public void PostXpfoFlushToOthers(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        _xpfoPendingFlush ??= new bool[Machine.Cpus.Count];
        bool mine = _xpfoPendingFlush[me.Id]; // the ORed-in mask lacks this CPU; a bit it already owed stays
        Array.Fill(_xpfoPendingFlush, true);
        _xpfoPendingFlush[me.Id] = mine;
    }

    /// <summary>
    /// enter_lazy_tlb: the CPU switches to a kernel thread or idle and keeps the user mm loaded, lazily;
    /// flush_tlb_mm_range skips it (should_flush_tlb), and it catches up through the tlb_gen check of
    /// switch_mm_irqs_off when it resumes the mm.
    /// </summary>
    public static void EnterLazyTlb(Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        if (cpu.LoadedMm is not null)
            cpu.IsLazy = true;
    }

    // ---- kernel/smp.c -----------------------------------------------------------------------------

    /// <summary>
    /// smp_call_function_many_cond with SCF_WAIT (on_each_cpu_mask): queue a csd on each target's call-single
    /// queue, send an IPI to the targets whose queue was empty, run the function locally (after the IPIs under
    /// the concurrent policies, before them under the synchronous one), then spin with interrupts enabled until
    /// every target has acknowledged (csd_lock_wait).
    /// </summary>
    /// <remarks>
    /// Before 5.13 (the synchronous policy) the order depended on the caller: flush_tlb_mm_range flushed
    /// locally first and then called flush_tlb_others (<paramref name="localFirst"/>), while on_each_cpu sent,
    /// waited, and ran the function locally last. <paramref name="acknowledgeOnEntry"/>: the call is
    /// asynchronous as the early-acknowledgement series makes a user flush freeing no page tables (each target
    /// unlocks its csd on taking it, before the function).
    /// </remarks>
    public IEnumerable<Event> OnEachCpuMask(Cpu me, IReadOnlyList<Cpu> targets, CallFunction function, bool runLocal, bool localFirst = false, bool acknowledgeOnEntry = false)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(function);
        bool synchronous = Params.Policy == FlushPolicy.Synchronous;
        if (runLocal && synchronous && localFirst)
        {
            foreach (var e in RunLocal(me, function))
                yield return e;
        }
        if (targets.Count > 0)
        {
            Shootdowns++;
            var bus = Machine.Bus;
            var round = me.TakeRound();
            round.Begin(targets.Count, acknowledgeOnEntry);
            var needIpi = me.ScratchIpi;
            needIpi.Clear();
            long queuePs = 0;
            for (int i = 0; i < targets.Count; i++)
            {
                // csd_lock (the csd's line comes back from the target that unlocked it last time), then
                // llist_add on the target's call_single_queue (its head line comes from the target).
                var t = targets[i];
                queuePs += Params.CsdPerTarget.Picoseconds + (long)(Params.CsdQueueTransfers * bus.LineTransfer(t, me).Picoseconds);
                var request = Machine.RentRequest(me, t, function, round);
                round.Requests.Add(request);
                if (t.Enqueue(request))
                    needIpi.Add(t);
            }
            foreach (var e in me.Run(new Duration(queuePs), TimeCategory.Flush))
                yield return e;
            var sendTime = bus.Send(me, needIpi);
            foreach (var e in me.RunIrqsOff(sendTime, TimeCategory.Flush))
                yield return e;
            if (runLocal && !synchronous)
            {
                foreach (var e in RunLocal(me, function))
                    yield return e;
            }
            long waitStart = Sim.NowPicoseconds;
            foreach (var e in me.SpinUntil(round.Done, TimeCategory.Flush))
                yield return e;
            // csd_lock_wait on each target's csd in turn: a csd still locked is spun on and seen one line
            // transfer after its unlock; reads of csds already unlocked overlap, csd_wait_parallel_reads at a time.
            long walkEnd = waitStart;
            CallRequest critical = round.Requests[0];
            foreach (var request in round.Requests)
            {
                long line = bus.LineTransfer(request.Target, me).Picoseconds;
                long seen = request.UnlockedAtPs + line;
                walkEnd = seen > walkEnd ? seen : walkEnd + (long)(line / Params.CsdWaitParallelReads);
                if (request.UnlockedAtPs > critical.UnlockedAtPs)
                    critical = request;
            }
            long walkPs = Math.Max(0, walkEnd - Sim.NowPicoseconds);
            Attribute(me.Breakdown, critical, waitStart, queuePs + sendTime.Picoseconds + walkPs);
            foreach (var request in round.Requests)
                Machine.ReturnRequest(request);
            Cpu.ReturnRound(round);
            foreach (var e in me.Run(new Duration(walkPs), TimeCategory.Flush))
                yield return e;
            if (runLocal && synchronous && !localFirst)
            {
                foreach (var e in RunLocal(me, function))
                    yield return e;
            }
        }
        else if (runLocal && !(synchronous && localFirst))
        {
            foreach (var e in RunLocal(me, function))
                yield return e;
        }
    }

    /// <summary>
    /// Splits one round's wait among its causes: the wait for the critical (last) target is its wake-up first,
    /// then its interrupts-off delay, then the rest (delivery, entry, the flush itself, the unlock); the
    /// initiator's queueing, ICR writes and csd walk are per-target work.
    /// </summary>
    private static void Attribute(LatencyBreakdown breakdown, CallRequest critical, long waitStartPs, long perTargetPs)
    {
        long wait = Math.Max(0, critical.UnlockedAtPs - waitStartPs);
        long wake = Math.Min(critical.WakePs, wait);
        long irqsOff = Math.Min(critical.IrqsOffPs, wait - wake);
        breakdown.WakePs += wake;
        breakdown.IrqsOffPs += irqsOff;
        breakdown.RemoteWaitPs += wait - wake - irqsOff;
        breakdown.PerTargetPs += perTargetPs;
    }

    /// <summary>Called by flush_tlb_mm_range with the mm, the CPUs it chose to interrupt, whether page tables were freed and whether it trims the cpumask; the invariant checks watch it.</summary>
    public Action<AddressSpace, IReadOnlyList<Cpu>, bool, bool>? UserFlushTargets { get; set; }

    // local_irq_save; func(info); local_irq_restore
    private static IEnumerable<Event> RunLocal(Cpu me, CallFunction function) => me.RunIrqsOff(function(me), TimeCategory.Flush);

    // ---- Flush functions run on each CPU (interrupts off) -------------------------------------------

    /// <summary>
    /// flush_tlb_func on <paramref name="cpu"/> for a flush of <paramref name="mm"/> that produced generation
    /// <paramref name="gen"/>: a CPU that no longer runs the mm leaves its cpumask; a lazy CPU switches to
    /// init_mm (a CR3 write) and catches up when it returns; a CPU already at the mm's generation does nothing;
    /// a range flush is done page by page only when it is the very next generation and no newer one is
    /// pending, otherwise the whole PCID is flushed (CR3 write).
    /// </summary>
    private Duration FlushTlbFunc(Cpu cpu, AddressSpace mm, long gen, long pages)
    {
        if (cpu.LoadedMm != mm)
        {
            // "The CPU was left in the mm_cpumask of the target mm. Clear it." (6.14+; before, switch_mm_irqs_off
            // had already cleared it, and only a flush that freed tables can find such a CPU, racing the switch).
            mm.RemoveCpu(cpu.Id);
            WrongCpuFlushes++;
            return Duration.Zero;
        }
        var clock = Machine.Params.Cpu.Frequency;
        if (cpu.IsLazy)
        {
            // switch_mm_irqs_off(NULL, &init_mm, NULL): before 6.14 it clears the CPU from the mm's mask.
            if (Params.CpumaskTrim == CpumaskTrim.OnSwitch)
                mm.RemoveCpu(cpu.Id);
            cpu.LoadedMm = null;
            cpu.IsLazy = false;
            return clock.Cycles(Machine.Params.Tlb.Cr3WriteCycles);
        }
        long local = _cpuTlbGen.GetValueOrDefault((cpu.Id, mm.Id));
        long current = mm.TlbGeneration;
        if (gen <= local || local == current)
            return Duration.Zero;
        bool partial = pages > 0 && gen == local + 1 && gen == current;
        if (partial)
        {
            PageInvalidations += pages;
            FlushUserPcid(cpu);
        }
        LoseUser(cpu, mm, current, full: !partial);
        return LocalFlushTime(partial ? pages : -1, global: false);
    }

    /// <summary>Records that <paramref name="cpu"/> caught up with generation <paramref name="gen"/>; a full flush drops the PCID's non-global entries (the unmapped pages of a range flush are not refilled).</summary>
    private void LoseUser(Cpu cpu, AddressSpace mm, long gen, bool full)
    {
        _cpuTlbGen[(cpu.Id, mm.Id)] = Math.Max(_cpuTlbGen.GetValueOrDefault((cpu.Id, mm.Id)), gen);
        if (full)
        {
            FullFlushes++;
            cpu.LoseEntries(c => !c.Global);
        }
    }

    /// <summary>
    /// do_kernel_range_flush on <paramref name="cpu"/>, as a call function (effects now, the returned time spent
    /// there with interrupts off): flush_tlb_one_kernel for each page: flush_tlb_one_user (INVLPG, and with PTI the
    /// user PCID too), and with PTI invalidate_other, so that this CPU's next switch to another mm flushes
    /// (kernel mappings are not global under PTI, and other ASIDs may hold the address).
    /// </summary>
    public Duration FlushTlbOneKernel(Cpu cpu, long pages, PageSize mappedBy)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        PageInvalidations += pages;
        cpu.LoseKernelPages(pages, mappedBy);
        FlushUserPcid(cpu);
        if (Machine.Params.Cpu.Pti)
            cpu.InvalidateOther = true;
        return LocalFlushTime(pages, global: false);
    }

    /// <summary>
    /// The user-PCID half of flush_tlb_one_user under PTI: INVPCID of the one address (its time is in
    /// <see cref="LocalFlushTime"/>), or without INVPCID invalidate_user_asid, which flushes the whole user
    /// PCID at the next return to user (charged now as the loss of the user entries).
    /// </summary>
    private void FlushUserPcid(Cpu cpu)
    {
        if (Machine.Params.Cpu.Pti && !Machine.Params.Tlb.Invpcid)
        {
            FullFlushes++;
            cpu.LoseEntries(c => !c.Kernel);
        }
    }

    /// <summary>do_flush_tlb_all on <paramref name="cpu"/> alone, as a call function (effects now, the returned time spent with interrupts off): __flush_tlb_all, dropping global entries too.</summary>
    public Duration DoFlushTlbAll(Cpu cpu)
    {
        GlobalLoss(cpu);
        return LocalFlushTime(-1, global: true);
    }

    private void GlobalLoss(Cpu cpu)
    {
        FullFlushes++;
        cpu.LoseEntries(_ => true);
    }

    /// <summary>
    /// Time of a flush on one CPU: flush_tlb_one_user per page (INVLPG, plus INVPCID of the user PCID under
    /// PTI when the CPU has it), or one CR3 write / global flush (pages &lt; 0).
    /// </summary>
    private Duration LocalFlushTime(long pages, bool global)
    {
        var tlb = Machine.Params.Tlb;
        var clock = Machine.Params.Cpu.Frequency;
        if (pages < 0)
            return clock.Cycles(global ? tlb.GlobalFlushCycles : tlb.Cr3WriteCycles);
        var perPage = Machine.Params.Cpu.Pti && tlb.Invpcid ? tlb.Invlpg + clock.Cycles(tlb.InvpcidExtraCycles) : tlb.Invlpg;
        return perPage * pages;
    }

    // ---- Broadcast invalidation (INVLPGB + TLBSYNC) -----------------------------------------------

    /// <summary>
    /// broadcast_tlb_flush / invlpgb_flush_all: the initiator issues INVLPGB (one per invlpgb_count_max pages,
    /// one for a full flush), every TLB in the machine drops the entries with no interrupt and no CPU time,
    /// and TLBSYNC waits until all have done so.
    /// </summary>
    private IEnumerable<Event> BroadcastFlush(Cpu me, long pages, Action<Cpu> loss)
    {
        Shootdowns++;
        long instructions = pages < 0 ? 1 : (pages + Params.BroadcastMaxPages - 1) / Params.BroadcastMaxPages;
        foreach (var e in me.RunIrqsOff(Params.BroadcastIssue * instructions, TimeCategory.Flush))
            yield return e;
        foreach (var cpu in Machine.Cpus)
            loss(cpu);
        var sync = Params.BroadcastCompletion + (Machine.Params.Topology.Sockets > 1 ? Params.BroadcastCrossSocketExtra : Duration.Zero);
        foreach (var e in me.Run(sync, TimeCategory.Flush))
            yield return e;
    }

}
