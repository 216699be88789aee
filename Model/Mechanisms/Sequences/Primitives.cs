using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms.Sequences;

/// <summary>An argument of a primitive: a whole number (a constant or a parameter's name) or one of fixed choices.</summary>
public sealed record PrimitiveArg(string Name, string Default, string Description, IReadOnlyList<string>? Choices = null)
{
    /// <summary>Whether the argument is a whole number.</summary>
    public bool IsNumber => Choices is null;
}

/// <summary>
/// One of the kernel's primitives a design is built from, named after the kernel function it models.
/// A primitive either adds time to the stretch of plain kernel code in progress (consecutive costs run as
/// one stretch, interruptible unless inside <c>irqs_off</c>) or acts: an action first lets the pending
/// stretch run, so that it happens after the time before it, then changes state or runs the kernel's path.
/// </summary>
public sealed record Primitive(string Name, string KernelFunction, string Description, string Costs, IReadOnlyList<PrimitiveArg> Args,
    Func<SequenceRun, StepArgs, IEnumerable<Event>> Body)
{
    /// <summary>The argument called <paramref name="name"/>.</summary>
    public PrimitiveArg Arg(string name) => Args.First(a => a.Name == name);
}

/// <summary>The primitives a design sequence may use, each with its kernel function and the parameters that price it.</summary>
public static class Primitives
{
    private static readonly string[] Placements = ["buddy", "uniform", "pool"];
    private static readonly string[] Addresses = ["direct_map", "vmalloc"];
    private static readonly string[] Mms = ["user", "poking"];
    private static readonly string[] MappedBy = ["4k", "2m", "1g", "page"];
    private static readonly string[] Windows = ["none", "open", "close"];

    private static PrimitiveArg Pages(string description = "pages it acts on, from the current page") => new("pages", "1", description);

    /// <summary>Every primitive, by name.</summary>
    public static IReadOnlyList<Primitive> All { get; } =
    [
        new("write", "the protected store (memcpy for more than a word)", "The write the design protects: one store, or a copy of bytes", "mechanism.write + bytes / mechanism.copy_bytes_per_second",
            [new("bytes", "0", "bytes copied besides the store (0: a single store; rare_write_copy copies more)")],
            (run, a) => run.Cost(TimeCategory.Kernel, 0, run.Params.Write + Duration.FromSeconds(a.Number(Get("write"), "bytes", run.Params, run.DesignParams) / run.Params.CopyBytesPerSecond))),
        new("compute", "kernel code tlbsim does not model by function", "Plain kernel code of a given length (bookkeeping of a new design)", "time + cycles at the machine's clock",
            [new("cycles", "0", "cycles at the machine's clock"), new("ns", "0", "nanoseconds")],
            (run, a) => run.Cost(TimeCategory.Kernel, a.Number(Get("compute"), "cycles", run.Params, run.DesignParams), Duration.FromNanoseconds(a.Number(Get("compute"), "ns", run.Params, run.DesignParams)))),
        new("alloc_pages", "alloc_pages (__rmqueue_smallest)", "Allocates count blocks of 2^order frames; the first frame becomes the current page", "mechanism.page_alloc per block",
            [new("count", "1", "allocations"), new("order", "0", "log2 of the frames per allocation (at most 10, a MAX_ORDER block)"),
             new("placement", "buddy", "buddy (consecutive frames of one 4 MiB block, then another), uniform (anywhere) or pool (a contiguous pool from mid-memory)", Placements)],
            AllocPages),
        new("page", "the page frame a caller passes in", "Makes a frame the current page without charging its allocation (it belongs to the caller)", "none",
            [new("placement", "uniform", "where the frame is: buddy, uniform or pool", Placements)],
            (run, a) => run.Act(() => run.Page = run.Frame(a.Choice(Get("page"), "placement")))),
        new("vmap", "vmap (alloc_vmap_area + vmap_pages_range)", "Maps pages at a new vmalloc area (a guard page included); vunmap later unmaps the last one", "mechanism.vmap",
            [Pages("pages mapped")], Vmap),
        new("vmap_pages_range", "vmap_pages_range", "Installs PTEs into a vmalloc area reserved earlier (a prmem pool); no new area", "mechanism.vmap per call",
            [Pages("pages mapped")], (run, a) => run.Cost(TimeCategory.Kernel, 0, run.Params.Vmap)),
        new("vunmap", "vunmap (vunmap_range_noflush + free_vmap_area_noflush)", "Unmaps the last vmap area without a flush and frees it lazily: vmap_lazy_nr grows and past lazy_max_pages() drain_vmap_work purges in a kworker", "mechanism.vunmap",
            [], Vunmap),
        new("vm_unmap_aliases", "vm_unmap_aliases (__purge_vmap_area_lazy)", "Purges every lazily freed vmalloc area now: one flush_tlb_kernel_range over their span", "kernel.vmap_purge_per_area and the flush",
            [], (run, a) => run.Call(() => run.Kernel.VmUnmapAliases(run.Cpu))),
        new("set_memory_ro", "set_memory_ro (change_page_attr_set_clr)", "Makes pages read-only: vm_unmap_aliases, the PTE change (on a vmalloc address also the direct-map alias, cpa_process_alias), splits with flush_tlb_all, cpa_flush", "kernel.cpa_* and the flushes",
            [Pages(), new("address", "direct_map", "which address is changed: direct_map, or vmalloc (the vmalloc PTE and its direct-map alias)", Addresses)],
            (run, a) => SetMemory(run, a, "set_memory_ro", toDefault: false)),
        new("set_memory_rw", "set_memory_rw (change_page_attr_set_clr)", "Makes pages writable again: the same path as set_memory_ro", "kernel.cpa_* and the flushes",
            [Pages(), new("address", "direct_map", "direct_map or vmalloc", Addresses)],
            (run, a) => SetMemory(run, a, "set_memory_rw", toDefault: true)),
        new("set_direct_map_invalid_noflush", "set_direct_map_invalid_noflush (__change_page_attr_set_clr)", "Removes the current page from the direct map, splitting its large pages (each split flushes all), without flushing the page itself", "kernel.cpa_* and the split flushes",
            [], (run, a) => run.Call(() => run.Kernel.SetDirectMapInvalidNoflush(run.Cpu, run.RequirePage()))),
        new("set_direct_map_default_noflush", "set_direct_map_default_noflush (__change_page_attr_set_clr)", "Returns the current page to the direct map, without a flush", "kernel.cpa_*",
            [], (run, a) => run.Call(() => run.Kernel.SetDirectMapDefaultNoflush(run.Cpu, run.RequirePage()))),
        new("assume_split", "(a precondition, not a kernel call)", "States that the current page's direct-map alias was split by its earlier protection, before the measured operations: no time, no flush (for a once block)", "none",
            [], AssumeSplit),
        new("flush_tlb_mm_range", "flush_tlb_mm_range", "Flushes pages of a user address space on the CPUs of its mm_cpumask (native_flush_tlb_multi, lazy CPUs skipped)", "the shootdown model",
            [Pages("pages flushed"), new("mm", "user", "user (the workload's process) or poking (the temporary mm, never loaded elsewhere)", Mms),
             new("freed_tables", "0", "1 when page tables were freed (lazy CPUs must flush too)")],
            (run, a) =>
            {
                var f = Get("flush_tlb_mm_range");
                return run.Call(() => run.Kernel.FlushTlbMmRange(run.Cpu, run.Mm(a.Choice(f, "mm")), a.Number(f, "pages", run.Params, run.DesignParams), a.Number(f, "freed_tables", run.Params, run.DesignParams) != 0));
            }),
        new("flush_tlb_kernel_range", "flush_tlb_kernel_range", "Flushes kernel pages on every CPU (flush_tlb_all above tlb_single_page_flush_ceiling)", "the shootdown model",
            [Pages("pages flushed"), new("mapped_by", "4k", "the size of the mapping flushed: 4k (vmalloc), 2m, 1g, or page (the current page's direct-map size)", MappedBy)],
            (run, a) =>
            {
                var f = Get("flush_tlb_kernel_range");
                var size = a.Choice(f, "mapped_by") switch
                {
                    "2m" => PageSize.Size2M,
                    "1g" => PageSize.Size1G,
                    "page" => run.Machine.DirectMap.SizeAt(run.RequirePage()),
                    _ => PageSize.Size4K,
                };
                return run.Call(() => run.Kernel.FlushTlbKernelRange(run.Cpu, a.Number(f, "pages", run.Params, run.DesignParams), size));
            }),
        new("flush_tlb_all", "flush_tlb_all", "Flushes everything, global entries included, on every CPU", "the shootdown model",
            [], (run, a) => run.Call(() => run.Kernel.FlushTlbAll(run.Cpu))),
        new("mprotect", "mprotect (change_protection + flush_tlb_mm_range)", "Changes the protection of pages of the workload's process (pkey_mprotect too)", "kernel.mprotect_fixup and the flush",
            [Pages("pages changed")], (run, a) => run.Call(() => run.Kernel.Mprotect(run.Cpu, run.Context.UserMm, a.Number(Get("mprotect"), "pages", run.Params, run.DesignParams)))),
        new("madvise_dontneed", "madvise(MADV_DONTNEED) (zap_page_range_single + flush_tlb_mm_range)", "Zaps anonymous pages of the workload's process (freeing them) and flushes them", "kernel.zap_per_page and the flush",
            [Pages("pages zapped")], (run, a) => run.Call(() => run.Kernel.MadviseDontneed(run.Cpu, run.Kernel.VmaOf(run.Context.UserMm), a.Number(Get("madvise_dontneed"), "pages", run.Params, run.DesignParams), freed: a.Number(Get("madvise_dontneed"), "pages", run.Params, run.DesignParams)))),
        new("zap_pte_range", "zap_pte_range (try_to_unmap with TTU_BATCH_FLUSH)", "Clears PTEs and defers their flush to arch_tlbbatch_flush", "kernel.zap_per_page per page",
            [Pages("PTEs cleared")], (run, a) => run.Cost(TimeCategory.Kernel, 0, run.Kernel.Params.ZapPerPage * a.Number(Get("zap_pte_range"), "pages", run.Params, run.DesignParams))),
        new("arch_tlbbatch_flush", "arch_tlbbatch_flush", "Flushes the deferred batch on the CPUs of the process's mm_cpumask, once", "the shootdown model",
            [], (run, a) => run.Call(() => run.Kernel.ArchTlbBatchFlush(run.Cpu, run.Context.UserMm))),
        new("anon_fault", "do_anonymous_page", "A page fault on anonymous memory: allocate, zero, map", "kernel.anon_fault",
            [], (run, a) => run.Call(() => run.Kernel.AnonFault(run.Cpu, run.Kernel.VmaOf(run.Context.UserMm)))),
        new("set_pte", "set_pte", "Writes one PTE (the poking address's)", "mechanism.write",
            [], (run, a) => run.Cost(TimeCategory.Kernel, 0, run.Params.Write)),
        new("pte_clear", "pte_clear", "Clears one PTE", "mechanism.write",
            [], (run, a) => run.Cost(TimeCategory.Kernel, 0, run.Params.Write)),
        new("use_temporary_mm", "use_temporary_mm (switch_mm_irqs_off)", "Loads a temporary mm: a CR3 write, plus a flush of its PCID, whose generation is stale since its last use", "machine.tlb.cr3_write_cycles twice (the second charged as flush time)",
            [], (run, a) =>
            {
                double cr3 = run.Machine.Params.Tlb.Cr3WriteCycles;
                run.Cost(TimeCategory.Kernel, cr3, Duration.Zero);
                return run.Cost(TimeCategory.Flush, cr3, Duration.Zero);
            }),
        new("unuse_temporary_mm", "unuse_temporary_mm (switch_mm_irqs_off)", "Switches back to the previous mm: a CR3 write", "machine.tlb.cr3_write_cycles",
            [], (run, a) => run.Cost(TimeCategory.Kernel, run.Machine.Params.Tlb.Cr3WriteCycles, Duration.Zero)),
        new("wrpkru", "WRPKRU", "Changes the thread's protection-key rights: no flush, no IPI", "mechanism.wrpkru_cycles",
            [], (run, a) => run.Cost(TimeCategory.Kernel, run.Params.WrpkruCycles, Duration.Zero)),
        new("wrmsr_pkrs", "WRMSR(IA32_PKRS) (pks_write_pkrs)", "Changes the supervisor protection-key rights; window: open marks a write window (an interrupt inside it pays a WRMSR pair in pks_save_pt_regs), close ends it", "mechanism.wrmsr_pkrs_cycles",
            [new("window", "none", "none, open (after the write) or close (before it)", Windows)], WrmsrPkrs),
    ];

    private static readonly Dictionary<string, Primitive> ByName = All.ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>The primitive called <paramref name="name"/>, or null.</summary>
    public static Primitive? Find(string name) => ByName.GetValueOrDefault(name);

    private static Primitive Get(string name) => ByName[name];

    /// <summary>Interrupt-entry hooks a design may install.</summary>
    public static IReadOnlyDictionary<string, string> Hooks { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["pks_save_pt_regs"] = "pks_save_pt_regs / pks_restore_pt_regs on every interrupt entry and exit (mechanism.pks_entry_cycles; a WRMSR pair, mechanism.wrmsr_pkrs_cycles each, inside an open wrmsr_pkrs window)",
    };

    private static IEnumerable<Event> AllocPages(SequenceRun run, StepArgs a)
    {
        var f = Get("alloc_pages");
        long count = a.Number(f, "count", run.Params, run.DesignParams);
        long order = a.Number(f, "order", run.Params, run.DesignParams);
        string placement = a.Choice(f, "placement");
        return run.Act(() =>
        {
            long first = -1;
            for (long i = 0; i < count; i++)
            {
                long frame = order == 0 ? run.Frame(placement) : run.Context.AllocFrames(1L << (int)order);
                if (i == 0)
                    first = frame;
            }
            run.Page = first;
        }, TimeCategory.Kernel, run.Params.PageAlloc * count);
    }

    private static IEnumerable<Event> Vmap(SequenceRun run, StepArgs a)
    {
        long pages = a.Number(Get("vmap"), "pages", run.Params, run.DesignParams);
        return run.Act(() =>
        {
            run.Context.Remaps++;
            run.Area = run.Kernel.Vmap(pages);
        }, TimeCategory.Kernel, run.Params.Vmap);
    }

    private static IEnumerable<Event> Vunmap(SequenceRun run, StepArgs a)
    {
        run.Cost(TimeCategory.Kernel, 0, run.Params.Vunmap);
        var area = run.Area ?? throw new InvalidOperationException("vunmap without a vmap before it");
        run.Area = null;
        return run.Act(() => run.Kernel.VunmapNoflush(run.Cpu, area));
    }

    private static IEnumerable<Event> SetMemory(SequenceRun run, StepArgs a, string name, bool toDefault)
    {
        var f = Get(name);
        long pages = a.Number(f, "pages", run.Params, run.DesignParams);
        bool vmalloc = a.Choice(f, "address") == "vmalloc";
        return run.Call(() => run.Kernel.ChangePageAttrSetClr(run.Cpu, run.RequirePage(), pages, toDefault, vmalloc));
    }

    private static IEnumerable<Event> AssumeSplit(SequenceRun run, StepArgs a) => run.Act(() =>
    {
        run.Machine.DirectMap.Change(run.RequirePage());
        run.Machine.DirectMapChanged();
    });

    private static IEnumerable<Event> WrmsrPkrs(SequenceRun run, StepArgs a)
    {
        string window = a.Choice(Get("wrmsr_pkrs"), "window");
        double cycles = run.Params.WrmsrPkrsCycles;
        if (window == "close")
            return run.Act(() => run.Cpu.PkrsOpen = false, TimeCategory.Kernel, Duration.Zero, cycles);
        run.Cost(TimeCategory.Kernel, cycles, Duration.Zero);
        return window == "open" ? run.Act(() => run.Cpu.PkrsOpen = true) : [];
    }
}
