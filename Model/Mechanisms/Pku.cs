using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// pku: user protection keys (seed 004). The thread opens write access with WRPKRU, writes, and closes it
/// with WRPKRU: a thread-local register change, no page-table change, no flush, no IPI.
/// </summary>
public sealed class Pku : IMechanism
{
    /// <inheritdoc />
    public string Name => "pku";

    /// <inheritdoc />
    public string KernelPath => "WRPKRU + write + WRPKRU in user space: no kernel entry, no flush";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var clock = context.Machine.Params.Cpu.Frequency;
        return cpu.Run(clock.Cycles(2 * context.Params.WrpkruCycles) + context.Params.Write, TimeCategory.Kernel);
    }
}
