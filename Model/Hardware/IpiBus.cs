using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// The APIC and interconnect: sends IPIs and carries acknowledgments back. x2APIC in cluster mode (the
/// default) writes the ICR once per cluster of up to 16 logical CPUs among the targets, in physical mode
/// once per target (__x2apic_send_IPI_mask); when every other online CPU is a target and shorthands are
/// enabled, one all-but-self write does (native_send_call_func_ipi). Each IPI reaches its
/// target after the ICR write that names it plus a delivery latency set by the distance. A single target
/// idle in a polling state gets no IPI at all (call_function_single_prep_ipi).
/// </summary>
public sealed class IpiBus
{
    private readonly Machine _machine;
    private readonly HashSet<int> _clustersSent = [];
    private readonly Stack<Deliveries> _pool = new();
    private Deliveries? _filling;

    internal IpiBus(Machine machine) => _machine = machine;

    /// <summary>IPIs sent (one per target, a shorthand counts each CPU it reaches).</summary>
    public long IpisSent { get; private set; }

    /// <summary>Single requests to a polling idle CPU that needed no IPI.</summary>
    public long PollWakes { get; private set; }

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
        if (targets.Count == 1 && targets[0].IsPolling)
        {
            // send_call_function_single_ipi: call_function_single_prep_ipi finds TIF_POLLING_NRFLAG and sets
            // need_resched instead (set_nr_if_polling); the polling CPU sees the flag's line change.
            PollWakes++;
            var target = targets[0];
            _machine.Simulation.Timeout(LineTransfer(from, target)).AddCallback(_ => target.PollWake());
            return Duration.Zero;
        }
        // One target goes through send_call_function_single_ipi, which never uses a shorthand.
        bool shorthand = apic.UseShorthand && targets.Count > 1 && targets.Count == _machine.Cpus.Count - 1;
        IpisSent += targets.Count;
        _filling = _pool.TryPop(out var batch) ? batch : new Deliveries(this);
        try
        {
            return Write(from, targets, apic, shorthand);
        }
        finally
        {
            _filling.Start();
            _filling = null;
        }
    }

    // The ICR writes of one send. In a guest (machine.virtualized) each write also exits to the hypervisor and
    // each delivery takes the host's extra time.
    private Duration Write(Cpu from, IReadOnlyList<Cpu> targets, ApicParams apic, bool shorthand)
    {
        var m = _machine.Params;
        var exit = m.Virtualized ? m.GuestIcrExit : Duration.Zero;
        var extra = m.Virtualized ? m.GuestDeliveryExtra : Duration.Zero;
        var icr = apic.IcrWrite + exit;
        if (shorthand)
        {
            IcrWrites++;
            var broadcast = apic.BroadcastWrite + exit;
            foreach (var t in targets)
                DeliverAfter(t, broadcast + extra + apic.Delivery(_machine.Topology.Distance(from.Id, t.Id)));
            return broadcast;
        }
        if (apic.Mode == ApicMode.Physical)
        {
            for (int i = 0; i < targets.Count; i++)
            {
                IcrWrites++;
                var t = targets[i];
                DeliverAfter(t, icr * (i + 1) + extra + apic.Delivery(_machine.Topology.Distance(from.Id, t.Id)));
            }
            return icr * targets.Count;
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
                    DeliverAfter(t, icr * writes + extra + apic.Delivery(topology.Distance(from.Id, t.Id)));
            }
        }
        return icr * writes;
    }

    /// <summary>Time for a cache line written by <paramref name="from"/> to reach <paramref name="to"/> (a csd, a queue head, a flag).</summary>
    public Duration LineTransfer(Cpu from, Cpu to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return _machine.Params.Apic.Ack(_machine.Topology.Distance(from.Id, to.Id));
    }

    private void DeliverAfter(Cpu target, Duration latency) => _filling!.Add(target, latency.Picoseconds);

    /// <summary>
    /// The IPIs of one send: one event that fires at each distinct arrival time and delivers every IPI due
    /// then, in CPU order, instead of one event per target. Pooled by the bus.
    /// </summary>
    private sealed class Deliveries(IpiBus bus) : Event(bus._machine.Simulation)
    {
        private long[] _keys = new long[16]; // delay after the send << 16 | position, so equal times keep CPU order
        private Cpu[] _targets = new Cpu[16];
        private int _count;
        private int _next;
        private long _sentPs;

        public void Add(Cpu target, long delayPs)
        {
            if (_count == _keys.Length)
            {
                Array.Resize(ref _keys, _count * 2);
                Array.Resize(ref _targets, _count * 2);
            }
            if (_count == 0)
                _sentPs = Simulation.NowPicoseconds;
            if (_count >= 1 << 16 || delayPs >= 1L << 46)
                throw new InvalidOperationException($"an IPI send to more than 65,536 CPUs or with a delivery over 70 s ({delayPs} ps) is beyond the bus's bookkeeping");
            _keys[_count] = (delayPs << 16) | (uint)_count;
            _targets[_count] = target;
            _count++;
        }

        public void Start()
        {
            if (_count == 0)
            {
                bus._pool.Push(this);
                return;
            }
            Array.Sort(_keys, _targets, 0, _count);
            _next = 0;
            ScheduleSuccess(_sentPs + (_keys[0] >> 16) - Simulation.NowPicoseconds, EventPriority.Normal, null);
        }

        internal override void Fire()
        {
            long now = Simulation.NowPicoseconds;
            while (_next < _count && _sentPs + (_keys[_next] >> 16) <= now)
            {
                var target = _targets[_next];
                _targets[_next++] = null!;
                target.Deliver();
            }
            if (_next < _count)
            {
                ScheduleSuccess(_sentPs + (_keys[_next] >> 16) - now, EventPriority.Normal, null);
                return;
            }
            _count = 0;
            ResetForReuse();
            bus._pool.Push(this);
        }
    }
}
