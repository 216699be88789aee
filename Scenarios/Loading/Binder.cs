using TlbSim.Model.Hardware;
using TlbSim.Model.Parameters;
using TlbSim.Model.Workloads;

namespace TlbSim.Scenarios.Loading;

/// <summary>
/// Binds a setting tree onto a parameter record, strictly: every key must be a declared parameter, every
/// value must convert, and the finished record must validate. All errors are collected with their
/// location and key path. A section may name a <c>preset</c> (built in, or defined under the file's
/// <c>presets</c>) to start from; a machine may give <c>cpus</c> to size its topology.
/// </summary>
public sealed class Binder
{
    private readonly List<ScenarioError> _errors;
    private readonly Dictionary<string, SourceLocation> _locations = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, SettingNode>> _userPresets;
    private readonly Stack<string> _presetChain = new();
    private readonly Designs _designs;
    private SettingNode? _mechanismsNode;

    /// <summary>Most primitive steps one operation of a sequence design may run (repeats multiplied out): bounds a run's work per event.</summary>
    public const long MaxStepsPerOperation = 1_000_000;

    /// <summary>Creates a binder that adds its errors to <paramref name="errors"/>; <paramref name="designs"/> are the designs the file can name.</summary>
    public Binder(List<ScenarioError> errors, IReadOnlyDictionary<string, IReadOnlyDictionary<string, SettingNode>>? userPresets = null, Designs? designs = null)
    {
        _errors = errors;
        _userPresets = userPresets ?? new Dictionary<string, IReadOnlyDictionary<string, SettingNode>>();
        _designs = designs ?? Designs.Builtin;
    }

    /// <summary>Preset kinds a file can define, and the sections they apply to.</summary>
    public static IReadOnlyDictionary<string, Type> PresetKinds { get; } = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        ["machine"] = typeof(MachineParams),
        ["workload"] = typeof(WorkloadParams),
    };

    /// <summary>Binds a whole scenario, then validates it, reporting each validation error at the setting it names.</summary>
    public ScenarioSettings BindScenario(SettingNode node, string path)
    {
        ArgumentNullException.ThrowIfNull(node);
        _mechanismsNode = null;
        var settings = (ScenarioSettings)BindRecord(typeof(ScenarioSettings), new ScenarioSettings(), node, path);
        settings = settings with { Mechanisms = Choices(_mechanismsNode, Check.Join(path, "mechanisms"), settings.Mechanism, node.Location) };
        foreach (var message in settings.Validate(path))
            _errors.Add(Locate(message, node.Location));
        return settings;
    }

    /// <summary>Binds <paramref name="node"/> onto a copy of <paramref name="baseline"/>.</summary>
    public object BindRecord(Type type, object baseline, SettingNode node, string path)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(node);
        _locations.TryAdd(path, node.Location);
        if (node.Map is null)
        {
            _errors.Add(new ScenarioError(node.Location, path, $"expected a mapping of {Describe(type)} settings, found {(node.Sequence is null ? $"'{node.Scalar}'" : "a list")}"));
            return baseline;
        }
        var work = node.Clone();
        var start = baseline;
        SettingNode? presetNode = PresetKind(type) is null ? null : work.Take("preset");
        SettingNode? presetFile = PresetFileSection(type) is not null ? work.Take("preset_file") : null;
        if (presetNode is not null && presetFile is not null)
            _errors.Add(new ScenarioError(presetFile.KeyLocation, Check.Join(path, "preset_file"), "give 'preset' or 'preset_file', not both (a preset file names its own base preset)"));
        else if (presetNode is not null)
            start = ResolvePreset(PresetKind(type)!, type, presetNode, Check.Join(path, "preset")) ?? baseline;
        else if (presetFile is not null)
            start = LoadPresetFile(presetFile, Check.Join(path, "preset_file"), type, baseline);
        SettingNode? cpus = type == typeof(MachineParams) ? work.Take("cpus") : null;
        var record = ParamReflection.CloneRecord(start);
        var known = ParamReflection.Params(type);
        foreach (var (key, child) in work.Map!)
        {
            string childPath = Check.Join(path, key);
            var info = known.FirstOrDefault(p => p.Key == key);
            if (info is null)
            {
                var names = known.Select(p => p.Key).Concat(PresetKind(type) is null ? [] : ["preset"]).Concat(type == typeof(MachineParams) ? ["cpus"] : []).Concat(PresetFileSection(type) is not null ? ["preset_file"] : []);
                _errors.Add(new ScenarioError(child.KeyLocation, childPath, $"unknown key '{key}'{Suggest.DidYouMean(key, names)}"));
                continue;
            }
            _locations[childPath] = child.Location;
            object? value = BindValue(info, info.Property.GetValue(record)!, child, childPath);
            if (value is not null)
                info.Property.SetValue(record, value);
        }
        if (cpus is not null)
            record = SizeMachine((MachineParams)record, cpus, path);
        if (record is WorkloadParams { Trace.Length: > 0 } workload && node.Get("trace") is { } traceNode)
            record = ResolveTrace(workload, traceNode, Check.Join(path, "trace"));
        return record;
    }

    private object? BindValue(ParamInfo info, object current, SettingNode node, string path)
    {
        if (info.IsSection)
            return BindRecord(info.Type, current, node, path);
        if (info.IsRecordList)
        {
            var element = info.Type.GetGenericArguments()[0];
            if (node.Sequence is null)
            {
                _errors.Add(new ScenarioError(node.Location, path, $"expected a list of {Describe(element)} mappings"));
                return null;
            }
            var array = Array.CreateInstance(element, node.Sequence.Count);
            for (int i = 0; i < node.Sequence.Count; i++)
                array.SetValue(BindRecord(element, Activator.CreateInstance(element)!, node.Sequence[i], $"{path}[{i}]"), i);
            return array;
        }
        if (info.Type == typeof(IReadOnlyList<MechanismChoice>))
        {
            _mechanismsNode = node; // resolved once the scenario's mechanism section is bound
            return null;
        }
        if (info.Type == typeof(IReadOnlyList<string>))
        {
            var items = node.Sequence ?? (node.Scalar is not null ? [node] : null);
            if (items is null || items.Any(i => i.Scalar is null))
            {
                _errors.Add(new ScenarioError(node.Location, path, "expected a list of names"));
                return null;
            }
            if (items.Any(i => i.Scalar!.Any(char.IsControl)))
            {
                _errors.Add(new ScenarioError(node.Location, path, "control characters are not allowed in names"));
                return null;
            }
            return items.Select(i => i.Scalar!.Trim()).ToArray();
        }
        if (node.Scalar is null)
        {
            _errors.Add(new ScenarioError(node.Location, path, $"expected a single value ({info.Unit}), found a {(node.Map is not null ? "mapping" : "list")}"));
            return null;
        }
        if (node.Scalar.Trim().Length == 0 && info.Type != typeof(string))
        {
            _errors.Add(new ScenarioError(node.Location, path, $"missing value ({info.Unit})"));
            return null;
        }
        var value = ParamReflection.Convert(node.Scalar, info.Type, out var error);
        if (error is not null)
            _errors.Add(new ScenarioError(node.Location, path, error));
        return value;
    }

    /// <summary>
    /// The mechanisms list: each entry a design name, or a mapping {name, label, options} whose options
    /// (mechanism parameters and the design's own parameters) apply to that entry alone.
    /// </summary>
    private List<MechanismChoice> Choices(SettingNode? node, string path, Model.Mechanisms.MechanismParams options, SourceLocation fallback)
    {
        var choices = new List<MechanismChoice>();
        var items = node is null ? [SettingNode.FromScalar("baseline", fallback)] : node.Sequence ?? (node.Scalar is not null ? [node] : null);
        if (items is null || items.Count == 0)
        {
            _errors.Add(new ScenarioError(node?.Location ?? fallback, path, "needs at least one design"));
            return choices;
        }
        var labels = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string at = $"{path}[{i}]";
            if (Choice(item, at, options) is not { } choice)
                continue;
            if (labels.TryGetValue(choice.Label, out var first))
            {
                _errors.Add(new ScenarioError(item.Location, at, $"'{choice.Label}' is listed twice (first at {first}); give one of them a different label"));
                continue;
            }
            labels[choice.Label] = item.Location;
            choices.Add(choice);
        }
        return choices;
    }

    private MechanismChoice? Choice(SettingNode item, string path, Model.Mechanisms.MechanismParams options)
    {
        string UnknownDesign(string name) =>
            $"unknown design '{name}'{Suggest.DidYouMean(name, _designs.Names)}; known: {string.Join(", ", _designs.Names)} (or define it under the file's designs)";
        if (item.Scalar is { } scalar)
        {
            string name = scalar.Trim();
            if (!_designs.Contains(name))
            {
                _errors.Add(new ScenarioError(item.Location, path, UnknownDesign(name)));
                return null;
            }
            return Bounded(name, options, new Dictionary<string, long>(), item, path) ? new MechanismChoice(name, name, options, new Dictionary<string, long>(), _designs) : null;
        }
        if (item.Map is null)
        {
            _errors.Add(new ScenarioError(item.Location, path, "expected a design name or {name: design, option: value, ...}"));
            return null;
        }
        var work = item.Clone();
        var nameNode = work.Take("name");
        var labelNode = work.Take("label");
        string design = nameNode?.Scalar?.Trim() ?? "";
        if (nameNode is null)
        {
            var close = work.Map!.Select(kv => kv.Key).FirstOrDefault(k => Suggest.Closest(k, ["name"]) is not null);
            _errors.Add(new ScenarioError(item.Location, $"{path}.name", close is not null
                ? $"unknown key '{close}' (did you mean 'name'?); an entry with options names its design: {{name: prlist, prlist_grouping: per_node}}"
                : "an entry with options names its design: {name: prlist, prlist_grouping: per_node}"));
            return null;
        }
        if (!_designs.Contains(design))
        {
            _errors.Add(new ScenarioError(nameNode.Location, $"{path}.name", UnknownDesign(design)));
            return null;
        }
        var own = _designs.Sequence(design)?.Params ?? new Dictionary<string, long>();
        var designParams = new Dictionary<string, long>(StringComparer.Ordinal);
        var mechanismNode = SettingNode.EmptyMap(item.Location);
        var written = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in work.Map!)
        {
            written.Add(new(key, value.Scalar?.Trim() ?? ""));
            if (own.ContainsKey(key))
            {
                if (long.TryParse(value.Scalar, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long v) && v >= 0 && v <= DesignLoader.MaxCount)
                    designParams[key] = v;
                else
                    _errors.Add(new ScenarioError(value.Location, $"{path}.{key}", $"expected a whole number from 0 to {DesignLoader.MaxCount:N0}"));
            }
            else if (DesignLoader.MechanismKeys.ContainsKey(key))
            {
                mechanismNode.Map!.Add(new(key, value));
            }
            else
            {
                _errors.Add(new ScenarioError(value.KeyLocation, $"{path}.{key}",
                    $"unknown option '{key}'{Suggest.DidYouMean(key, own.Keys.Concat(DesignLoader.MechanismKeys.Keys).Concat(["name", "label"]))}; an entry takes name, label, mechanism parameters{(own.Count > 0 ? $" and {design}'s params ({string.Join(", ", own.Keys)})" : "")}"));
            }
        }
        var bound = mechanismNode.Map!.Count == 0 ? options : (Model.Mechanisms.MechanismParams)BindRecord(typeof(Model.Mechanisms.MechanismParams), options, mechanismNode, $"{path}");
        foreach (var message in bound.Validate(path))
            _errors.Add(Locate(message, item.Location));
        string label = labelNode?.Scalar?.Trim() ?? string.Join("_", new[] { design }.Concat(written.Select(w => w.Value)));
        if (label.Length == 0 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            _errors.Add(new ScenarioError(labelNode?.Location ?? item.Location, $"{path}.label", $"'{label}' may hold only letters, digits, '_', '-' and '.' (it names CSV rows); give a label"));
            return null;
        }
        if (label == "baseline" && (design != "baseline" || written.Count > 0))
        {
            _errors.Add(new ScenarioError(labelNode?.Location ?? item.Location, $"{path}.label", "'baseline' names the reference every slowdown is relative to: the baseline design with the scenario's options"));
            return null;
        }
        if (!Bounded(design, bound, designParams, item, path))
            return null;
        return new MechanismChoice(label, design, bound, designParams, _designs) { Options = written };
    }

    /// <summary>Whether one operation of <paramref name="design"/> stays within <see cref="MaxStepsPerOperation"/> with these options (an error when not).</summary>
    private bool Bounded(string design, Model.Mechanisms.MechanismParams options, IReadOnlyDictionary<string, long> designParams, SettingNode item, string path)
    {
        if (_designs.Sequence(design) is not { } sequence)
            return true;
        var values = new Dictionary<string, long>(sequence.Params, StringComparer.Ordinal);
        foreach (var (k, v) in designParams)
            values[k] = v;
        long steps = sequence.Expansion(options, values);
        if (steps <= MaxStepsPerOperation)
            return true;
        string count = steps == long.MaxValue ? "more than 9e18" : steps.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        _errors.Add(new ScenarioError(item.Location, path, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"design '{design}' runs up to {count} primitive steps per operation (repeats multiplied out); at most {MaxStepsPerOperation:N0}")));
        return false;
    }

    private static string? PresetKind(Type type) => PresetKinds.FirstOrDefault(kv => kv.Value == type).Key;

    /// <summary>A workload's trace: its path made relative to the file that names it, loaded once to check it.</summary>
    private WorkloadParams ResolveTrace(WorkloadParams workload, SettingNode node, string path)
    {
        string? dir = File.Exists(node.Location.File) ? Path.GetDirectoryName(Path.GetFullPath(node.Location.File)) : null;
        string full = Path.IsPathRooted(workload.Trace) || dir is null ? Path.GetFullPath(workload.Trace) : Path.Combine(dir, workload.Trace);
        try
        {
            Model.Workloads.RecordedTrace.Load(full);
        }
        catch (Model.Workloads.TraceFormatException e)
        {
            foreach (var message in e.Errors.Take(10))
                _errors.Add(new ScenarioError(node.Location, path, message));
        }
        return workload with { Trace = full };
    }

    private int _presetFileDepth;

    /// <summary>The section of a preset file that a section of the scenario reads (machine or kernel), or null.</summary>
    private static string? PresetFileSection(Type type) => type == typeof(MachineParams) ? "machine" : type == typeof(Model.Linux.KernelParams) ? "kernel" : null;

    /// <summary>
    /// A preset file (what <c>tlbsim probe</c> writes): a YAML mapping whose <c>machine</c> key holds machine
    /// settings (a <c>preset</c> base among them), whose <c>kernel</c> key holds the kernel costs measured on
    /// the same host, and whose <c>measured</c> key, if any, the probe's check reads. The scenario's
    /// <c>machine: {preset_file: F}</c> reads the machine part, <c>kernel: {preset_file: F}</c> the kernel part;
    /// the path is relative to the file that names it. Errors point into the preset file.
    /// </summary>
    private object LoadPresetFile(SettingNode node, string path, Type type, object baseline)
    {
        string section = PresetFileSection(type)!;
        string? name = node.Scalar?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            _errors.Add(new ScenarioError(node.Location, path, "expected the path of a preset file (written by tlbsim probe)"));
            return baseline;
        }
        if (_presetFileDepth > 0)
        {
            _errors.Add(new ScenarioError(node.KeyLocation, path, "a preset file cannot name another preset file"));
            return baseline;
        }
        string? dir = File.Exists(node.Location.File) ? Path.GetDirectoryName(Path.GetFullPath(node.Location.File)) : null;
        string full = Path.IsPathRooted(name) || dir is null ? name : Path.Combine(dir, name);
        SettingNode root;
        try
        {
            root = ScenarioLoader.ReadYamlFile(full);
        }
        catch (ScenarioException e)
        {
            _errors.Add(new ScenarioError(node.Location, path, $"cannot use '{name}': {string.Join("; ", e.Errors.Select(x => x.ToString()))}"));
            return baseline;
        }
        var part = root.Get(section);
        if (root.Map is null || part is null)
        {
            _errors.Add(new ScenarioError(root.Location, "", $"{name}: expected a mapping with a '{section}' key (the preset's {section} settings)"));
            return baseline;
        }
        foreach (var (key, child) in root.Map.Where(kv => kv.Key is not ("machine" or "kernel" or "measured")))
            _errors.Add(new ScenarioError(child.KeyLocation, key, $"unknown key '{key}' in a preset file (expected machine, kernel and measured)"));
        _presetFileDepth++;
        try
        {
            return BindRecord(type, baseline, part, section);
        }
        finally
        {
            _presetFileDepth--;
        }
    }

    private object? ResolvePreset(string kind, Type type, SettingNode presetNode, string path)
    {
        string? name = presetNode.Scalar?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            _errors.Add(new ScenarioError(presetNode.Location, path, "expected a preset name"));
            return null;
        }
        if (_userPresets.TryGetValue(kind, out var user) && user.TryGetValue(name, out var definition))
        {
            if (_presetChain.Contains($"{kind}:{name}"))
            {
                var cycle = string.Join(" -> ", _presetChain.Reverse().Append($"{kind}:{name}").Select(x => x.Split(':')[1]));
                _errors.Add(new ScenarioError(presetNode.Location, path, $"preset '{name}' refers to itself through {cycle}"));
                return null;
            }
            _presetChain.Push($"{kind}:{name}");
            try
            {
                var builtinBase = type == typeof(MachineParams) ? (object)new MachineParams() : new WorkloadParams();
                return BindRecord(type, builtinBase, definition, $"presets.{kind}.{name}");
            }
            finally
            {
                _presetChain.Pop();
            }
        }
        IEnumerable<string> names = kind == "machine" ? MachinePresets.All.Keys : WorkloadPresets.All.Keys;
        if (_userPresets.TryGetValue(kind, out var userNames))
            names = names.Concat(userNames.Keys);
        if (kind == "machine" && MachinePresets.All.TryGetValue(name, out var machine))
            return machine;
        if (kind == "workload" && WorkloadPresets.All.TryGetValue(name, out var workload))
            return workload;
        _errors.Add(new ScenarioError(presetNode.Location, path, $"unknown {kind} preset '{name}'{Suggest.DidYouMean(name, names)}; known: {string.Join(", ", names)}"));
        return null;
    }

    private MachineParams SizeMachine(MachineParams machine, SettingNode cpusNode, string machinePath)
    {
        string path = Check.Join(machinePath, "cpus");
        var value = ParamReflection.Convert(cpusNode.Scalar ?? "", typeof(int), out var error);
        if (error is not null)
        {
            _errors.Add(new ScenarioError(cpusNode.Location, path, error));
            return machine;
        }
        int cpus = (int)value!;
        var t = machine.Topology;
        int perCore = t.Sockets * t.ThreadsPerCore;
        if (perCore < 1)
            return machine; // the topology's own errors are reported by validation
        if (cpus < 1 || cpus % perCore != 0)
        {
            _errors.Add(new ScenarioError(cpusNode.Location, path,
                $"{cpus} CPUs cannot be laid out on {t.Sockets} socket(s) with {t.ThreadsPerCore} thread(s) per core: it must be a positive multiple of {perCore}"));
            return machine;
        }
        _locations[Check.Join(machinePath, "topology.cores_per_socket")] = cpusNode.Location;
        return machine with { Topology = t with { CoresPerSocket = cpus / perCore } };
    }

    /// <summary>Turns a validation message "a.b.c: text" into a located error, at the most specific setting known.</summary>
    private ScenarioError Locate(string message, SourceLocation fallback)
    {
        int colon = message.IndexOf(": ", StringComparison.Ordinal);
        string key = colon > 0 ? message[..colon] : "";
        string text = colon > 0 ? message[(colon + 2)..] : message;
        string probe = key;
        while (probe.Length > 0)
        {
            if (_locations.TryGetValue(probe, out var at))
                return new ScenarioError(at, key, text);
            int dot = probe.LastIndexOfAny(['.', '[']);
            probe = dot > 0 ? probe[..dot] : "";
        }
        return new ScenarioError(fallback, key, text);
    }

    private static string Describe(Type t) => ParamReflection.Snake(t.Name.Replace("Params", "", StringComparison.Ordinal));
}
