using System.Runtime.CompilerServices;

namespace TlbSim.Model.Kernel;

/// <summary>
/// Later events while many are pending: a calendar queue (Brown 1988), a ring of buckets each one window of time
/// wide, each a list kept sorted by (time, order), where order is priority &lt;&lt; 56 | sequence.
/// </summary>
/// <remarks>
/// An event goes to bucket (time / width) mod buckets. The next event is found by walking the ring from the
/// current window, taking a bucket's first event only when it falls in the window being visited ("this year"),
/// and after a whole year of empty windows by a direct search of the buckets' first events. A push lands near
/// the end of a short sorted list and a pop takes the first entry of the current one: both O(1), where a heap
/// pays a sift of log4(n) levels, each a cache miss once the heap outgrows the cache.
/// The calendar's weakness is a width that does not match the spacing of events; Brown's rules keep it
/// matched: the ring doubles when it holds more than two events per bucket and halves below one per two, and
/// each resize sets the width to three times the mean spacing of the earliest 25 events (spacings over twice
/// the mean left out), rounded to a power of two picoseconds. A resize also happens, at the same size, when
/// walking and inserting cost more than 8 steps per pop over a stretch of max(4096, n) pops, so that a change
/// in the mix of delays re-derives the width (8 steps and 4096 pops are choices, not measurements: a well-matched
/// calendar takes one or two steps per pop, and a stretch that long keeps the re-derivation under one step per pop).
/// Nodes live in one pool with a free list and a shrunk ring keeps its arrays, so a queue that fills and
/// drains allocates only while it first grows.
/// Each bucket keeps its first event's time beside its list ends, so that finding the next window reads the
/// ring, which pops walk in order, and not the nodes, which lie wherever the pool put them. Above 4,096 pending events each pop also prefetches (<see cref="CacheHint"/>) the state of
/// the events the next pops will take, so that their cache misses overlap the current event's work; a
/// prefetch never changes what runs.
/// </remarks>
internal sealed class EventCalendar
{
    private const int MinBuckets = 16;
    private const int Sample = 25;
    private const int InitialShift = 20; // about 1 us until the first resize measures the spacing
    private const int StepsPerPop = 8;
    private const int MinStretch = 4096;
    // Hints pay only once the pending events' state outgrows the cache: 4,096 events of a few hundred bytes
    // each is about 1 MB, a core's L2. A choice, not a measurement: at 1,000 processes the hold model runs at
    // the floor without hints, and at 100,000 it runs about 16% faster with them (bench/README.md).
    private const int HintAbove = 4096;

    /// <summary>A pending event in a bucket's doubly linked list; nodes live in one pool, so a steady queue allocates nothing.</summary>
    private struct Node
    {
        public long Time;
        public long Order;
        public Event Event;
        public int Next;
        public int Prev;
    }

    private Node[] _nodes = new Node[64];
    private int _free = -1; // free nodes, linked by Next
    private int _used; // nodes ever taken from the pool's end
    /// <summary>
    /// A bucket's list ends and its first event's time: walking the ring for the next window, and deciding which
    /// events to prefetch, read only the ring, which a pop walks in order, and not the nodes, which lie wherever
    /// the pool put them.
    /// </summary>
    private struct Bucket
    {
        public int First; // earliest node, or -1
        public int Last; // latest node, or -1
        public long FirstTime; // the earliest node's time, when First >= 0
    }

    private Bucket[] _buckets;
    private int _mask;
    private int _shift; // the window is 1 << _shift picoseconds
    private int _cursor; // the bucket of the window being visited
    private long _windowEnd; // exclusive end of that window; no calendar event is earlier than its start
    private int _calendarCount;
    private long _steps; // walk and insertion steps since _stretchPops was reset
    private long _stretchPops;
    private int[] _gathered = new int[64];

    public EventCalendar()
    {
        _buckets = new Bucket[MinBuckets];
        Array.Fill(_buckets, Empty);
        _mask = MinBuckets - 1;
        _shift = InitialShift;
        _windowEnd = 1L << _shift;
    }

    private static readonly Bucket Empty = new() { First = -1, Last = -1 };

    public int Count => _calendarCount;

    public void Push(long time, long order, Event e)
    {
        int node = NewNode();
        ref var n = ref _nodes[node];
        n.Time = time;
        n.Order = order;
        n.Event = e;
        // A peek may have walked the cursor past the clock; an earlier event moves it back to its own window.
        if (time < _windowEnd - (1L << _shift))
            SeekWindow(time);
        Insert(node);
        if (++_calendarCount > 2 * (_mask + 1))
            Resize(2 * (_mask + 1));
    }

    /// <summary>The earliest event's time and order; the calendar must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Earliest(out long order)
    {
        ref var bucket = ref _buckets[EarliestBucket()];
        order = _nodes[bucket.First].Order;
        return bucket.FirstTime;
    }

    /// <summary>Removes the earliest event; the calendar must not be empty.</summary>
    public Event Pop(out long time, out long order)
    {
        int node = Unlink(EarliestBucket());
        ref var n = ref _nodes[node];
        time = n.Time;
        order = n.Order;
        var ev = n.Event;
        n.Event = null!;
        if (_calendarCount > HintAbove)
            HintNextPops();
        n.Next = _free;
        _free = node;
        if (_calendarCount < (_mask + 1) / 2 && _mask + 1 > MinBuckets)
            Resize((_mask + 1) / 2);
        else if (++_stretchPops >= Math.Max(MinStretch, _calendarCount))
            Review();
        return ev;
    }

    /// <summary>
    /// Prefetches what the next pops will read (<see cref="CacheHint"/>): the state of the events that are likely
    /// next, the current bucket's new first and the next bucket's first, and the node the pop after will look at
    /// in the bucket after that, so that a pop's misses overlap the work of the events before it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void HintNextPops()
    {
        long width = 1L << _shift;
        ref var current = ref _buckets[_cursor];
        if (current.First >= 0 && current.FirstTime < _windowEnd)
            CacheHint.EventAndOwner(_nodes[current.First].Event);
        ref var following = ref _buckets[(_cursor + 1) & _mask];
        if (following.First >= 0 && following.FirstTime < _windowEnd + width)
            CacheHint.EventAndOwner(_nodes[following.First].Event);
        ref var later = ref _buckets[(_cursor + 2) & _mask];
        if (later.First >= 0 && later.FirstTime < _windowEnd + 2 * width)
            CacheHint.Line(ref _nodes[later.First]);
    }

    private int NewNode()
    {
        if (_free >= 0)
        {
            int node = _free;
            _free = _nodes[node].Next;
            return node;
        }
        if (_used == _nodes.Length)
            Array.Resize(ref _nodes, _nodes.Length * 2);
        return _used++;
    }

    /// <summary>Unlinks and returns the first node of bucket <paramref name="b"/>.</summary>
    private int Unlink(int b)
    {
        ref var bucket = ref _buckets[b];
        int node = bucket.First;
        int next = _nodes[node].Next;
        bucket.First = next;
        if (next < 0)
        {
            bucket.Last = -1;
        }
        else
        {
            ref var n = ref _nodes[next];
            n.Prev = -1;
            bucket.FirstTime = n.Time;
        }
        _calendarCount--;
        return node;
    }

    /// <summary>Walks the cursor to the bucket holding the earliest calendar event and returns it; the calendar must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EarliestBucket()
    {
        ref var bucket = ref _buckets[_cursor];
        if (bucket.First >= 0 && bucket.FirstTime < _windowEnd)
            return _cursor;
        return Walk();
    }

    private int Walk()
    {
        long width = 1L << _shift;
        for (int visited = 0; visited <= _mask; visited++)
        {
            _cursor = (_cursor + 1) & _mask;
            _windowEnd += width;
            _steps++;
            ref var bucket = ref _buckets[_cursor];
            if (bucket.First >= 0 && bucket.FirstTime < _windowEnd)
                return _cursor;
        }
        // A whole year without an event in its window: the earliest is found directly.
        int best = -1;
        for (int b = 0; b <= _mask; b++)
        {
            int first = _buckets[b].First;
            if (first >= 0 && (best < 0 || Less(_nodes[first], _nodes[_buckets[best].First])))
                best = b;
        }
        _steps += _mask + 1;
        SeekWindow(_buckets[best].FirstTime);
        return best;
    }

    private void SeekWindow(long time)
    {
        _cursor = (int)(time >> _shift) & _mask;
        _windowEnd = ((time >> _shift) + 1) << _shift;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Less(in Node a, in Node b) => a.Time < b.Time || (a.Time == b.Time && a.Order < b.Order);

    /// <summary>Links <paramref name="node"/> into its bucket, in order; new events are usually the latest, so the search runs from the end.</summary>
    private void Insert(int node)
    {
        var nodes = _nodes;
        ref var n = ref nodes[node];
        ref var bucket = ref _buckets[(int)(n.Time >> _shift) & _mask];
        int after = bucket.Last;
        while (after >= 0 && Less(n, nodes[after]))
        {
            after = nodes[after].Prev;
            _steps++;
        }
        n.Prev = after;
        if (after < 0)
        {
            n.Next = bucket.First;
            bucket.First = node;
            bucket.FirstTime = n.Time;
        }
        else
        {
            n.Next = nodes[after].Next;
            nodes[after].Next = node;
        }
        if (n.Next < 0)
            bucket.Last = node;
        else
            nodes[n.Next].Prev = node;
    }

    /// <summary>At the end of a stretch of pops: re-derives the width when walking and inserting cost too much.</summary>
    private void Review()
    {
        if (_steps > StepsPerPop * _stretchPops && _calendarCount >= 2)
            Resize(_mask + 1);
        _steps = 0;
        _stretchPops = 0;
    }

    /// <summary>Rebuilds the calendar with <paramref name="buckets"/> buckets and a width measured on its earliest events.</summary>
    private void Resize(int buckets)
    {
        buckets = Math.Max(MinBuckets, buckets);
        int count = _calendarCount;
        long windowStart = _windowEnd - (1L << _shift);
        // Sized for the most the calendar can hold before its next resize, so a steady queue allocates once.
        if (_gathered.Length < Math.Max(count, 2 * buckets) + 1)
            _gathered = new int[Math.Max(count, 2 * buckets) + 1];
        // The earliest events, in order, for their spacing; the rest are gathered as they lie.
        int k = Math.Min(Sample, count);
        for (int j = 0; j < k; j++)
            _gathered[j] = Unlink(EarliestBucket());
        int gathered = k;
        long latest = k > 0 ? _nodes[_gathered[k - 1]].Time : 0;
        for (int b = 0; b <= _mask; b++)
        {
            for (int node = _buckets[b].First; node >= 0; node = _nodes[node].Next)
            {
                _gathered[gathered++] = node;
                latest = Math.Max(latest, _nodes[node].Time);
            }
        }
        _shift = WidthShift(k, latest, count);
        // A shrunk ring keeps its arrays and uses their start, so a queue that fills and drains allocates only while it first grows.
        if (buckets > _buckets.Length)
            _buckets = new Bucket[buckets];
        _mask = buckets - 1;
        Array.Fill(_buckets, Empty, 0, buckets);
        _calendarCount = count;
        SeekWindow(k > 0 ? _nodes[_gathered[0]].Time : windowStart);
        for (int i = 0; i < gathered; i++)
            Insert(_gathered[i]);
        _steps = 0;
        _stretchPops = 0;
    }

    /// <summary>log2 of three times the mean spacing of the sampled earliest events, spacings over twice the mean left out (Brown 1988).</summary>
    private int WidthShift(int k, long latest, int count)
    {
        double spacing = 0;
        if (k >= 2)
        {
            long first = _nodes[_gathered[0]].Time;
            double mean = (double)(_nodes[_gathered[k - 1]].Time - first) / (k - 1);
            double sum = 0;
            int used = 0;
            for (int j = 1; j < k; j++)
            {
                long d = _nodes[_gathered[j]].Time - _nodes[_gathered[j - 1]].Time;
                if (d <= 2 * mean)
                {
                    sum += d;
                    used++;
                }
            }
            spacing = used > 0 ? sum / used : mean;
        }
        // Ties at the front say nothing of the spacing: fall back to the spread of the whole queue.
        if (spacing <= 0 && k > 0 && count > 1)
            spacing = (double)(latest - _nodes[_gathered[0]].Time) / (count - 1);
        if (spacing <= 0)
            return _shift;
        int shift = (int)Math.Round(Math.Log2(3 * spacing));
        return Math.Clamp(shift, 0, 50);
    }
}
