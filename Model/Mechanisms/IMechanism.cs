using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// A design under study. An operation is one use of it by a CPU (a protected write, a secret page
/// faulted in, a page changing owner), built only from the machine's and kernel's primitives.
/// </summary>
public interface IMechanism
{
    /// <summary>The name used in scenario and result files.</summary>
    string Name { get; }

    /// <summary>The kernel path it follows, for <c>tlbsim describe</c>.</summary>
    string KernelPath { get; }

    /// <summary>Operations come from the workload's page ownership transitions instead of the operation generator.</summary>
    bool DrivenByPageTransitions => false;

    /// <summary>
    /// The mechanism parameters (their snake_case keys) its operations and hooks read, or null when not stated
    /// (then it is taken to read all). Runs that differ only in a parameter the mechanism does not read give
    /// the same results, so the debate tools run them once; <c>MechanismReadsTests</c> checks every declaration
    /// against the runs.
    /// </summary>
    IReadOnlySet<string>? ParamsRead => null;


    /// <summary>Kernel settings the mechanism forces (XPFO forces a 4K direct map).</summary>
    KernelParams Adjust(KernelParams kernel) => kernel;

    /// <summary>Called once when the run is set up, before any CPU runs (PKS hooks interrupt entry here).</summary>
    void Attach(MechanismContext context)
    {
    }

    /// <summary>The kinds of operation it reports, each its own latency series; the first is the one charts show by default.</summary>
    IReadOnlyList<string> OperationKinds => DefaultKinds;

    /// <summary>The single kind of a mechanism with one kind of operation.</summary>
    static readonly IReadOnlyList<string> DefaultKinds = ["op"];

    /// <summary>The kind of the operation <paramref name="cpu"/> just finished (an index into <see cref="OperationKinds"/>).</summary>
    int LastKind(Cpu cpu) => 0;

    /// <summary>One operation performed by <paramref name="cpu"/>.</summary>
    IEnumerable<Event> Operate(MechanismContext context, Cpu cpu);
}

/// <summary>What a mechanism may use: the kernel, the machine, its own random stream and state.</summary>
public sealed class MechanismContext
{
    /// <summary>Creates the context of one run.</summary>
    public MechanismContext(LinuxKernel kernel, MechanismParams parameters, System.Random random)
    {
        Kernel = kernel;
        Params = parameters;
        Random = random;
        var machine = kernel.Machine;
        TextMutex = new Resource(machine.Simulation, 1);
        JumpLabelMutex = new Resource(machine.Simulation, 1);
        UserMm = new AddressSpace(1, "user");
        int processCpus = Math.Min(parameters.DroppableProcessCpus, machine.Cpus.Count);
        for (int i = 0; i < processCpus; i++)
        {
            UserMm.AddCpu(i);
            machine.Cpus[i].LoadedMm = UserMm;
        }
    }

    /// <summary>The kernel.</summary>
    public LinuxKernel Kernel { get; }

    /// <summary>The machine.</summary>
    public Machine Machine => Kernel.Machine;

    /// <summary>Mechanism costs and options.</summary>
    public MechanismParams Params { get; }

    /// <summary>The mechanism's own random stream.</summary>
    public System.Random Random { get; }

    /// <summary>The user process the workload's threads belong to (on the first CPUs).</summary>
    public AddressSpace UserMm { get; }

    /// <summary>The temporary mm used for pokes (text_poke_mm): never loaded outside a poke, so its cpumask stays empty.</summary>
    public AddressSpace PokingMm { get; } = new(2, "poking");

    /// <summary>Reports a latency of another kind than the operation's own (static_key's sync rounds): set by the experiment, which records it once measurement has started.</summary>
    public Action<int, Duration>? Reporter { get; set; }

    /// <summary>Reports <paramref name="latency"/> as kind <paramref name="kind"/> (an index into the mechanism's operation kinds).</summary>
    public void Report(int kind, Duration latency) => Reporter?.Invoke(kind, latency);

    /// <summary>Direct-map remappings done (vmap aliases, prlist remaps).</summary>
    public long Remaps { get; set; }

    /// <summary>A page frame from the page allocator: anywhere in memory.</summary>
    public long RandomFrame() => Random.NextInt64(Machine.DirectMap.Pages4K);

    /// <summary>text_mutex: serialises text pokes and temporary-mm writes through the one poking address.</summary>
    public Resource TextMutex { get; }

    /// <summary>jump_label_mutex (jump_label_lock): held for a whole static key flip.</summary>
    public Resource JumpLabelMutex { get; }

    private long _blockNext;
    private long _blockEnd;

    /// <summary>
    /// A page frame from the page allocator with the buddy allocator's locality: consecutive frames of one
    /// MAX_ORDER block (1024 frames, 4 MiB; __rmqueue_smallest splits the smallest free block, so successive
    /// order-0 allocations walk through it), then a new block anywhere in memory. Allocations by others in
    /// between are not modelled (they would spread these frames over more blocks; uniform placement is the bound).
    /// </summary>
    public long AllocFrame() => AllocFrames(1);

    /// <summary>
    /// The first of <paramref name="count"/> (a power of two up to a MAX_ORDER block) naturally aligned,
    /// consecutive frames, as an order-n allocation gets them: the rest of the current block when aligned
    /// space is left, otherwise a new block anywhere in memory.
    /// </summary>
    public long AllocFrames(long count)
    {
        long frames = Machine.DirectMap.Pages4K;
        long blockFrames = Math.Min(MaxOrderFrames, frames);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, blockFrames);
        long aligned = (_blockNext + count - 1) / count * count;
        if (aligned + count > _blockEnd)
        {
            _blockNext = Random.NextInt64(frames / blockFrames) * blockFrames;
            _blockEnd = _blockNext + blockFrames;
            aligned = _blockNext;
        }
        _blockNext = aligned + count;
        return aligned;
    }

    /// <summary>Frames in a MAX_ORDER block (order 10).</summary>
    public const long MaxOrderFrames = 1024;

    /// <summary>Frames handed out by <see cref="PoolFrame"/> so far.</summary>
    public long PoolFrames { get; private set; }

    /// <summary>The next frame of a pool that grows contiguously from the middle of memory (prmem pools, grouped tags).</summary>
    public long PoolFrame()
    {
        long pfn = Machine.DirectMap.Pages4K / 2 + PoolFrames++;
        return pfn % Machine.DirectMap.Pages4K;
    }
}
