using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Tests.Model;

/// <summary>A small machine with a kernel, for testing one model at a time (a make_dut in Ramulator's sense).</summary>
internal sealed class Harness
{
    public Harness(MachineParams? machine = null, KernelParams? kernel = null, ITlbModel? tlb = null, long seed = 1)
    {
        machine ??= new MachineParams { Topology = new TopologyParams { Sockets = 1, CoresPerSocket = 4, ThreadsPerCore = 1 } };
        kernel ??= new KernelParams();
        Sim = new Simulation(seed);
        var directMap = new DirectMap(machine.Memory, kernel.GbPages, kernel.Force4kDirectMap, kernel.Remerge);
        Machine = new Machine(Sim, machine, directMap, tlb ?? new AnalyticTlbModel());
        Kernel = new LinuxKernel(Machine, kernel);
    }

    public static MachineParams Cpus(int n, bool shorthand = true, ApicMode mode = ApicMode.Cluster) => new()
    {
        Topology = new TopologyParams { Sockets = 1, CoresPerSocket = n, ThreadsPerCore = 1 },
        Apic = new ApicParams { UseShorthand = shorthand, Mode = mode },
    };

    public Simulation Sim { get; }

    public Machine Machine { get; }

    public LinuxKernel Kernel { get; }

    public Cpu this[int id] => Machine.Cpus[id];

    /// <summary>Keeps a CPU busy with workload slices until the run stops.</summary>
    public void Busy(int cpu, double sliceUs = 10)
    {
        Machine.Start(this[cpu], c => Forever(() => c.Work(Duration.FromMicroseconds(sliceUs))));
    }

    /// <summary>Keeps a CPU idle until the run stops.</summary>
    public void Idle(int cpu, double periodUs = 1000)
    {
        Machine.Start(this[cpu], c => Forever(() => c.Idle(Duration.FromMicroseconds(periodUs))));
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="cpu"/> once and records when it started and ended.</summary>
    public Timed Once(int cpu, Func<Cpu, IEnumerable<Event>> body, double startUs = 1)
    {
        var timed = new Timed();
        IEnumerable<Event> Program(Cpu c)
        {
            foreach (var e in c.Idle(Duration.FromMicroseconds(startUs)))
                yield return e;
            timed.Start = Sim.Now;
            foreach (var e in body(c))
                yield return e;
            timed.End = Sim.Now;
            foreach (var e in Forever(() => c.Idle(Duration.FromMicroseconds(1000))))
                yield return e;
        }
        Machine.Start(this[cpu], Program);
        return timed;
    }

    public AddressSpace MmOn(params int[] cpus)
    {
        var mm = new AddressSpace(1, "test");
        foreach (int id in cpus)
        {
            mm.AddCpu(id);
            this[id].LoadedMm = mm;
        }
        return mm;
    }

    public void RunFor(double us) => Sim.Run(Sim.Now + Duration.FromMicroseconds(us));

    private static IEnumerable<Event> Forever(Func<IEnumerable<Event>> step)
    {
        while (true)
        {
            foreach (var e in step())
                yield return e;
        }
    }

    public sealed class Timed
    {
        public Duration Start { get; set; }

        public Duration? End { get; set; }

        public Duration Latency => End!.Value - Start;
    }
}
