using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Model.Linux;

/// <summary>
/// A cache line CPUs write in turn (an atomic counter, a lock word): a write by a CPU other than the line's
/// last writer first brings the modified line over, which takes <see cref="IpiBus.LineTransfer"/> for the two
/// CPUs' distance; the last writer writes again for free. Concurrent writers each pay their own transfer
/// (the line's own queueing is not modelled).
/// </summary>
public sealed class SharedLine
{
    /// <summary>The CPU that wrote the line last (null before the first write).</summary>
    public Cpu? Owner { get; private set; }

    /// <summary>Writes that found the line on another CPU.</summary>
    public long Transfers { get; private set; }

    /// <summary>A write by <paramref name="me"/>: the time it waits for the line, which is now <paramref name="me"/>'s.</summary>
    public Duration Write(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        var previous = Owner;
        Owner = me;
        if (previous is null || previous == me)
            return Duration.Zero;
        Transfers++;
        return me.Machine.Bus.LineTransfer(previous, me);
    }
}

/// <summary>
/// A queued spinlock taken with spin_lock_irqsave (kernel/locking/qspinlock.c): waiters queue in arrival
/// order (the MCS queue) and spin with interrupts off, so an IPI to a waiter or to the holder waits for the
/// unlock; the new holder pulls the lock word over (<see cref="TimeCategory.Lock"/>) and, when the previous
/// holder was another CPU, finds <c>dataLines</c> lines of the protected data (a list head, a neighbouring
/// entry) modified there, which its critical section fetches (<see cref="TimeCategory.Kernel"/>, the work the
/// lock protects).
/// </summary>
public sealed class QueuedSpinlock
{
    private readonly Resource _slots;
    private readonly SharedLine _word = new();
    private readonly double _dataLines;

    /// <summary>A lock named as the kernel names it, whose critical sections touch <paramref name="dataLines"/> shared lines.</summary>
    public QueuedSpinlock(Simulation simulation, string name, double dataLines)
    {
        ArgumentNullException.ThrowIfNull(name);
        _slots = new Resource(simulation);
        Name = name;
        _dataLines = dataLines;
    }

    /// <summary>The kernel's name for the lock.</summary>
    public string Name { get; }

    /// <summary>Acquisitions.</summary>
    public long Acquisitions { get; private set; }

    /// <summary>Acquisitions that found the lock held and queued.</summary>
    public long Contended { get; private set; }

    /// <summary>Acquisitions by a CPU other than the previous holder (the lock and its data changed CPUs).</summary>
    public long HandOffs => _word.Transfers;

    /// <summary>
    /// spin_lock_irqsave; a critical section of <paramref name="work"/>; spin_unlock_irqrestore, after which an
    /// interrupt that arrived meanwhile is taken.
    /// </summary>
    public IEnumerable<Event> LockIrqSave(Cpu me, Duration work)
    {
        ArgumentNullException.ThrowIfNull(me);
        Acquisitions++;
        var request = _slots.Request();
        try
        {
            if (!request.Granted)
            {
                Contended++;
                foreach (var e in me.SpendUntil(request, TimeCategory.Lock))
                    yield return e;
            }
            var previous = _word.Owner;
            foreach (var e in me.Spend(_word.Write(me), TimeCategory.Lock))
                yield return e;
            var data = previous is null || previous == me ? Duration.Zero : me.Machine.Bus.LineTransfer(previous, me) * _dataLines;
            foreach (var e in me.Spend(work + data, TimeCategory.Kernel))
                yield return e;
        }
        finally
        {
            request.Dispose();
        }
        foreach (var e in me.RunIrqsOff(Duration.Zero, TimeCategory.Kernel))
            yield return e;
    }
}

/// <summary>
/// A read-write semaphore (kernel/locking/rwsem.c) as mmap_lock and a VMA's lock use it: readers share it,
/// each taking and dropping it with an atomic on its count line; a writer has it alone. Waiters are served
/// in arrival order, so a reader arriving after a waiting writer waits for it (the rwsem's hand-off to the
/// first waiter). tlbsim charges a wait as <see cref="TimeCategory.Lock"/> on the waiting CPU; the kernel
/// sleeps there after a short optimistic spin, which on a loop thread's own CPU leaves it idle.
/// </summary>
public sealed class RwSemaphore
{
    private readonly Simulation _simulation;
    private readonly SharedLine _count = new();
    private readonly Queue<(bool Writer, Event Granted)> _waiters = new();
    private int _readers;
    private bool _writer;

    /// <summary>A semaphore named as the kernel names it.</summary>
    public RwSemaphore(Simulation simulation, string name)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentNullException.ThrowIfNull(name);
        _simulation = simulation;
        Name = name;
    }

    /// <summary>The kernel's name for the semaphore.</summary>
    public string Name { get; }

    /// <summary>down_read (or the VMA lock's refcount increment): waits behind a writer, then the count's atomic.</summary>
    public IEnumerable<Event> DownRead(Cpu me) => Down(me, writer: false);

    /// <summary>down_write: waits for the readers inside and the earlier waiters, then the count's atomic.</summary>
    public IEnumerable<Event> DownWrite(Cpu me) => Down(me, writer: true);

    /// <summary>up_read: the count's atomic; the last reader out lets a waiting writer in.</summary>
    public IEnumerable<Event> UpRead(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        if (_readers <= 0)
            throw new InvalidOperationException($"{Name}: up_read without a reader");
        _readers--;
        var line = _count.Write(me);
        Admit();
        return me.Spend(line, TimeCategory.Lock);
    }

    /// <summary>up_write: the count's atomic; the waiters at the head of the queue come in.</summary>
    public IEnumerable<Event> UpWrite(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        if (!_writer)
            throw new InvalidOperationException($"{Name}: up_write without the writer");
        _writer = false;
        var line = _count.Write(me);
        Admit();
        return me.Spend(line, TimeCategory.Lock);
    }

    /// <summary>downgrade_write: the writer becomes a reader without letting go; the readers waiting at the head of the queue come in with it.</summary>
    public void Downgrade()
    {
        if (!_writer)
            throw new InvalidOperationException($"{Name}: downgrade_write without the writer");
        _writer = false;
        _readers++;
        Admit();
    }

    private IEnumerable<Event> Down(Cpu me, bool writer)
    {
        ArgumentNullException.ThrowIfNull(me);
        if (_waiters.Count > 0 || _writer || (writer && _readers > 0))
        {
            var granted = new Event(_simulation);
            _waiters.Enqueue((writer, granted));
            foreach (var e in me.SpinUntil(granted, TimeCategory.Lock))
                yield return e;
        }
        else if (writer)
        {
            _writer = true;
        }
        else
        {
            _readers++;
        }
        foreach (var e in me.Spend(_count.Write(me), TimeCategory.Lock))
            yield return e;
    }

    // Grants in arrival order while the head is compatible: readers together, a writer alone.
    private void Admit()
    {
        while (_waiters.Count > 0 && !_writer)
        {
            var (writer, granted) = _waiters.Peek();
            if (writer && _readers > 0)
                return;
            _waiters.Dequeue();
            if (writer)
                _writer = true;
            else
                _readers++;
            granted.Succeed();
            if (writer)
                return;
        }
    }
}
