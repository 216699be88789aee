using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// The four primitives a CPU program is made of. Every shootdown round, handler and workload slice goes
/// through them, so each is a <see cref="PooledProgram{TSelf}"/> (a state machine reused from this CPU's
/// pool) rather than an iterator allocated per call; each one's comment gives the iterator it stands for.
/// </summary>
public sealed partial class Cpu
{
    private readonly ProgramPool<RunProgram> _runs;
    private readonly ProgramPool<SpendProgram> _spends;
    private readonly ProgramPool<IrqsOffProgram> _irqsOffs;
    private readonly ProgramPool<SpinProgram> _spins;
    private Kernel.Timeout? _runTimeout; // the timeout Run waits on: a request can be taken at once by postponing it
    private bool _spinning; // waiting in SpinUntil: a request can be taken at once, the spin resumes after it
    private TimeCategory _waiting = TimeCategory.Idle;
    private bool _interruptible;

    /// <summary>True while an interrupt would wait (interrupts disabled or a handler running).</summary>
    public bool IrqsDisabled => !_interruptible;

    /// <summary>Runs for <paramref name="time"/> with interrupts enabled, charging <paramref name="category"/>; interrupts are taken as they arrive and the rest of the time follows.</summary>
    public IEnumerable<Event> Run(Duration time, TimeCategory category) => _runs.Rent().Start(time, category);

    /// <summary>Runs for <paramref name="time"/> with interrupts disabled: an IPI arriving meanwhile is taken when the section ends.</summary>
    public IEnumerable<Event> RunIrqsOff(Duration time, TimeCategory category) =>
        time.Picoseconds <= 0 && !_ipiPending ? [] : _irqsOffs.Rent().Start(time, category);

    /// <summary>
    /// Spends <paramref name="time"/> in the current interrupt state without taking interrupts at the end:
    /// the building block of functions that run inside a handler or an IRQ-disabled section.
    /// </summary>
    public IEnumerable<Event> Spend(Duration time, TimeCategory category) =>
        time.Picoseconds > 0 ? _spends.Rent().Start(time, category) : [];

    /// <summary>
    /// Waits in the current interrupt state, without taking interrupts at the end, until <paramref name="done"/>
    /// has happened: the spin of spin_lock_irqsave (interrupts arriving meanwhile wait for the holder's unlock).
    /// </summary>
    public IEnumerable<Event> SpendUntil(Event done, TimeCategory category)
    {
        ArgumentNullException.ThrowIfNull(done);
        return done.IsProcessed ? [] : _spends.Rent().Start(done, category);
    }

    /// <summary>Spins with interrupts enabled until <paramref name="done"/> has happened (csd_lock_wait), taking interrupts meanwhile.</summary>
    public IEnumerable<Event> SpinUntil(Event done, TimeCategory category)
    {
        ArgumentNullException.ThrowIfNull(done);
        return _spins.Rent().Start(done, category);
    }

    /// <summary>
    /// <code>
    /// while (remaining &gt; 0 || _ipiPending)
    /// {
    ///     if (_ipiPending) { foreach (var e in HandleInterrupts()) yield return e; continue; }
    ///     _interruptible = true; _waiting = category;
    ///     yield return _runTimeout = Timeout(remaining);
    ///     _runTimeout = null; _interruptible = false;
    ///     remaining = Process.TryTakeInterrupt(out var i) ? i.Remaining ?? 0 : 0;
    ///     Account(category);
    /// }
    /// </code>
    /// </summary>
    private sealed class RunProgram(Cpu cpu) : PooledProgram<RunProgram>
    {
        private Duration _remaining;
        private TimeCategory _category;
        private bool _onTimeout;

        public RunProgram Start(Duration time, TimeCategory category)
        {
            (_remaining, _category, _onTimeout) = (time, category, false);
            return this;
        }

        protected override bool Step()
        {
            if (_onTimeout)
            {
                _onTimeout = false;
                cpu._runTimeout = null;
                cpu._interruptible = false;
                _remaining = cpu.Process!.TryTakeInterrupt(out var interrupt) ? interrupt.Remaining ?? Duration.Zero : Duration.Zero;
                cpu.Account(_category);
            }
            if (cpu._ipiPending)
                return Relay(cpu.HandleInterrupts());
            if (_remaining.Picoseconds <= 0)
                return false;
            cpu._interruptible = true;
            cpu._waiting = _category;
            cpu._runTimeout = cpu._machine.Simulation.Timeout(_remaining);
            _onTimeout = true;
            return Wait(cpu._runTimeout);
        }
    }

    /// <summary><c>_waiting = category; yield return until ?? Timeout(time); Account(category);</c></summary>
    private sealed class SpendProgram(Cpu cpu) : PooledProgram<SpendProgram>
    {
        private Duration _time;
        private Event? _until;
        private TimeCategory _category;
        private bool _started;

        public SpendProgram Start(Duration time, TimeCategory category)
        {
            (_time, _until, _category, _started) = (time, null, category, false);
            return this;
        }

        public SpendProgram Start(Event until, TimeCategory category)
        {
            (_time, _until, _category, _started) = (Duration.Zero, until, category, false);
            return this;
        }

        protected override bool Step()
        {
            if (!_started)
            {
                _started = true;
                cpu._waiting = _category;
                return Wait(_until ?? cpu._machine.Simulation.Timeout(_time));
            }
            _until = null;
            cpu.Account(_category);
            return false;
        }
    }

    /// <summary>
    /// <code>
    /// if (time &gt; 0) { _waiting = category; yield return Timeout(time); Account(category); }
    /// if (_ipiPending) foreach (var e in HandleInterrupts()) yield return e;
    /// </code>
    /// </summary>
    private sealed class IrqsOffProgram(Cpu cpu) : PooledProgram<IrqsOffProgram>
    {
        private Duration _time;
        private TimeCategory _category;
        private int _step; // 0: not started, 1: on the timeout, 2: after the interrupts

        public IrqsOffProgram Start(Duration time, TimeCategory category)
        {
            (_time, _category, _step) = (time, category, 0);
            return this;
        }

        protected override bool Step()
        {
            switch (_step++)
            {
                case 0 when _time.Picoseconds > 0:
                    cpu._waiting = _category;
                    return Wait(cpu._machine.Simulation.Timeout(_time));
                case 0:
                    _step = 2; // nothing to charge
                    return cpu._ipiPending && Relay(cpu.HandleInterrupts());
                case 1:
                    cpu.Account(_category);
                    return cpu._ipiPending && Relay(cpu.HandleInterrupts());
                default:
                    return false;
            }
        }
    }

    /// <summary>
    /// <code>
    /// while (!done.IsProcessed || _ipiPending)
    /// {
    ///     if (_ipiPending) { foreach (var e in HandleInterrupts()) yield return e; continue; }
    ///     _interruptible = true; _waiting = category; _spinning = true;
    ///     yield return done;
    ///     _spinning = false; _interruptible = false;
    ///     Process.TryTakeInterrupt(out _);
    ///     Account(category);
    /// }
    /// // A handler taken at once while spinning must end before the spinner sees its event.
    /// while (_windowsEndPs &gt; now)
    /// {
    ///     _interruptible = true;
    ///     yield return _runTimeout = Timeout(_windowsEndPs - now);
    ///     _runTimeout = null; _interruptible = false;
    ///     Account(category);
    /// }
    /// </code>
    /// </summary>
    private sealed class SpinProgram(Cpu cpu) : PooledProgram<SpinProgram>
    {
        private Event _done = null!;
        private TimeCategory _category;
        private int _step; // 0: spinning, 1: on done, 2: waiting out the windows, 3: on a window's timeout

        public SpinProgram Start(Event done, TimeCategory category)
        {
            (_done, _category, _step) = (done, category, 0);
            return this;
        }

        protected override bool Step()
        {
            if (_step == 1)
            {
                cpu._spinning = false;
                cpu._interruptible = false;
                cpu.Process!.TryTakeInterrupt(out _);
                cpu.Account(_category);
                _step = 0;
            }
            if (_step == 0)
            {
                if (cpu._ipiPending)
                    return Relay(cpu.HandleInterrupts());
                if (!_done.IsProcessed)
                {
                    cpu._interruptible = true;
                    cpu._waiting = _category;
                    cpu._spinning = true;
                    _step = 1;
                    return Wait(_done);
                }
                _step = 2;
            }
            if (_step == 3)
            {
                cpu._runTimeout = null;
                cpu._interruptible = false;
                cpu.Account(_category);
                _step = 2;
            }
            var sim = cpu._machine.Simulation;
            if (cpu._windowsEndPs > sim.NowPicoseconds)
            {
                cpu._interruptible = true;
                cpu._runTimeout = sim.Timeout(new Duration(cpu._windowsEndPs - sim.NowPicoseconds));
                _step = 3;
                return Wait(cpu._runTimeout);
            }
            _done = null!;
            return false;
        }
    }
}
