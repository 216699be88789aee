using TlbSim.Model.Hardware;
using Xunit;

namespace TlbSim.Tests.Model.Hardware;

/// <summary>Are CPUs numbered and placed as Linux numbers them, and is every machine preset valid?</summary>
public class TopologyAndPresetTests
{
    [Fact]
    public void SMT_siblings_are_numbered_after_all_first_threads_as_Linux_enumerates_them()
    {
        var t = new Topology(new TopologyParams { Sockets = 2, CoresPerSocket = 4, ThreadsPerCore = 2 });
        Assert.Equal(16, t.Cpus);
        Assert.Equal(CpuDistance.SmtSibling, t.Distance(0, 8));
        Assert.Equal(CpuDistance.SameSocket, t.Distance(0, 3));
        Assert.Equal(CpuDistance.CrossSocket, t.Distance(0, 4));
        Assert.Equal(CpuDistance.CrossSocket, t.Distance(3, 12));
        Assert.Equal(CpuDistance.Self, t.Distance(5, 5));
        Assert.Equal(1, t.SocketOf(13));
    }

    [Fact]
    public void Every_machine_preset_is_valid_and_has_a_source()
    {
        foreach (var (name, preset) in MachinePresets.All)
        {
            Assert.Empty(preset.Validate(name));
            Assert.False(string.IsNullOrWhiteSpace(MachinePresets.Sources[name]));
        }
        Assert.Equal(4, MachinePresets.IvyBridgeDesktop.Topology.Cpus);
        Assert.Equal(112, MachinePresets.SkylakeSp2s.Topology.Cpus);
        Assert.Equal(160, MachinePresets.IceLakeSp2s.Topology.Cpus);
        Assert.Equal(128, MachinePresets.MilanServer.Topology.Cpus);
    }

    [Fact]
    public void Bad_geometry_is_reported_with_its_key_path()
    {
        var bad = new MachineParams { Tlb = new TlbParams { StlbEntries = 1000, StlbWays = 12 }, Topology = new TopologyParams { Sockets = 0 } };
        var errors = bad.Validate("machine").ToList();
        Assert.Contains(errors, e => e.StartsWith("machine.tlb.stlb_ways: must divide stlb_entries", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("machine.topology.sockets: must be at least 1 (was 0)", StringComparison.Ordinal));
    }
}
