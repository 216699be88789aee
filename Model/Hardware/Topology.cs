using TlbSim.Model.Parameters;

namespace TlbSim.Model.Hardware;

/// <summary>How far apart two CPUs are, which sets IPI delivery and cache-line transfer latency.</summary>
public enum CpuDistance
{
    /// <summary>The same logical CPU.</summary>
    Self,

    /// <summary>Two hardware threads of one core: they share the core's caches and TLBs.</summary>
    SmtSibling,

    /// <summary>Different cores of one socket: the ack line crosses the on-die interconnect.</summary>
    SameSocket,

    /// <summary>Different sockets: the IPI and the ack line cross the socket link (UPI/Infinity Fabric).</summary>
    CrossSocket,
}

/// <summary>Sockets, cores and SMT threads.</summary>
public sealed record TopologyParams : IParameters
{
    /// <summary>Sockets.</summary>
    [Param("Processor sockets", Unit = "sockets")]
    public int Sockets { get; init; } = 1;

    /// <summary>Cores per socket.</summary>
    [Param("Physical cores per socket", Unit = "cores")]
    public int CoresPerSocket { get; init; } = 4;

    /// <summary>Hardware threads per core.</summary>
    [Param("Hardware threads per core (2 with SMT/Hyper-Threading on)", Unit = "threads")]
    public int ThreadsPerCore { get; init; } = 1;

    /// <summary>Logical CPUs.</summary>
    public int Cpus => Sockets * CoresPerSocket * ThreadsPerCore;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path) =>
        Check.Range(path, "sockets", Sockets, 1, 16)
            .Concat(Check.Range(path, "cores_per_socket", CoresPerSocket, 1, 512))
            .Concat(Check.Range(path, "threads_per_core", ThreadsPerCore, 1, 8))
            .Concat(Sockets * (long)CoresPerSocket * ThreadsPerCore > 4096
                ? [$"{Check.Join(path, "cores_per_socket")}: the machine would have {Sockets * (long)CoresPerSocket * ThreadsPerCore} CPUs; tlbsim models at most 4096"]
                : []);
}

/// <summary>
/// CPU numbering as Linux enumerates x86 machines: first thread of every core of every socket, then the
/// SMT siblings (cpu N+i is the sibling of cpu i).
/// </summary>
public sealed class Topology
{
    private readonly int _cores;
    private readonly int[] _clusters;

    /// <summary>Lays out the CPUs of <paramref name="p"/>.</summary>
    public Topology(TopologyParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        Params = p;
        _cores = p.Sockets * p.CoresPerSocket;
        Cpus = p.Cpus;
        _coreOf = Enumerable.Range(0, Cpus).Select(c => c % _cores).ToArray();
        _socketOf = _coreOf.Select(core => core / p.CoresPerSocket).ToArray();
        _clusters = Enumerable.Range(0, Cpus).Select(c => ApicId(c) >> 4).ToArray();
    }

    private readonly int[] _coreOf;
    private readonly int[] _socketOf;

    /// <summary>The parameters.</summary>
    public TopologyParams Params { get; }

    /// <summary>Logical CPUs.</summary>
    public int Cpus { get; }

    /// <summary>
    /// The x2APIC ID of <paramref name="cpu"/> as firmware lays them out: the thread in the lowest bits, then
    /// the core, then the socket, each field as wide as its largest value needs (CPUID leaf 0xB's shifts).
    /// </summary>
    public int ApicId(int cpu)
    {
        int core = CoreOf(cpu) % Params.CoresPerSocket;
        int thread = cpu / _cores;
        int threadBits = Bits(Params.ThreadsPerCore);
        int coreBits = Bits(Params.CoresPerSocket);
        return (SocketOf(cpu) << (threadBits + coreBits)) | (core << threadBits) | thread;
    }

    /// <summary>The x2APIC cluster of <paramref name="cpu"/>: its APIC ID's upper bits (x2apic_cluster.c: apicid >> 4).</summary>
    public int ClusterOf(int cpu) => _clusters[cpu];

    private static int Bits(int count) => count <= 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(count - 1));

    /// <summary>The socket of <paramref name="cpu"/>.</summary>
    public int SocketOf(int cpu) => _socketOf[cpu];

    /// <summary>The machine-wide core index of <paramref name="cpu"/>.</summary>
    public int CoreOf(int cpu) => _coreOf[cpu];

    /// <summary>The distance between two CPUs.</summary>
    public CpuDistance Distance(int a, int b)
    {
        if (a == b)
            return CpuDistance.Self;
        if (_coreOf[a] == _coreOf[b])
            return CpuDistance.SmtSibling;
        return _socketOf[a] == _socketOf[b] ? CpuDistance.SameSocket : CpuDistance.CrossSocket;
    }
}
