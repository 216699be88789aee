using System.Globalization;
using TlbSim.Model.Hardware;
using TlbSim.Model.Parameters;
using TlbSim.Model.Units;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TlbSim.Scenarios.Loading;

/// <summary>One swept parameter and its values.</summary>
public sealed record SweepAxis(string Path, IReadOnlyList<string> Values);

/// <summary>One point of a scenario's sweep: the assignments that make it, and the settings they give.</summary>
public sealed record SweepPoint(int Index, IReadOnlyList<KeyValuePair<string, string>> Assignments, ScenarioSettings Settings);

/// <summary>A named scenario: its sweep axes and every point of their cross product.</summary>
public sealed record Scenario(string Name, IReadOnlyList<SweepAxis> Axes, IReadOnlyList<SweepPoint> Points)
{
    /// <summary>The scenario's settings as written (defaults and --set merged in, presets not yet applied).</summary>
    public SettingNode? Source { get; init; }
}

/// <summary>A loaded scenario file.</summary>
public sealed record ScenarioFile(string Path, IReadOnlyList<Scenario> Scenarios)
{
    /// <summary>The file's own designs as written (for resolved.yaml), or null.</summary>
    public SettingNode? DesignsSource { get; init; }

    /// <summary>The designs the file can name: the built-in ones and its own.</summary>
    public Designs Designs { get; init; } = Designs.Builtin;
}

/// <summary>
/// Loads scenario files strictly: every error (syntax, unknown key, wrong type, bad unit, out-of-range
/// value, empty sweep, unknown preset or mechanism) is collected with file, line, column and key path, and
/// all of them are reported at once.
/// </summary>
public static class ScenarioLoader
{
    private static readonly string[] TopKeys = ["defaults", "presets", "designs", "scenarios"];
    private const int MaxPoints = 100_000;

    /// <summary>Reads and loads <paramref name="path"/>, applying --set overrides to every scenario.</summary>
    /// <exception cref="ScenarioException">Anything is wrong; the exception lists every error.</exception>
    public static ScenarioFile Load(string path, IReadOnlyList<string>? sets = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(ReadBounded(path), path, sets);
    }

    // Reads at most MaxFileBytes: a huge file, or /dev/zero, must not be read forever.
    private static string ReadBounded(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            var buffer = new char[MaxFileBytes + 1];
            int read = 0, n;
            while (read < buffer.Length && (n = reader.Read(buffer, read, buffer.Length - read)) > 0)
                read += n;
            if (read > MaxFileBytes)
                throw new ScenarioException([new ScenarioError(new SourceLocation(path, 0, 0), "", $"more than {MaxFileBytes:N0} characters; a scenario file may have at most that (is it a scenario file?)")]);
            return new string(buffer, 0, read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ScenarioException([new ScenarioError(new SourceLocation(path, 0, 0), "", $"cannot read the file: {e.Message}")]);
        }
    }

    /// <summary>Reads a YAML file (bounded in size and depth) into settings nodes located in it.</summary>
    /// <exception cref="ScenarioException">The file cannot be read or is not YAML.</exception>
    public static SettingNode ReadYamlFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ParseYaml(ReadBounded(path), path);
    }

    private static SettingNode ParseYaml(string text, string file)
    {
        SettingNode root;
        try
        {
            CheckDepth(text, file);
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            if (yaml.Documents.Count == 0)
                throw new ScenarioException([new ScenarioError(new SourceLocation(file, 1, 1), "", "the file is empty; expected a 'scenarios' list")]);
            root = SettingNode.FromYaml(yaml.Documents[0].RootNode, file);
        }
        catch (ScenarioException)
        {
            throw;
        }
        catch (Exception e) when (e is ArgumentException || e is InvalidOperationException || e is InvalidCastException || e is FormatException || e is OverflowException)
        {
            throw new ScenarioException([new ScenarioError(new SourceLocation(file, 1, 1), "", $"the file is not a usable YAML document: {e.Message}")]);
        }
        catch (YamlException e)
        {
            var at = new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column);
            string message = e.InnerException?.Message ?? e.Message;
            int paren = message.IndexOf("): ", StringComparison.Ordinal);
            throw new ScenarioException([new ScenarioError(at, "", $"YAML syntax error: {(paren > 0 ? message[(paren + 3)..] : message)}")]);
        }
        return root;
    }

    /// <summary>Largest scenario file read.</summary>
    public const int MaxFileBytes = 10 * 1024 * 1024;

    /// <summary>Deepest nesting of YAML collections accepted (parsing deeper would exhaust the stack).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Walks the YAML events without building nodes (iteratively, so no input can exhaust the stack) and
    /// rejects collections nested deeper than <see cref="MaxDepth"/>.
    /// </summary>
    private static void CheckDepth(string text, string file)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        int depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart:
                    if (++depth > MaxDepth)
                    {
                        var at = parser.Current!.Start;
                        throw new ScenarioException([new ScenarioError(new SourceLocation(file, (int)at.Line, (int)at.Column), "", $"collections nested more than {MaxDepth} deep; tlbsim stops there")]);
                    }
                    break;
                case YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd:
                    depth--;
                    break;
            }
        }
    }

    /// <summary>Loads scenario text; <paramref name="file"/> names it in messages.</summary>
    /// <exception cref="ScenarioException">Anything is wrong; the exception lists every error.</exception>
    public static ScenarioFile Parse(string text, string file, IReadOnlyList<string>? sets = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var errors = new List<ScenarioError>();
        SettingNode root = ParseYaml(text, file);
        if (root.Map is null)
            throw new ScenarioException([new ScenarioError(root.Location, "", "expected a mapping with a 'scenarios' list at the top")]);
        foreach (var (key, node) in root.Map)
        {
            if (!TopKeys.Contains(key))
                errors.Add(new ScenarioError(node.KeyLocation, key, $"unknown key '{key}'{Suggest.DidYouMean(key, TopKeys)}; a scenario file has {string.Join(", ", TopKeys)}"));
        }
        var presets = ReadPresets(root.Get("presets"), errors);
        var designsNode = root.Get("designs");
        var designs = Designs.Builtin.With(DesignLoader.Read(designsNode, "designs", Designs.Builtin.Contains, errors));
        var defaults = root.Get("defaults") ?? SettingNode.EmptyMap(root.Location);
        if (defaults.Map is null)
        {
            errors.Add(new ScenarioError(defaults.Location, "defaults", "expected a mapping of scenario settings"));
            defaults = SettingNode.EmptyMap(defaults.Location);
        }
        foreach (var reserved in new[] { "name", "sweep" })
        {
            if (defaults.Get(reserved) is { } bad)
                errors.Add(new ScenarioError(bad.KeyLocation, $"defaults.{reserved}", $"'{reserved}' belongs to each scenario, not to defaults"));
        }
        var overrides = ParseSets(sets ?? [], errors);
        var scenarios = new List<Scenario>();
        var list = root.Get("scenarios");
        if (list?.Sequence is null)
        {
            errors.Add(new ScenarioError(list?.Location ?? root.Location, "scenarios", "expected a list of scenarios"));
        }
        else
        {
            if (list.Sequence.Count == 0)
                errors.Add(new ScenarioError(list.Location, "scenarios", "the list is empty; nothing to run"));
            var names = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            for (int i = 0; i < list.Sequence.Count; i++)
            {
                var s = LoadScenario(list.Sequence[i], $"scenarios[{i}]", defaults, overrides, presets, designs, names, errors);
                if (s is not null)
                    scenarios.Add(s);
            }
        }
        var distinct = errors.Distinct().OrderBy(e => e.Location.Line == 0 ? int.MaxValue : e.Location.Line).ThenBy(e => e.Location.Column).ToList();
        if (distinct.Count > 0)
            throw new ScenarioException(distinct);
        return new ScenarioFile(file, scenarios) { DesignsSource = designsNode, Designs = designs };
    }

    private static Scenario? LoadScenario(SettingNode node, string path, SettingNode defaults, IReadOnlyList<(string Path, SettingNode Value)> overrides,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, SettingNode>> presets, Designs designs, Dictionary<string, SourceLocation> names, List<ScenarioError> errors)
    {
        if (node.Map is null)
        {
            errors.Add(new ScenarioError(node.Location, path, "expected a mapping with at least a 'name'"));
            return null;
        }
        var work = node.Clone();
        var nameNode = work.Take("name");
        string name = nameNode?.Scalar?.Trim() ?? "";
        if (nameNode is null || name.Length == 0)
        {
            errors.Add(new ScenarioError(node.Location, $"{path}.name", "every scenario needs a name"));
            name = path;
        }
        else if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            errors.Add(new ScenarioError(nameNode.Location, $"{path}.name", $"'{name}' may hold only letters, digits, '_' and '-' (it names result folders and CSV rows)"));
        }
        else if (names.TryGetValue(name, out var first))
        {
            errors.Add(new ScenarioError(nameNode.Location, $"{path}.name", $"duplicate scenario name '{name}' (first at {first})"));
        }
        else
        {
            names[name] = nameNode.Location;
        }
        var sweepNode = work.Take("sweep");
        var merged = defaults.Clone();
        merged.Merge(work);
        foreach (var (p, v) in overrides)
        {
            if (merged.SetPath(p, v) is { } blocked)
                errors.Add(new ScenarioError(v.Location, p, $"'{blocked}' holds a single value here, so '{p}' cannot be set; write {blocked} as a mapping"));
        }
        // --set on a swept key pins it: that axis is dropped, so "--set machine.cpus=8" runs at 8 CPUs only.
        var axes = ReadAxes(sweepNode, $"{path}.sweep", errors).Where(a => !overrides.Any(o => o.Path == a.Path)).ToList();
        long count = axes.Aggregate(1L, (n, a) => Math.Min((long)MaxPoints + 1, n * Math.Max(1, a.Values.Count)));
        if (count > MaxPoints)
        {
            errors.Add(new ScenarioError(sweepNode!.Location, $"{path}.sweep", $"{count} sweep points; at most {MaxPoints}"));
            return null;
        }
        var points = new List<SweepPoint>();
        foreach (var assignment in CrossProduct(axes))
        {
            var pointNode = merged.Clone();
            foreach (var (axisPath, value, at) in assignment)
            {
                if (pointNode.SetPath(axisPath, SettingNode.FromScalar(value, at)) is { } blocked)
                    errors.Add(new ScenarioError(at, axisPath, $"'{blocked}' holds a single value in this scenario, so '{axisPath}' cannot be swept; write {blocked} as a mapping"));
            }
            var binder = new Binder(errors, presets, designs);
            var settings = binder.BindScenario(pointNode, path);
            points.Add(new SweepPoint(points.Count, assignment.Select(a => new KeyValuePair<string, string>(a.Path, a.Value)).ToArray(), settings));
        }
        return new Scenario(name, axes.Select(a => new SweepAxis(a.Path, a.Values.Select(v => v.Text).ToArray())).ToArray(), points) { Source = merged };
    }

    private sealed record Axis(string Path, IReadOnlyList<(string Text, SourceLocation At)> Values);

    private static List<Axis> ReadAxes(SettingNode? sweep, string path, List<ScenarioError> errors)
    {
        var axes = new List<Axis>();
        if (sweep is null)
            return axes;
        if (sweep.Map is null)
        {
            errors.Add(new ScenarioError(sweep.Location, path, "expected a mapping from parameter paths to lists or ranges"));
            return axes;
        }
        foreach (var (key, values) in sweep.Map)
        {
            string axisPath = $"{path}.{key}";
            var type = ResolveType(key);
            if (type is null)
            {
                errors.Add(new ScenarioError(values.KeyLocation, axisPath, $"unknown parameter '{key}'{Suggest.DidYouMean(key, AllPaths())}"));
                continue;
            }
            if (values.Sequence is not null)
            {
                if (values.Sequence.Count == 0)
                {
                    errors.Add(new ScenarioError(values.Location, axisPath, "empty sweep: give at least one value"));
                    continue;
                }
                if (values.Sequence.Any(v => v.Scalar is null))
                {
                    errors.Add(new ScenarioError(values.Location, axisPath, "sweep values must be single values"));
                    continue;
                }
                axes.Add(new Axis(key, values.Sequence.Select(v => (v.Scalar!.Trim(), v.Location)).ToArray()));
            }
            else if (values.Map is not null)
            {
                var range = ExpandRange(values, type, axisPath, errors);
                if (range is not null)
                    axes.Add(new Axis(key, range));
            }
            else
            {
                axes.Add(new Axis(key, [(values.Scalar!.Trim(), values.Location)]));
            }
        }
        return axes;
    }

    /// <summary>{from, to, step} (arithmetic) or {from, to, factor} (geometric), inclusive of 'to' when it is hit.</summary>
    private static List<(string, SourceLocation)>? ExpandRange(SettingNode range, Type type, string path, List<ScenarioError> errors)
    {
        foreach (var (k, v) in range.Map!)
        {
            if (k is not ("from" or "to" or "step" or "factor"))
                errors.Add(new ScenarioError(v.KeyLocation, $"{path}.{k}", $"unknown range key '{k}'{Suggest.DidYouMean(k, ["from", "to", "step", "factor"])}; a range has from, to and step or factor"));
        }
        var from = range.Get("from");
        var to = range.Get("to");
        var step = range.Get("step");
        var factor = range.Get("factor");
        if (from is null || to is null || (step is null) == (factor is null))
        {
            errors.Add(new ScenarioError(range.Location, path, "a range needs from, to, and exactly one of step or factor"));
            return null;
        }
        double? Number(SettingNode n, string key)
        {
            var parsed = ToNumber(n.Scalar ?? "", key is "factor" ? typeof(double) : type, out var error);
            if (error is not null)
                errors.Add(new ScenarioError(n.Location, $"{path}.{key}", error));
            return parsed;
        }
        var a = Number(from, "from");
        var b = Number(to, "to");
        var s = Number(step ?? factor!, step is not null ? "step" : "factor");
        if (a is null || b is null || s is null)
            return null;
        if (step is not null ? s <= 0 : s <= 1)
        {
            errors.Add(new ScenarioError((step ?? factor)!.Location, path, step is not null ? "step must be greater than zero" : "factor must be greater than 1"));
            return null;
        }
        if (b < a)
        {
            errors.Add(new ScenarioError(to.Location, $"{path}.to", "empty sweep: 'to' is below 'from'"));
            return null;
        }
        var values = new List<(string, SourceLocation)>();
        double tolerance = Math.Max(Math.Abs(a.Value), Math.Abs(b.Value)) * 1e-9;
        for (int i = 0; ; i++)
        {
            double x = step is not null ? a.Value + i * s.Value : a.Value * Math.Pow(s.Value, i);
            x = double.Parse(x.ToString("G12", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (x > b.Value + tolerance)
                break;
            values.Add((FromNumber(x, type), range.Location));
            if (values.Count > MaxPoints)
            {
                errors.Add(new ScenarioError(range.Location, path, $"more than {MaxPoints} values"));
                return null;
            }
        }
        return values;
    }

    private static double? ToNumber(string text, Type type, out string? error)
    {
        var value = ParamReflection.Convert(text, type, out error);
        return value switch
        {
            null => null,
            int i => i,
            long l => l,
            double d => d,
            Duration d => d.Picoseconds,
            ByteSize b => b.Bytes,
            Frequency f => f.Hertz,
            _ => Fail(out error, $"a range cannot sweep values like '{text}'; list them instead"),
        };
    }

    private static double? Fail(out string? error, string message)
    {
        error = message;
        return null;
    }

    private static string FromNumber(double x, Type type)
    {
        if (type == typeof(Duration))
            return new Duration((long)Math.Round(x)).ToString();
        if (type == typeof(ByteSize))
            return new ByteSize((long)Math.Round(x)).ToString();
        if (type == typeof(Frequency))
            return new Frequency((long)Math.Round(x)).ToString();
        if (type == typeof(int) || type == typeof(long))
            return ((long)Math.Round(x)).ToString(CultureInfo.InvariantCulture);
        return x.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>The type of the parameter at a dotted path below a scenario, or null when there is none.</summary>
    public static Type? ResolveType(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "machine.cpus")
            return typeof(int);
        if (path is "machine.preset" or "workload.preset")
            return typeof(string);
        Type type = typeof(ScenarioSettings);
        foreach (var part in path.Split('.'))
        {
            var info = ParamReflection.Params(type).FirstOrDefault(p => p.Key == part);
            if (info is null)
                return null;
            type = info.Type;
        }
        return typeof(IParameters).IsAssignableFrom(type) ? null : type;
    }

    /// <summary>Every settable dotted path below a scenario (for suggestions and the schema).</summary>
    public static IEnumerable<string> AllPaths()
    {
        IEnumerable<string> Walk(Type type, string prefix)
        {
            foreach (var p in ParamReflection.Params(type))
            {
                string path = prefix.Length == 0 ? p.Key : $"{prefix}.{p.Key}";
                if (p.IsSection)
                {
                    foreach (var inner in Walk(p.Type, path))
                        yield return inner;
                }
                else
                {
                    yield return path;
                }
            }
        }
        return Walk(typeof(ScenarioSettings), "").Concat(["machine.cpus", "machine.preset", "workload.preset"]);
    }

    private static IEnumerable<List<(string Path, string Value, SourceLocation At)>> CrossProduct(List<Axis> axes)
    {
        var current = new List<(string, string, SourceLocation)>();
        IEnumerable<List<(string, string, SourceLocation)>> Recurse(int i)
        {
            if (i == axes.Count)
            {
                yield return [.. current];
                yield break;
            }
            foreach (var (text, at) in axes[i].Values)
            {
                current.Add((axes[i].Path, text, at));
                foreach (var r in Recurse(i + 1))
                    yield return r;
                current.RemoveAt(current.Count - 1);
            }
        }
        return Recurse(0);
    }

    private static List<(string Path, SettingNode Value)> ParseSets(IReadOnlyList<string> sets, List<ScenarioError> errors)
    {
        var list = new List<(string, SettingNode)>();
        foreach (var s in sets)
        {
            var at = SourceLocation.CommandLine(s);
            int eq = s.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                errors.Add(new ScenarioError(at, "", "expected path=value, for example machine.cpus=64"));
                continue;
            }
            string path = s[..eq].Trim();
            if (ResolveType(path) is null)
            {
                errors.Add(new ScenarioError(at, path, $"unknown parameter '{path}'{Suggest.DidYouMean(path, AllPaths())}"));
                continue;
            }
            string value = s[(eq + 1)..].Trim();
            if (value.StartsWith('[') || value.StartsWith('{'))
            {
                // A list or mapping value (idle_states, mechanisms, a section) in YAML flow style.
                try
                {
                    var yaml = new YamlStream();
                    yaml.Load(new StringReader(value));
                    var node = SettingNode.FromYaml(yaml.Documents[0].RootNode, at.File);
                    node.Relocate(at);
                    list.Add((path, node));
                }
                catch (YamlException e)
                {
                    errors.Add(new ScenarioError(at, path, $"the value is not YAML: {e.Message}"));
                }
                continue;
            }
            list.Add((path, SettingNode.FromScalar(s[(eq + 1)..], at)));
        }
        return list;
    }

    private static Dictionary<string, IReadOnlyDictionary<string, SettingNode>> ReadPresets(SettingNode? node, List<ScenarioError> errors)
    {
        var presets = new Dictionary<string, IReadOnlyDictionary<string, SettingNode>>(StringComparer.Ordinal);
        if (node is null)
            return presets;
        if (node.Map is null)
        {
            errors.Add(new ScenarioError(node.Location, "presets", $"expected a mapping of preset kinds ({string.Join(", ", Binder.PresetKinds.Keys)})"));
            return presets;
        }
        foreach (var (kind, defs) in node.Map)
        {
            if (!Binder.PresetKinds.ContainsKey(kind))
            {
                errors.Add(new ScenarioError(defs.KeyLocation, $"presets.{kind}", $"unknown preset kind '{kind}'{Suggest.DidYouMean(kind, Binder.PresetKinds.Keys)}"));
                continue;
            }
            if (defs.Map is null)
            {
                errors.Add(new ScenarioError(defs.Location, $"presets.{kind}", "expected a mapping from preset names to settings"));
                continue;
            }
            bool builtin(string n) => kind == "machine" ? MachinePresets.All.ContainsKey(n) : TlbSim.Model.Workloads.WorkloadPresets.All.ContainsKey(n);
            foreach (var (name, def) in defs.Map)
            {
                if (builtin(name))
                    errors.Add(new ScenarioError(def.KeyLocation, $"presets.{kind}.{name}", $"'{name}' is a built-in preset; give yours another name"));
            }
            presets[kind] = defs.Map.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        }
        return presets;
    }
}
