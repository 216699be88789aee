using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// A CPU's idle loop (do_idle, cpuidle_idle_call): the state its <see cref="MenuGovernor"/> chooses, how far
/// the chip lets it reach that state, and the wake-up an interrupt pays.
/// </summary>
public sealed partial class Cpu
{
    private readonly System.Random _wakeRng;
    private IdleState? _idleState;
    private long _wakePs;

    /// <summary>This CPU's menu governor.</summary>
    public MenuGovernor Governor { get; }

    /// <summary>The idle state the governor chose, while the CPU is idle.</summary>
    public IdleState? IdleStateRequested => IsIdle ? _idleState : null;

    /// <summary>Idle in a polling state: TIF_POLLING_NRFLAG is set, so a single request needs no IPI.</summary>
    public bool IsPolling => IsIdle && _idleState is { Polling: true };


    /// <summary>True while the CPU sits in an idle state.</summary>
    public bool IsIdle { get; private set; }


    /// <summary>
    /// Idles for up to <paramref name="time"/> in the state the menu governor chooses (cpuidle_idle_call). The
    /// state is reached only as far as the rest of the chip allows: a core state only while every SMT sibling
    /// is idle in a core state too, a package state only while the whole package is. An interrupt wakes the
    /// CPU: it pays a wake-up drawn from the state's shape at the level it reached, handles the interrupt, and
    /// goes back to idle for the rest of the time.
    /// </summary>
    public IEnumerable<Event> Idle(Duration time)
    {
        var sim = _machine.Simulation;
        var end = sim.Now + time;
        while (sim.Now < end || _ipiPending)
        {
            if (_ipiPending)
            {
                foreach (var e in HandleInterrupts())
                    yield return e;
                continue;
            }
            var state = Governor.Select(end - sim.Now);
            if (state.FlushesTlb && LoadedMm is not null)
            {
                // cpuidle_enter_state: leave_mm before a state that loses the TLB; the CPU runs on init_mm
                // and loads its task's mm again (a CR3 write) when it resumes it.
                LoadedMm = null;
                IsLazy = false;
            }
            long enteredPs = sim.NowPicoseconds;
            _idleState = state;
            IsIdle = true;
            _machine.EnterIdle(this, state);
            _interruptible = true;
            _waiting = TimeCategory.Idle;
            yield return sim.Timeout(end - sim.Now);
            _interruptible = false;
            var (reached, level) = _machine.Reached(this, state);
            _machine.ExitIdle(this, state);
            IsIdle = false;
            bool woken = Process!.TryTakeInterrupt(out _);
            Account(TimeCategory.Idle);
            if (state.FlushesTlb && level != IdleLevel.Thread)
                LoseEntries(_ => true);
            if (woken)
            {
                var wake = reached.Wake.At(_wakeRng.NextDouble(), reached.ExitLatencyAt(level));
                if (_machine.Params.Cpu.WakeScale != 1)
                    wake *= _machine.Params.Cpu.WakeScale;
                _wakePs = wake.Picoseconds;
                if (wake.Picoseconds > 0)
                {
                    _waiting = TimeCategory.Idle;
                    yield return sim.Timeout(wake);
                    Account(TimeCategory.Idle);
                }
            }
            Governor.Record(new Duration(sim.NowPicoseconds - enteredPs), state); // last_residency_ns: entry to the end of the wake-up
        }
    }

    /// <summary>Idles forever, waking for interrupts: what a CPU does with no program of its own.</summary>
    public IEnumerable<Event> IdleForever()
    {
        while (true)
        {
            foreach (var e in Idle(Duration.FromMilliseconds(100)))
                yield return e;
        }
    }
}
