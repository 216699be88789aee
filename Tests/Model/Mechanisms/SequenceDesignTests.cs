using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TlbSim.Model.Hardware;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;
using Xunit;

namespace TlbSim.Tests.Model.Mechanisms;

/// <summary>
/// Do the built-in designs written as sequences (Scenarios/Designs/designs.yaml) run exactly as the C#
/// classes they replaced? Each case's fingerprint (every operation's kind and latency in order, and the
/// whole run outcome) was recorded from the C# class into Golden/sequence-designs.txt while both existed
/// and were compared side by side; the sequences must still give the same bytes.
/// </summary>
public class SequenceDesignTests
{
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Model", "Mechanisms", "Golden", "sequence-designs.txt");

    /// <summary>Each rewritten design under the options its sequence branches on.</summary>
    public static IEnumerable<(string Case, string Design, MechanismParams Options, int Initiators)> Cases()
    {
        var p = new MechanismParams();
        yield return ("baseline", "baseline", p, 1);
        yield return ("rare_alloc", "rare_alloc", p, 1);
        yield return ("rare_alloc pages=3", "rare_alloc", p with { RareAllocPages = 3 }, 2);
        yield return ("rare_modify", "rare_modify", p, 1);
        yield return ("vmap_alias lazy", "vmap_alias", p, 2);
        yield return ("vmap_alias eager", "vmap_alias", p with { AliasFlush = AliasFlush.Eager }, 2);
        yield return ("prlist per_field", "prlist", p, 1);
        yield return ("prlist per_node eager", "prlist", p with { PrlistGrouping = PrlistGrouping.PerNode, AliasFlush = AliasFlush.Eager }, 1);
        yield return ("temporary_mm", "temporary_mm", p, 4);
        yield return ("temporary_mm bytes=256", "temporary_mm", p with { TemporaryMmBytes = 256 }, 4);
        yield return ("pku tag_every=4", "pku", p with { PkuTagEvery = 4 }, 2);
        yield return ("pks tag_every=4", "pks", p with { PksTagEvery = 4 }, 2);
        yield return ("pks grouped", "pks", p with { PksTagEvery = 4, PksGroupTagged = true }, 2);
        yield return ("droppable", "droppable", p, 1);
    }

    private static RunSpec Spec(string design, MechanismParams options, int initiators) =>
        MechanismTests.Spec(design, 8, options, rate: 20_000, ms: 3) with
        {
            Machine = new MachineParams { Topology = new TopologyParams { Sockets = 2, CoresPerSocket = 2, ThreadsPerCore = 2 }, Memory = TlbSim.Model.Units.ByteSize.FromGiB(16) },
            Operations = new OperationParams { Rate = 20_000, Initiators = initiators },
            Check = false,
        };

    /// <summary>Every operation's kind and latency in order, hashed, with the outcome as JSON.</summary>
    internal static string Fingerprint(RunSpec spec)
    {
        var (outcome, recorder) = MechanismTests.Run(spec);
        var sb = new StringBuilder();
        for (int i = 0; i < recorder.Latencies.Count; i++)
            sb.Append(recorder.Kinds[i]).Append(':').Append(recorder.Latencies[i].Picoseconds).Append('\n');
        string ops = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..16];
        string run = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(outcome))))[..16];
        return string.Create(CultureInfo.InvariantCulture, $"{recorder.Latencies.Count} ops {ops} run {run}");
    }

    [Fact]
    public void Every_design_rewritten_as_a_sequence_gives_the_bytes_its_C_sharp_class_gave()
    {
        var golden = File.ReadAllLines(GoldenPath).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf(" = ", StringComparison.Ordinal)], l => l[(l.IndexOf(" = ", StringComparison.Ordinal) + 3)..]);
        var lines = new List<string>();
        foreach (var (name, design, options, initiators) in Cases())
        {
            var sequence = Spec(design, options, initiators) with { Design = () => Designs.Builtin.Create(design) };
            Assert.IsType<TlbSim.Model.Mechanisms.Sequences.SequenceMechanism>(sequence.CreateMechanism());
            string got = Fingerprint(sequence);
            lines.Add($"{name} = {got}");
            Assert.True(int.Parse(got[..got.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture) > 5, $"{name}: too few operations to compare ({got})");
            if (!Update)
                Assert.Equal(golden[name], got);
        }
        if (Update)
            File.WriteAllLines(GoldenPath, [.. File.ReadAllLines(GoldenPath).Where(l => l.StartsWith('#')), .. lines]);
    }

    // After an intended model change the fingerprints move for the sequences and the classes alike; the
    // classes are gone, so the file is re-recorded from the sequences (TLBSIM_UPDATE_GOLDEN=1) and the diff
    // reviewed with the change.
    private static bool Update => Environment.GetEnvironmentVariable("TLBSIM_UPDATE_GOLDEN") == "1";
}

