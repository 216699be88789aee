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
        sb.Append("scenarios:\n");
        foreach (var s in file.Scenarios.Where(s => only is not { Count: > 0 } || only.Contains(s.Name)))
        {
            var settings = s.Points[0].Settings;
            if (seed is not null)
                settings = settings with { Seed = seed.Value };
            if (replications is not null)
                settings = settings with { Replications = replications.Value };
            sb.Append("  - name: ").Append(s.Name).Append('\n');
            Record(sb, settings, 4);
            if (s.Axes.Count > 0)
            {
                sb.Append("    sweep:\n");
                foreach (var axis in s.Axes)
                    sb.Append("      ").Append(axis.Path).Append(": [").Append(string.Join(", ", axis.Values.Select(Quote))).Append("]\n");
            }
        }
        return sb.ToString();
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
                    var fields = ParamReflection.Params(item.GetType()).Select(f => $"{f.Key}: {Quote(ParamReflection.Format(f.Property.GetValue(item)))}");
                    sb.Append(pad).Append("  - {").Append(string.Join(", ", fields)).Append("}\n");
                }
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

    private static string Quote(string s)
    {
        if (s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or 'µ'))
            return s;
        return "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";
    }
}
