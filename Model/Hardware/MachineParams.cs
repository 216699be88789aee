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

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        var e = new List<string>();
        e.AddRange(Topology.Validate(Check.Join(path, "topology")));
        e.AddRange(Cpu.Validate(Check.Join(path, "cpu")));
        e.AddRange(Apic.Validate(Check.Join(path, "apic")));
        e.AddRange(Tlb.Validate(Check.Join(path, "tlb")));
        if (Memory.Bytes < ByteSize.Page1G.Bytes || Memory.Bytes % ByteSize.Page1G.Bytes != 0)
            e.Add($"{Check.Join(path, "memory")}: must be a whole number of GiB, at least 1GiB (was {Memory})");
        else if (Memory.Bytes > ByteSize.FromGiB(64 * 1024).Bytes)
            e.Add($"{Check.Join(path, "memory")}: must be at most 64TiB (was {Memory})");
        return e;
    }
}
