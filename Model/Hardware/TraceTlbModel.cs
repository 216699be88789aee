using TlbSim.Model.Memory;

namespace TlbSim.Model.Hardware;

/// <summary>
/// The validation TLB model: real set-associative LRU structures (L1 dTLB per page size, the STLB, the
/// 1G second level) driven by a sampled address stream drawn from the unit classes. Set index is the low
/// bits of the virtual page number, as on Intel's L1 and STLB. After a warm-up it measures hit rates per
/// class; then it replays one more stretch of the stream on a flushed and an unflushed copy and counts the
/// extra walks per class, which is what a flush costs. Deterministic for a given seed.
/// </summary>
public sealed class TraceTlbModel(int accesses = 400_000, int seed = 1) : ITlbModel
{
    /// <inheritdoc />
    public string Name => "trace";

    /// <inheritdoc />
    public TlbOutcome Evaluate(TlbParams tlb, IReadOnlyList<UnitClass> classes)
    {
        ArgumentNullException.ThrowIfNull(tlb);
        ArgumentNullException.ThrowIfNull(classes);
        int n = classes.Count;
        var rng = new System.Random(seed);
        // Each class gets a contiguous range of virtual page numbers in its page size's numbering.
        var firstVpn = new long[n];
        var nextVpn = new long[3];
        for (int k = 0; k < n; k++)
        {
            firstVpn[k] = nextVpn[(int)classes[k].Size];
            nextVpn[(int)classes[k].Size] += classes[k].Count;
        }
        var weights = classes.Select(c => c.Count * c.Rate).ToArray();
        double total = weights.Sum();
        var cumulative = new double[n];
        double run = 0;
        for (int k = 0; k < n; k++)
        {
            run += weights[k] / total;
            cumulative[k] = run;
        }
        (int Class, PageSize Size, long Vpn) Next()
        {
            double u = rng.NextDouble();
            int k = Array.BinarySearch(cumulative, u);
            k = k < 0 ? Math.Min(~k, n - 1) : k;
            return (k, classes[k].Size, firstVpn[k] + (long)(rng.NextDouble() * classes[k].Count));
        }

        var machine = new Tlbs(tlb);
        int warm = accesses / 2;
        for (int i = 0; i < warm; i++)
        {
            var (_, size, vpn) = Next();
            machine.Access(size, vpn);
        }
        var l1Hits = new long[n];
        var secondHits = new long[n];
        var l1Misses = new long[n];
        var seen = new long[n];
        for (int i = 0; i < accesses - warm; i++)
        {
            var (k, size, vpn) = Next();
            seen[k]++;
            switch (machine.Access(size, vpn))
            {
                case Level.L1:
                    l1Hits[k]++;
                    break;
                case Level.Second:
                    l1Misses[k]++;
                    secondHits[k]++;
                    break;
                default:
                    l1Misses[k]++;
                    break;
            }
        }

        // Refill cost: the same stream on a flushed copy and on the untouched machine.
        var flushed = machine.Clone();
        flushed.FlushAll();
        var extraWalks = new long[n];
        for (int i = 0; i < accesses - warm; i++)
        {
            var (k, size, vpn) = Next();
            bool walkedFlushed = flushed.Access(size, vpn) == Level.Walk;
            bool walked = machine.Access(size, vpn) == Level.Walk;
            if (walkedFlushed && !walked)
                extraWalks[k]++;
            else if (walked && !walkedFlushed)
                extraWalks[k]--;
        }

        var h1 = new double[n];
        var h2 = new double[n];
        var live = new double[n];
        for (int k = 0; k < n; k++)
        {
            h1[k] = seen[k] > 0 ? (double)l1Hits[k] / seen[k] : 0;
            h2[k] = l1Misses[k] > 0 ? (double)secondHits[k] / l1Misses[k] : 0;
            live[k] = classes[k].Count > 0 ? Math.Clamp((double)extraWalks[k] / classes[k].Count, 0, 1) : 0;
        }
        return new TlbOutcome(classes, h1, h2, live);
    }

    private enum Level { L1, Second, Walk }

    /// <summary>One CPU's TLB structures.</summary>
    private sealed class Tlbs
    {
        private readonly TlbParams _p;
        private readonly SetAssociativeLru?[] _l1 = new SetAssociativeLru?[3];
        private readonly SetAssociativeLru?[] _second = new SetAssociativeLru?[2];

        public Tlbs(TlbParams p)
        {
            _p = p;
            foreach (var s in new[] { PageSize.Size4K, PageSize.Size2M, PageSize.Size1G })
            {
                var (e, w) = TlbLevels.L1(p, s);
                _l1[(int)s] = e > 0 ? new SetAssociativeLru(e, w) : null;
            }
            for (int i = 0; i < 2; i++)
            {
                var (e, w) = TlbLevels.SecondGeometry(p, i);
                _second[i] = e > 0 ? new SetAssociativeLru(e, w) : null;
            }
        }

        private Tlbs(Tlbs other)
        {
            _p = other._p;
            for (int i = 0; i < 3; i++)
                _l1[i] = other._l1[i]?.Clone();
            for (int i = 0; i < 2; i++)
                _second[i] = other._second[i]?.Clone();
        }

        public Tlbs Clone() => new(this);

        public void FlushAll()
        {
            foreach (var t in _l1)
                t?.Clear();
            foreach (var t in _second)
                t?.Clear();
        }

        public Level Access(PageSize size, long vpn)
        {
            // Tag the page size into the key so 4K and 2M entries in the shared STLB never alias.
            long key = (vpn << 2) | (long)size;
            var l1 = _l1[(int)size];
            if (l1 is not null && l1.Touch(vpn, key))
                return Level.L1;
            int structure = TlbLevels.Second(_p, size);
            var second = structure >= 0 ? _second[structure] : null;
            if (second is not null && second.Touch(vpn, key))
                return Level.Second;
            return Level.Walk;
        }
    }
}

/// <summary>A set-associative cache of keys with true LRU replacement in each set.</summary>
internal sealed class SetAssociativeLru
{
    private readonly int _sets;
    private readonly int _ways;
    private readonly long[] _keys;
    private readonly long[] _stamps;
    private long _clock;

    public SetAssociativeLru(int entries, int ways)
    {
        _ways = Math.Min(ways, entries);
        _sets = Math.Max(1, entries / _ways);
        _keys = new long[_sets * _ways];
        _stamps = new long[_sets * _ways];
        Clear();
    }

    private SetAssociativeLru(SetAssociativeLru o)
    {
        _sets = o._sets;
        _ways = o._ways;
        _keys = (long[])o._keys.Clone();
        _stamps = (long[])o._stamps.Clone();
        _clock = o._clock;
    }

    public SetAssociativeLru Clone() => new(this);

    public void Clear()
    {
        Array.Fill(_keys, -1L);
        Array.Fill(_stamps, 0L);
    }

    /// <summary>Looks <paramref name="key"/> up in the set chosen by <paramref name="index"/>; on a miss, fills it over the least recently used way. Returns whether it hit.</summary>
    public bool Touch(long index, long key)
    {
        int set = (int)(index % _sets);
        int start = set * _ways;
        int victim = start;
        _clock++;
        for (int i = start; i < start + _ways; i++)
        {
            if (_keys[i] == key)
            {
                _stamps[i] = _clock;
                return true;
            }
            if (_stamps[i] < _stamps[victim])
                victim = i;
        }
        _keys[victim] = key;
        _stamps[victim] = _clock;
        return false;
    }
}
