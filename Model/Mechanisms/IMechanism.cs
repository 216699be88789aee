using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
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

    /// <summary>Kernel settings the mechanism forces (XPFO forces a 4K direct map).</summary>
    KernelParams Adjust(KernelParams kernel) => kernel;

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

    /// <summary>Direct-map remappings done (vmap aliases, prlist remaps).</summary>
    public long Remaps { get; set; }

    /// <summary>A page frame from the page allocator: anywhere in memory.</summary>
    public long RandomFrame() => Random.NextInt64(Machine.DirectMap.Pages4K);

    /// <summary>Frames handed out by <see cref="PoolFrame"/> so far.</summary>
    public long PoolFrames { get; private set; }

    /// <summary>The next frame of a pool that grows contiguously from the middle of memory (prmem pools, grouped tags).</summary>
    public long PoolFrame()
    {
        long pfn = Machine.DirectMap.Pages4K / 2 + PoolFrames++;
        return pfn % Machine.DirectMap.Pages4K;
    }
}
