using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// A CPU's side of smp_call_function_many_cond: its call-single queue, the CALL_FUNCTION vector's entry,
/// handler and exit, and the acknowledgements (csd_unlock) the initiators wait on. An IPI reaching a CPU
/// that runs or spins with interrupts enabled is taken at once as handler windows; otherwise it waits for
/// the CPU's process (idle, interrupts off, in a handler).
/// </summary>
public sealed partial class Cpu
{
    private List<CallRequest> _callQueue = [];
    private List<CallRequest> _batch = [];
    private long _deliveredAtPs;
    private bool _polled; // woken from a polling state without an IPI: no interrupt entry or exit
    private bool _ipiPending;
    private Window[] _windows = new Window[4]; // handler time taken at once and not yet charged, in time order
    private int _windowHead; // the first window not yet fully charged
    private int _windowCount; // one past the last window
    private long _windowsEndPs;
    private CallRound? _round;

    /// <summary>A stretch of time already decided (a handler taken at once) and its category.</summary>
    private struct Window
    {
        public long Start;
        public long End;
        public TimeCategory Category;
    }

    /// <summary>Scratch list for the targets a flush on this CPU chooses (used before the flush's first wait).</summary>
    internal List<Cpu> ScratchTargets { get; } = [];

    /// <summary>Scratch list for the targets of one round that need an IPI.</summary>
    internal List<Cpu> ScratchIpi { get; } = [];

    /// <summary>This CPU's cfd for a smp_call_function_many_cond round, reused; a fresh one if a round is somehow still in use.</summary>
    internal CallRound TakeRound()
    {
        _round ??= new CallRound(_machine.Simulation);
        return _round.InUse ? new CallRound(_machine.Simulation) : _round;
    }

    /// <summary>Ends a round on the cfd.</summary>
    internal static void ReturnRound(CallRound round) => round.InUse = false;

    /// <summary>IPIs this CPU has taken (interrupt entries for function calls).</summary>
    public long InterruptsTaken { get; private set; }

    /// <summary>
    /// Queues <paramref name="request"/> on this CPU's call-single queue (llist_add). Returns true when the
    /// queue was empty, which is when the initiator must send an IPI; otherwise one is already on its way.
    /// </summary>
    public bool Enqueue(CallRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.QueuedAtPs = _machine.Simulation.NowPicoseconds;
        _machine.CallsQueued++;
        if (_machine.TrackOutstanding)
            _machine.Outstanding.Add(request);
        _callQueue.Add(request);
        return _callQueue.Count == 1;
    }

    /// <summary>Whether <paramref name="request"/> waits in this CPU's call-single queue.</summary>
    public bool Holds(CallRequest request) => _callQueue.Contains(request) || _batch.Contains(request);

    /// <summary>An IPI arrives: taken now if the CPU is interruptible, otherwise when it next enables interrupts.</summary>
    internal void Deliver()
    {
        if (_ipiPending)
            return; // the vector is already pending in the APIC
        if ((_runTimeout is not null || _spinning) && Process is { IsAlive: true })
        {
            TakeAtOnce();
            return;
        }
        _ipiPending = true;
        _deliveredAtPs = _machine.Simulation.NowPicoseconds;
        Wake();
    }

    /// <summary>
    /// The IPI reaches a CPU that is running or spinning with interrupts enabled (in <see cref="Run"/> or
    /// <see cref="SpinUntil"/>): the handler is
    /// taken at once without switching to the CPU's process. Its steps have fixed costs (entry, the queue
    /// take, each csd read and function, exit), so its time is known now: the functions' effects apply now,
    /// each csd is unlocked at the instant the handler reaches it, the handler's time is charged as it
    /// passes, and the interrupted work ends that much later (its timeout is postponed). An IPI arriving
    /// while such a handler runs is taken after it, as a real one waits for interrupts to be enabled.
    /// </summary>
    private void TakeAtOnce()
    {
        var sim = _machine.Simulation;
        var cpu = _machine.Params.Cpu;
        var apic = _machine.Params.Apic;
        var topology = _machine.Topology;
        long now = sim.NowPicoseconds;
        long start = Math.Max(now, _windowsEndPs);
        long t = start;
        InterruptsTaken++;
        t = AddWindow(t, (cpu.InterruptEntry + PksEntryExtra()).Picoseconds, TimeCategory.Interrupt);
        (_batch, _callQueue) = (_callQueue, _batch);
        if (_batch.Count > 0)
            t = AddWindow(t, apic.Ack(topology.Distance(_batch[0].Initiator.Id, Id)).Picoseconds, TimeCategory.Interrupt);
        foreach (var request in _batch)
        {
            request.WakePs = 0;
            request.IrqsOffPs = Math.Max(0, start - Math.Max(now, request.QueuedAtPs));
            t = AddWindow(t, apic.Ack(topology.Distance(request.Initiator.Id, Id)).Picoseconds, TimeCategory.Flush);
            var function = request.Function;
            bool early = request.AcknowledgeOnEntry;
            if (early)
                Acknowledge(request, t);
            t = AddWindow(t, function(this).Picoseconds, TimeCategory.Flush);
            if (!early)
                Acknowledge(request, t);
        }
        _batch.Clear();
        t = AddWindow(t, cpu.InterruptExit.Picoseconds, TimeCategory.Interrupt);
        _windowsEndPs = t;
        _runTimeout?.Extend(t - start); // a spinner has no timeout: it waits for the windows' end when its event comes
    }

    private long AddWindow(long start, long length, TimeCategory category)
    {
        if (length <= 0)
            return start;
        if (_windowCount == _windows.Length)
        {
            if (_windowHead > 0)
            {
                Array.Copy(_windows, _windowHead, _windows, 0, _windowCount - _windowHead);
                _windowCount -= _windowHead;
                _windowHead = 0;
            }
            else
            {
                Array.Resize(ref _windows, _windows.Length * 2);
            }
        }
        _windows[_windowCount++] = new Window { Start = start, End = start + length, Category = category };
        return start + length;
    }

    /// <summary>
    /// A polling idle CPU sees need_resched set by call_function_single_prep_ipi: it leaves the poll loop and
    /// runs its call-single queue from do_idle (flush_smp_call_function_queue), with no interrupt entry or exit.
    /// </summary>
    internal void PollWake()
    {
        if (_ipiPending)
            return;
        _ipiPending = true;
        _polled = true;
        _deliveredAtPs = _machine.Simulation.NowPicoseconds;
        Wake();
    }

    private void Wake()
    {
        if (Process is null)
        {
            // A CPU nobody gave a program sits idle: the IPI wakes it and its idle loop handles it.
            _machine.Start(this, c => c.IdleForever());
            return;
        }
        if (_interruptible && Process.IsAlive)
        {
            _interruptible = false;
            Process.Interrupt("ipi");
        }
    }

    /// <summary>
    /// The CALL_FUNCTION vector (sysvec_call_function): interrupt entry, then flush_smp_call_function_queue
    /// takes every queued request (llist_del_all: the queue's cache line comes back from the initiators) and
    /// runs each with interrupts off, reading its csd (a line the initiator wrote) and unlocking it after its
    /// function (csd_unlock), or before it under the early-ack policy; then interrupt exit. Requests queued
    /// after the take send a new IPI, taken after this one. A polling CPU woken without an IPI does the same
    /// from its idle loop, without entry and exit.
    /// </summary>
    private IEnumerable<Event> HandleInterrupts()
    {
        var sim = _machine.Simulation;
        var cpu = _machine.Params.Cpu;
        var apic = _machine.Params.Apic;
        var topology = _machine.Topology;
        while (_ipiPending)
        {
            _ipiPending = false;
            bool polled = _polled;
            _polled = false;
            long handlerStart = sim.NowPicoseconds;
            if (!polled)
            {
                InterruptsTaken++;
                _waiting = TimeCategory.Interrupt;
                yield return sim.Timeout(cpu.InterruptEntry + PksEntryExtra());
                Account(TimeCategory.Interrupt);
            }
            (_batch, _callQueue) = (_callQueue, _batch);
            if (_batch.Count > 0)
            {
                // llist_del_all: the queue head was last written by an initiator.
                var take = apic.Ack(topology.Distance(_batch[0].Initiator.Id, Id));
                foreach (var e in Spend(take, TimeCategory.Interrupt))
                    yield return e;
            }
            long wake = _wakePs;
            _wakePs = 0;
            foreach (var request in _batch)
            {
                request.WakePs = wake;
                request.IrqsOffPs = Math.Max(0, handlerStart - Math.Max(_deliveredAtPs, request.QueuedAtPs) - wake);
                // Reading the csd: its line is in the initiator's cache.
                foreach (var e in Spend(apic.Ack(topology.Distance(request.Initiator.Id, Id)), TimeCategory.Flush))
                    yield return e;
                var function = request.Function;
                bool early = request.AcknowledgeOnEntry;
                if (early)
                    Acknowledge(request, sim.NowPicoseconds);
                foreach (var e in Spend(function(this), TimeCategory.Flush))
                    yield return e;
                if (!early)
                    Acknowledge(request, sim.NowPicoseconds);
            }
            _batch.Clear();
            if (!polled)
            {
                _waiting = TimeCategory.Interrupt;
                yield return sim.Timeout(cpu.InterruptExit);
                Account(TimeCategory.Interrupt);
            }
        }
    }

    /// <summary>pks_save_pt_regs and pks_restore_pt_regs, charged at entry: nothing without PKS.</summary>
    private Duration PksEntryExtra() => _machine.Pks is { } pks ? pks.EntryExit + (PkrsOpen ? pks.WrmsrPair : Duration.Zero) : Duration.Zero;

    private void Acknowledge(CallRequest request, long atPs)
    {
        _machine.CallsAcknowledged++;
        if (_machine.TrackOutstanding)
            _machine.Outstanding.Remove(request);
        request.Unlock(atPs, _machine.Simulation.NowPicoseconds);
    }

    /// <summary>Charges the handler windows that have started by <paramref name="now"/> to their categories, and the gaps before them to <paramref name="category"/>.</summary>
    private void AccountWindows(TimeCategory category, long now)
    {
        for (; _windowHead < _windowCount; _windowHead++)
        {
            ref var w = ref _windows[_windowHead];
            if (w.Start >= now)
                break;
            _timePs[(int)category] += w.Start - _accountedUntil;
            long end = Math.Min(w.End, now);
            _timePs[(int)w.Category] += end - w.Start;
            _accountedUntil = end;
            if (w.End > now)
            {
                w.Start = now; // the rest of this window is charged later
                break;
            }
        }
        if (_windowHead == _windowCount)
            _windowHead = _windowCount = 0;
    }
}
