using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;

namespace TlbSim.Model.Workloads;

/// <summary>
/// The measurement that fixes kernel_build's page-transition rate (the workloads' one fitted input): XPFO
/// with immediate flushes against no XPFO, kernel time per unit of work, on the 4-core Ivy Bridge preset
/// (XPFO v7 cover letter: 2.61x). Shared by the calibrate command and the calibration test.
/// </summary>
public static class KernelBuildCalibration
{
    /// <summary>The published kernel-build slowdown with XPFO and immediate global flushes.</summary>
    public const double Published = 2.61;

    /// <summary>
    /// XPFO's kernel-time slowdown of kernel_build for one seed (200 ms measured after 5 ms warm-up), against
    /// <paramref name="baseline"/> (the shipped baseline design, which the caller's design catalog makes).
    /// </summary>
    /// <remarks>How the input was set: scan <paramref name="transitionRate"/> (default: the preset's) and interpolate.</remarks>
    /// <remarks><paramref name="policy"/>: immediate for the fitted input; the later versions' policies are checks.</remarks>
    public static double XpfoSlowdown(Func<IMechanism> baseline, long seed, bool check = false, double? transitionRate = null, XpfoFlushPolicy policy = XpfoFlushPolicy.Immediate)
    {
        var workload = WorkloadPresets.KernelBuild with { PageTransitionRate = transitionRate ?? WorkloadPresets.KernelBuild.PageTransitionRate };
        return KernelTimePerWork("xpfo", () => new Xpfo(), seed, check, workload, policy) / KernelTimePerWork("baseline", baseline, seed, check, workload, policy);
    }

    private static double KernelTimePerWork(string mechanism, Func<IMechanism> design, long seed, bool check, WorkloadParams workload, XpfoFlushPolicy policy) => Experiment.Run(new RunSpec
    {
        Machine = MachinePresets.IvyBridgeDesktop,
        Kernel = new KernelParams(),
        Workload = workload,
        MechanismParams = new MechanismParams { XpfoPolicy = policy },
        Operations = new OperationParams(),
        Mechanism = mechanism,
        Design = design,
        Duration = Duration.FromMilliseconds(200),
        Warmup = Duration.FromMilliseconds(5),
        Seed = seed,
        Check = check,
    }, Discard.Instance).KernelTimePerWork;

    private sealed class Discard : IRunObserver
    {
        public static readonly Discard Instance = new();

        public void Operation(int kind, Duration latency)
        {
        }

        public void Sample(Duration time, string metric, double value)
        {
        }
    }
}
