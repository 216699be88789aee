using System.Text;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Running;

/// <summary>
/// resolved.yaml: every scenario with every parameter written out (no presets, no defaults left implicit)
/// and its sweep, so the run can be reproduced from its own folder with <c>tlbsim run resolved.yaml</c>.
/// </summary>
public static class ResolvedYaml
{
    /// <summary>The resolved file for the scenarios of <paramref name="file"/> that were run.</summary>
    public static string Write(ScenarioFile file, IReadOnlyCollection<string>? only, long? seed, int? replications)
    {
        ArgumentNullException.ThrowIfNull(file);
        var sb = new StringBuilder();
        sb.Append("# Resolved by tlbsim from ").Append(Path.GetFileName(file.Path)).Append(": every parameter as run.\n");
        if (file.DesignsSource is { } designs)
            sb.Append("designs: ").Append(FlowNode(designs)).Append('\n');
        sb.Append("scenarios:\n");
        foreach (var s in file.Scenarios.Where(s => only is not { Count: > 0 } || only.Contains(s.Name)))
        {
            var settings = s.Points[0].Settings;
            if (seed is not null)
                settings = settings with { Seed = seed.Value };
            if (replications is not null)
                settings = settings with { Replications = replications.Value };
            sb.Append("  - name: ").Append(s.Name).Append('\n');
            if (SweepsDerivedSettings(s) && s.Source is { } source)
            {
                // The sweep changes a preset or the CPU count over a swept topology: explicit values from one point
                // would pin what the sweep must vary, so the settings are written as given (presets kept).
                sb.Append("    # settings as written: this scenario sweeps a preset or sizes a swept topology\n");
                Node(sb, source, 4, seed, replications);
            }
            else
            {
                Record(sb, settings, 4);
            }
            if (s.Axes.Count > 0)
            {
                sb.Append("    sweep:\n");
                foreach (var axis in s.Axes)
                    sb.Append("      ").Append(axis.Path).Append(": [").Append(string.Join(", ", axis.Values.Select(Quote))).Append("]\n");
            }
        }
        return sb.ToString();
    }

    private static bool SweepsDerivedSettings(Scenario s) =>
        s.Axes.Any(a => a.Path.EndsWith(".preset", StringComparison.Ordinal))
        || (s.Axes.Any(a => a.Path.StartsWith("machine.topology.", StringComparison.Ordinal)) && s.Points[0].Settings.Machine.Topology.Cpus > 0
            && (s.Source?.Get("machine")?.Get("cpus") is not null || s.Axes.Any(a => a.Path == "machine.cpus")));

    private static void Node(StringBuilder sb, SettingNode node, int indent, long? seed, int? replications)
    {
        string pad = new(' ', indent);
        foreach (var (key, value) in node.Map ?? [])
        {
            string text = key switch
            {
                "seed" when indent == 4 && seed is not null => seed.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "replications" when indent == 4 && replications is not null => replications.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => value.Scalar ?? "",
            };
            if (value.Map is not null)
            {
                sb.Append(pad).Append(key).Append(":\n");
                Node(sb, value, indent + 2, null, null);
            }
            else if (value.Sequence is not null)
            {
                sb.Append(pad).Append(key).Append(":\n");
                foreach (var item in value.Sequence)
                {
                    if (item.Map is not null)
                    {
                        sb.Append(pad).Append("  - ").Append(FlowNode(item)).Append('\n');
                    }
                    else
                    {
                        sb.Append(pad).Append("  - ").Append(Quote(item.Scalar ?? "")).Append('\n');
                    }
                }
            }
            else
            {
                sb.Append(pad).Append(key).Append(": ").Append(Quote(text)).Append('\n');
            }
        }
        if (indent == 4)
        {
            if (seed is not null && node.Get("seed") is null)
                sb.Append(pad).Append("seed: ").Append(seed.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            if (replications is not null && node.Get("replications") is null)
                sb.Append(pad).Append("replications: ").Append(replications.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static void Record(StringBuilder sb, object record, int indent)
    {
        string pad = new(' ', indent);
        foreach (var p in ParamReflection.Params(record.GetType()))
        {
            var value = p.Property.GetValue(record);
            if (p.IsSection)
            {
                sb.Append(pad).Append(p.Key).Append(":\n");
                Record(sb, value!, indent + 2);
            }
            else if (p.IsRecordList)
            {
                sb.Append(pad).Append(p.Key).Append(":\n");
                foreach (var item in (System.Collections.IEnumerable)value!)
                {
                    sb.Append(pad).Append("  - ").Append(FlowRecord(item)).Append('\n');
                }
            }
            else if (value is IReadOnlyList<MechanismChoice> choices)
            {
                sb.Append(pad).Append(p.Key).Append(": [").Append(string.Join(", ", choices.Select(Choice))).Append("]\n");
            }
            else if (value is IReadOnlyList<string> list)
            {
                sb.Append(pad).Append(p.Key).Append(": [").Append(string.Join(", ", list.Select(Quote))).Append("]\n");
            }
            else
            {
                sb.Append(pad).Append(p.Key).Append(": ").Append(Quote(ParamReflection.Format(value))).Append('\n');
            }
        }
    }

    /// <summary>A record as one flow mapping, nested sections as nested mappings.</summary>
    private static string FlowRecord(object record) =>
        "{" + string.Join(", ", ParamReflection.Params(record.GetType()).Select(f =>
        {
            var value = f.Property.GetValue(record);
            return $"{f.Key}: {(f.IsSection ? FlowRecord(value!) : Quote(ParamReflection.Format(value)))}";
        })) + "}";

    /// <summary>A node in flow style: mappings and lists nested as written.</summary>
    private static string FlowNode(SettingNode node) =>
        node.Map is not null ? "{" + string.Join(", ", node.Map.Select(kv => $"{Quote(kv.Key)}: {FlowNode(kv.Value)}")) + "}"
        : node.Sequence is not null ? "[" + string.Join(", ", node.Sequence.Select(FlowNode)) + "]"
        : Quote(node.Scalar ?? "");

    /// <summary>A mechanisms entry: its name, or {name, label, options} when it has options.</summary>
    private static string Choice(MechanismChoice c) =>
        c.Options.Count == 0 && c.Label == c.Design ? Quote(c.Label)
        : "{" + string.Join(", ", new[] { $"name: {Quote(c.Design)}", $"label: {Quote(c.Label)}" }.Concat(c.Options.Select(o => $"{Quote(o.Key)}: {Quote(o.Value)}"))) + "}";

    private static string Quote(string s)
    {
        if (s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or 'µ'))
            return s;
        return "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";
    }
}
