using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>baseline: a plain store to ordinary writable kernel memory; the reference every design is compared with.</summary>
public sealed class Baseline : IMechanism
{
    /// <inheritdoc />
    public string Name => "baseline";

    /// <inheritdoc />
    public string KernelPath => "a store to writable kernel data: no protection, no flush";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu) => cpu.Run(context.Params.Write, TimeCategory.Kernel);
}
