using TlbSim.Model.Kernel;
using TlbSim.Model.Workloads;
using TlbSim.Tests.Model.Mechanisms;
using Xunit;

namespace TlbSim.Tests.Model.Workloads;

/// <summary>Do the run-time invariant checks hold on real runs, and do they stop a run that breaks one, naming it?</summary>
public class InvariantTests
{
    [Fact]
    public void Checked_runs_of_every_mechanism_hold_every_invariant()
    {
        foreach (var name in TlbSim.Scenarios.Loading.Designs.Builtin.Names)
            MechanismTests.Run(MechanismTests.Spec(name, 8, ms: 3) with { Check = true });
    }

    [Fact]
    public void A_broken_invariant_stops_the_run_naming_the_invariant_the_cpu_and_the_time()
    {
        var h = new Harness(Harness.Cpus(2));
        var checker = new InvariantChecker(h.Machine);
        h.Busy(0);
        h.Busy(1);
        h.RunFor(100);
        checker.CheckNow();
        // A request that nobody will ever take: queued on cpu1 without an IPI.
        h[1].Enqueue(new TlbSim.Model.Hardware.CallRequest(h[0], h[1], _ => TlbSim.Model.Units.Duration.Zero, null));
        var e = Assert.Throws<SimulationException>(() => h.RunFor(60_000));
        Assert.Contains("invariant violated: every IPI sent is acknowledged (cpu1)", e.Message, StringComparison.Ordinal);
        Assert.Contains(" at ", e.Message, StringComparison.Ordinal);
    }
}
