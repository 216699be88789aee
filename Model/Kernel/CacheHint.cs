using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace TlbSim.Model.Kernel;

/// <summary>
/// Software prefetch of the memory the engine is about to touch, so that the DRAM misses of the next events'
/// state overlap the current event's work instead of following it.
/// </summary>
/// <remarks>
/// With 100,000 processes the hold model's state (each process, its iterator and its timeout) is tens of
/// megabytes, far beyond the cache, and every event touches its own: without hints each event pays its misses
/// one after another (bench/README.md: about 0.3x a bare heap loop). A hint is only a hint: it never faults,
/// a stale or moved address costs nothing but the wasted load, and results cannot change.
/// A process's timeout is allocated right after the process, which is allocated right after its iterator
/// (<see cref="Process"/>'s constructor), so the lines of a timeout and the 256 bytes before it cover all three.
/// On processors without SSE the hints compile to nothing.
/// </remarks>
internal static class CacheHint
{
    private const int ProcessStateBefore = 256;
    private const int LineBytes = 64;

#pragma warning disable CS0649 // never written: stands for the first field of any object
    private sealed class FirstField { public byte Value; }
#pragma warning restore CS0649

    /// <summary>Hints the event <paramref name="e"/> and, for a process's own timeout, the process and its iterator allocated before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void EventAndOwner(Event e)
    {
        if (!Sse.IsSupported)
            return;
        byte* p = (byte*)Unsafe.AsPointer(ref Unsafe.As<FirstField>(e).Value);
        Sse.Prefetch0(p + LineBytes);
        for (int back = 0; back <= ProcessStateBefore; back += LineBytes)
            Sse.Prefetch0(p - back);
    }

    /// <summary>Hints the cache line holding <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Line<T>(ref T value)
    {
        if (Sse.IsSupported)
            Sse.Prefetch0(Unsafe.AsPointer(ref value));
    }
}
