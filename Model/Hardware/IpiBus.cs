using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// The APIC and interconnect: sends IPIs and carries acknowledgments back. x2APIC in cluster mode (the
/// default) writes the ICR once per cluster of up to 16 logical CPUs among the targets, in physical mode
/// once per target (__x2apic_send_IPI_mask); when every other online CPU is a target and shorthands are
/// enabled, one all-but-self write does (native_send_call_func_ipi). Each IPI reaches its
/// target after the ICR write that names it plus a delivery latency set by the distance.
/// </summary>
public sealed class IpiBus
{
    private readonly Machine _machine;
    private readonly HashSet<int> _clustersSent = [];

    internal IpiBus(Machine machine) => _machine = machine;

    /// <summary>IPIs sent (one per target, a shorthand counts each CPU it reaches).</summary>
    public long IpisSent { get; private set; }

    /// <summary>ICR writes made.</summary>
    public long IcrWrites { get; private set; }

    /// <summary>
    /// Sends the call-function IPI from <paramref name="from"/> to <paramref name="targets"/> (in CPU order)
    /// and returns the sender's time for the ICR writes, which the caller spends with interrupts off.
    /// Deliveries are scheduled relative to now, as if the writes start now.
    /// </summary>
    public Duration Send(Cpu from, IReadOnlyList<Cpu> targets)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0)
            return Duration.Zero;
        var apic = _machine.Params.Apic;
        // One target goes through send_call_function_single_ipi, which never uses a shorthand.
        bool shorthand = apic.UseShorthand && targets.Count > 1 && targets.Count == _machine.Cpus.Count - 1;
        IpisSent += targets.Count;
        if (shorthand)
        {
            IcrWrites++;
            foreach (var t in targets)
                DeliverAfter(t, apic.BroadcastWrite + apic.Delivery(_machine.Topology.Distance(from.Id, t.Id)));
            return apic.BroadcastWrite;
        }
        if (apic.Mode == ApicMode.Physical)
        {
            for (int i = 0; i < targets.Count; i++)
            {
                IcrWrites++;
                var t = targets[i];
                DeliverAfter(t, apic.IcrWrite * (i + 1) + apic.Delivery(_machine.Topology.Distance(from.Id, t.Id)));
            }
            return apic.IcrWrite * targets.Count;
        }
        // __x2apic_send_IPI_mask (cluster): walk the targets in CPU order; the first target of a cluster not yet
        // sent to gets one write naming every target of its cluster.
        var topology = _machine.Topology;
        int writes = 0;
        _clustersSent.Clear();
        for (int i = 0; i < targets.Count; i++)
        {
            int cluster = topology.ClusterOf(targets[i].Id);
            if (!_clustersSent.Add(cluster))
                continue;
            writes++;
            IcrWrites++;
            for (int j = i; j < targets.Count; j++)
            {
                var t = targets[j];
                if (topology.ClusterOf(t.Id) == cluster)
                    DeliverAfter(t, apic.IcrWrite * writes + apic.Delivery(topology.Distance(from.Id, t.Id)));
            }
        }
        return apic.IcrWrite * writes;
    }

    /// <summary>Calls <paramref name="arrived"/> when a cache line written by <paramref name="from"/> (an ack) reaches <paramref name="to"/>.</summary>
    public void TransferLine(Cpu from, Cpu to, Action arrived)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(arrived);
        var latency = _machine.Params.Apic.Ack(_machine.Topology.Distance(from.Id, to.Id));
        _machine.Simulation.Timeout(latency).AddCallback(_ => arrived());
    }

    private void DeliverAfter(Cpu target, Duration latency) =>
        _machine.Simulation.Timeout(latency).AddCallback(_ => target.Deliver());
}
