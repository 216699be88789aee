namespace TlbSim.Model.Kernel;

/// <summary>
/// A sub-program written as a state machine and reused: what a short C# iterator would do, without the
/// allocation of a new iterator per call. A derived class keeps its state in fields and writes one
/// <see cref="Step"/>, which either waits on an event (<see cref="Wait"/>), runs another sub-program to its
/// end before stepping again (<see cref="Relay"/>), or ends (returns false). Callers use it as any
/// <see cref="IEnumerable{Event}"/> in a <c>foreach</c>; the <c>foreach</c>'s dispose puts it back in its
/// <see cref="ProgramPool{T}"/>, so once a pool is warm nothing is allocated per call.
/// </summary>
/// <remarks>
/// One instance is one running call: it enumerates once. The pool hands it out again only after the
/// caller has disposed it, which every <c>foreach</c> does, also when the caller is itself disposed early.
/// </remarks>
/// <typeparam name="TSelf">The derived class, so it goes back to a pool of its own kind.</typeparam>
public abstract class PooledProgram<TSelf> : IEnumerable<Event>, IEnumerator<Event>
    where TSelf : PooledProgram<TSelf>
{
    private ProgramPool<TSelf>? _pool;
    private IEnumerator<Event>? _inner;
    private Event? _next;
    private bool _returned = true;
    private bool _over;

    /// <summary>The event the caller waits on now.</summary>
    public Event Current { get; private set; } = null!;

    object System.Collections.IEnumerator.Current => Current;

    /// <summary>
    /// Advances the program by one wait: calls <see cref="Wait"/> or <see cref="Relay"/> and returns true, or
    /// returns false when the program is over. After a relayed sub-program ends, it is called again.
    /// </summary>
    protected abstract bool Step();

    /// <summary>Waits on <paramref name="e"/>; <see cref="Step"/> is called again once it is processed.</summary>
    protected bool Wait(Event e)
    {
        _next = e;
        return true;
    }

    /// <summary>Runs <paramref name="inner"/> to its end (its events are the caller's), then steps again.</summary>
    protected bool Relay(IEnumerable<Event> inner)
    {
        _inner = inner.GetEnumerator();
        return true;
    }

    /// <inheritdoc/>
    public bool MoveNext()
    {
        while (!_over)
        {
            if (_inner is not null)
            {
                if (_inner.MoveNext())
                {
                    Current = _inner.Current;
                    return true;
                }
                _inner.Dispose();
                _inner = null;
            }
            _next = null;
            if (!Step())
                _over = true;
            else if (_next is not null)
            {
                Current = _next;
                return true;
            }
        }
        Current = null!;
        return false;
    }

    /// <summary>Ends the call (also early: a relayed sub-program is disposed) and returns the program to its pool.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA1816", Justification = "Dispose returns the program to its pool; it owns nothing a finalizer would release.")]
    public void Dispose()
    {
        _inner?.Dispose();
        _inner = null;
        Current = null!;
        if (!_returned)
        {
            _returned = true;
            _pool?.Return((TSelf)this);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<Event> GetEnumerator() => this;

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;

    /// <inheritdoc/>
    public void Reset() => throw new NotSupportedException();

    internal void Rent(ProgramPool<TSelf> pool)
    {
        _pool = pool;
        _returned = false;
        _over = false;
    }
}

/// <summary>The idle instances of one kind of <see cref="PooledProgram{TSelf}"/>, made by a factory when none is idle.</summary>
/// <typeparam name="T">The kind of program.</typeparam>
public sealed class ProgramPool<T>(Func<T> create) where T : PooledProgram<T>
{
    private readonly Stack<T> _idle = new();

    /// <summary>An idle instance, or a new one; the caller sets its arguments and hands it to a <c>foreach</c>.</summary>
    public T Rent()
    {
        var program = _idle.TryPop(out var p) ? p : create();
        program.Rent(this);
        return program;
    }

    internal void Return(T program) => _idle.Push(program);
}
