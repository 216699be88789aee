using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>A machine: topology, per-CPU costs, APIC and interconnect, TLBs, and memory size.</summary>
public sealed record MachineParams : IParameters
{
    /// <summary>Sockets, cores, threads.</summary>
    public TopologyParams Topology { get; init; } = new();

    /// <summary>Per-CPU costs and idle states.</summary>
    public CpuParams Cpu { get; init; } = new();

    /// <summary>IPI sending, delivery and acknowledgment.</summary>
    public ApicParams Apic { get; init; } = new();

    /// <summary>TLB geometry, invalidation and walk costs.</summary>
    public TlbParams Tlb { get; init; } = new();

    /// <summary>Physical memory.</summary>
    [Param("Physical memory, all of it mapped by the kernel's direct map")]
    public ByteSize Memory { get; init; } = ByteSize.FromGiB(16);

    /// <summary>The machine is a virtual machine's guest.</summary>
    [Param("The machine is a virtual machine's guest: each ICR write exits to the hypervisor (guest_icr_exit) and each IPI reaches its vCPU later (guest_delivery_extra); tlbsim probe sets this from the cpuinfo hypervisor flag")]
    public bool Virtualized { get; init; }

    /// <summary>Extra sender time per ICR write in a guest.</summary>
    [Param("In a guest, the sender's extra time per ICR write: the WRMSR to the x2APIC ICR exits to the hypervisor, which sends the interrupt (KVM's kvm_x2apic_icr_write) and resumes the guest", Source = "estimate 1.2 us (a VM exit and entry plus the host's send, ~1-2 us on KVM), plausible 0.4-4 us; tlbsim probe measures it on the machine it runs on", Low = "400ns", High = "4us")]
    public Duration GuestIcrExit { get; init; } = Duration.FromMicroseconds(1.2);

    /// <summary>Extra delivery latency to a guest CPU.</summary>
    [Param("In a guest, the extra time until the target vCPU starts its interrupt entry: the host posts or injects the interrupt and, for a halted vCPU, wakes its thread", Source = "estimate 1 us, plausible 0.2-10 us (a vCPU whose host thread is descheduled waits far longer); tlbsim probe measures it", Low = "200ns", High = "10us")]
    public Duration GuestDeliveryExtra { get; init; } = Duration.FromMicroseconds(1);

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        var e = new List<string>();
        e.AddRange(Topology.Validate(Check.Join(path, "topology")));
        e.AddRange(Cpu.Validate(Check.Join(path, "cpu")));
        e.AddRange(Apic.Validate(Check.Join(path, "apic")));
        e.AddRange(Tlb.Validate(Check.Join(path, "tlb")));
        e.AddRange(Check.NonNegative(path, "guest_icr_exit", GuestIcrExit));
        e.AddRange(Check.NonNegative(path, "guest_delivery_extra", GuestDeliveryExtra));
        if (Memory.Bytes < ByteSize.Page1G.Bytes || Memory.Bytes % ByteSize.Page1G.Bytes != 0)
            e.Add($"{Check.Join(path, "memory")}: must be a whole number of GiB, at least 1GiB (was {Memory})");
        else if (Memory.Bytes > ByteSize.FromGiB(64 * 1024).Bytes)
            e.Add($"{Check.Join(path, "memory")}: must be at most 64TiB (was {Memory})");
        return e;
    }
}
