using TlbSim.Model.Mechanisms;
using TlbSim.Scenarios.Cli;
using TlbSim.Scenarios.Loading;
using TlbSim.Tests.Model.Mechanisms;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Is the debate tools' reuse of runs exact: does every design read no ranged mechanism input beyond those it
/// declares (so a run that differs only in one it does not read gives the same bytes), and does sensitivity
/// give byte-identical results with and without the reuse while saying how many runs it saved?
/// </summary>
public class RunReuseTests
{
    public static TheoryData<string> DesignNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Designs.Builtin.Names)
            data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(DesignNames))]
    public void A_design_s_runs_do_not_move_with_a_ranged_mechanism_input_it_does_not_declare_it_reads(string design)
    {
        var mechanism = Designs.Builtin.Create(design, new Dictionary<string, long>());
        var read = mechanism.ParamsRead;
        Assert.NotNull(read);
        var unread = SensitivityCommand.RangedInputs().Where(i => i.Path.StartsWith("mechanism.", StringComparison.Ordinal) && !read!.Contains(i.Path["mechanism.".Length..])).ToList();
        var spec = MechanismTests.Spec(design, 4, rate: 20_000, ms: 2) with { Design = () => Designs.Builtin.Create(design, new Dictionary<string, long>()), Check = false };
        string atDefaults = SequenceDesignTests.Fingerprint(spec);
        foreach (var input in unread)
        {
            foreach (var end in new[] { input.Low, input.High })
            {
                var moved = Assign(spec.MechanismParams, input.Path["mechanism.".Length..], end);
                Assert.True(atDefaults == SequenceDesignTests.Fingerprint(spec with { MechanismParams = moved }),
                    $"{design} does not declare {input.Path}, yet its run moves at {end}");
            }
        }
    }

    private static MechanismParams Assign(MechanismParams p, string key, string value)
    {
        var info = ParamReflection.Params(typeof(MechanismParams)).Single(x => x.Key == key);
        var copy = (MechanismParams)ParamReflection.CloneRecord(p);
        info.Property.SetValue(copy, ParamReflection.Convert(value, info.Type, out _));
        return copy;
    }

    [Fact]
    public void Sensitivity_with_reuse_writes_the_same_bytes_as_without_and_says_how_many_runs_it_saved()
    {
        string file = Path.Combine(ScenarioLoaderTests.RepoRoot(), "examples", "sensitivity.yaml");
        string Run(bool noReuse, out string console)
        {
            string dir = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-reuse").FullName, "out");
            var output = new StringWriter();
            int code = SensitivityCommand.Execute(new SensitivityOptions
            {
                File = file, Metric = "op_latency_p50_ns", Inputs = ["mechanism.wrpkru_cycles", "mechanism.write", "kernel.csd_per_target"],
                Sets = ["duration=3ms", "replications=2", "machine.cpus=8"], Out = dir, Jobs = 2, NoReuse = noReuse,
            }, output, new StringWriter());
            Assert.Equal(0, code);
            console = output.ToString();
            return File.ReadAllText(Path.Combine(dir, "sensitivity.csv"));
        }
        string with = Run(noReuse: false, out var said);
        string without = Run(noReuse: true, out _);
        Assert.Equal(without, with);
        // wrpkru_cycles is read by pku alone, write by most designs: the baseline and every other design reuse.
        var m = System.Text.RegularExpressions.Regex.Match(said, @"(\d+) of (\d+) runs reused");
        Assert.True(m.Success, said);
        Assert.True(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 10, said);
    }
}
