using System.Globalization;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Mechanisms.Sequences;
using YamlDotNet.RepresentationModel;

namespace TlbSim.Scenarios.Loading;

/// <summary>
/// Reads designs written as sequences of primitives (a scenario file's <c>designs</c>, and the shipped
/// designs file), strictly: unknown primitives and arguments with did-you-mean, numbers and parameter
/// names checked, each error located at its file, line, column and key path.
/// </summary>
public static class DesignLoader
{
    private static readonly string[] DesignKeys = ["description", "params", "hooks", "steps"];
    private static readonly string[] Blocks = ["repeat", "every", "once", "when", "irqs_off", "text_mutex"];

    /// <summary>Most steps (primitives and blocks, nested) in one design.</summary>
    public const int MaxSteps = 10_000;

    /// <summary>Largest count a repeat, every or argument may read.</summary>
    public const long MaxCount = 1_000_000;

    /// <summary>Every step name a design may use: the primitives, then the blocks.</summary>
    public static IEnumerable<string> StepNames => Primitives.All.Select(p => p.Name).Concat(Blocks);

    /// <summary>The designs of a <c>designs</c> mapping; names already taken by <paramref name="taken"/> are errors.</summary>
    public static List<Sequence> Read(SettingNode? node, string path, Func<string, bool> taken, List<ScenarioError> errors)
    {
        var designs = new List<Sequence>();
        if (node is null)
            return designs;
        if (node.Map is null)
        {
            errors.Add(new ScenarioError(node.Location, path, "expected a mapping from design names to {description, params, hooks, steps}"));
            return designs;
        }
        foreach (var (name, def) in node.Map)
        {
            string at = $"{path}.{name}";
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                errors.Add(new ScenarioError(def.KeyLocation, at, $"'{name}' may hold only letters, digits, '_' and '-' (it names CSV rows)"));
                continue;
            }
            if (taken(name) || designs.Any(d => d.Name == name))
            {
                errors.Add(new ScenarioError(def.KeyLocation, at, $"'{name}' is already a design; give yours another name"));
                continue;
            }
            if (ReadDesign(name, def, at, errors) is { } design)
                designs.Add(design);
        }
        return designs;
    }

    private static Sequence? ReadDesign(string name, SettingNode def, string path, List<ScenarioError> errors)
    {
        if (def.Map is null)
        {
            errors.Add(new ScenarioError(def.Location, path, "expected a mapping with 'steps' (and optionally description, params, hooks)"));
            return null;
        }
        foreach (var (key, value) in def.Map)
        {
            if (!DesignKeys.Contains(key))
                errors.Add(new ScenarioError(value.KeyLocation, $"{path}.{key}", $"unknown key '{key}'{Suggest.DidYouMean(key, DesignKeys)}; a design has {string.Join(", ", DesignKeys)}"));
        }
        var designParams = new Dictionary<string, long>(StringComparer.Ordinal);
        if (def.Get("params") is { } paramsNode)
        {
            if (paramsNode.Map is null)
            {
                errors.Add(new ScenarioError(paramsNode.Location, $"{path}.params", "expected a mapping from parameter names to whole numbers"));
            }
            else
            {
                foreach (var (key, value) in paramsNode.Map)
                {
                    if (MechanismKeys.ContainsKey(key))
                        errors.Add(new ScenarioError(value.KeyLocation, $"{path}.params.{key}", $"'{key}' is already a mechanism parameter (mechanism.{key}); use it directly or choose another name"));
                    else if (!long.TryParse(value.Scalar, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) || v < 0 || v > MaxCount)
                        errors.Add(new ScenarioError(value.Location, $"{path}.params.{key}", $"expected a whole number from 0 to {MaxCount:N0}"));
                    else
                        designParams[key] = v;
                }
            }
        }
        var hooks = new List<string>();
        if (def.Get("hooks") is { } hooksNode)
        {
            foreach (var h in hooksNode.Sequence ?? (hooksNode.Scalar is not null ? [hooksNode] : []))
            {
                string hook = h.Scalar?.Trim() ?? "";
                if (!Primitives.Hooks.ContainsKey(hook))
                    errors.Add(new ScenarioError(h.Location, $"{path}.hooks", $"unknown hook '{hook}'{Suggest.DidYouMean(hook, Primitives.Hooks.Keys)}; known: {string.Join(", ", Primitives.Hooks.Keys)}"));
                else
                    hooks.Add(hook);
            }
        }
        var stepsNode = def.Get("steps");
        if (stepsNode is null)
        {
            errors.Add(new ScenarioError(def.Location, $"{path}.steps", "a design needs a list of steps"));
            return null;
        }
        var reader = new StepReader(designParams, errors);
        var steps = reader.List(stepsNode, $"{path}.steps");
        if (steps is null)
            return null;
        if (stepsNode.Sequence is { Count: 0 })
            errors.Add(new ScenarioError(stepsNode.Location, $"{path}.steps", "the list is empty; a design does something"));
        return new Sequence(name, def.Get("description")?.Scalar?.Trim() ?? "", steps)
        {
            Params = designParams,
            Hooks = hooks,
            DefinedAt = def.KeyLocation.ToString(),
        };
    }

    /// <summary>The mechanism section's parameters by key.</summary>
    internal static IReadOnlyDictionary<string, ParamInfo> MechanismKeys { get; } =
        ParamReflection.Params(typeof(MechanismParams)).ToDictionary(p => p.Key, StringComparer.Ordinal);

    private sealed class StepReader(IReadOnlyDictionary<string, long> designParams, List<ScenarioError> errors)
    {
        private int _steps;
        private bool _page;

        public List<Step>? List(SettingNode node, string path)
        {
            if (node.Sequence is null)
            {
                errors.Add(new ScenarioError(node.Location, path, "expected a list of steps"));
                return null;
            }
            var steps = new List<Step>();
            if (node.Sequence.Count == 0 && !path.EndsWith(".steps", StringComparison.Ordinal) && !path.EndsWith(".else", StringComparison.Ordinal))
                errors.Add(new ScenarioError(node.Location, path, "an empty block; give it steps or remove it"));
            for (int i = 0; i < node.Sequence.Count; i++)
            {
                if (++_steps > MaxSteps)
                {
                    errors.Add(new ScenarioError(node.Sequence[i].Location, $"{path}[{i}]", $"more than {MaxSteps:N0} steps in one design"));
                    return null;
                }
                if (One(node.Sequence[i], $"{path}[{i}]") is { } step)
                    steps.Add(step);
            }
            return steps;
        }

        private Step? One(SettingNode node, string path)
        {
            string name;
            SettingNode? args;
            if (node.Scalar is not null)
            {
                name = node.Scalar.Trim();
                args = null;
            }
            else if (node.Map is { Count: 1 })
            {
                (name, args) = (node.Map[0].Key, node.Map[0].Value);
                if (args.Scalar is { } s && s.Trim().Length == 0)
                    args = null; // "- vunmap:" with nothing after it
            }
            else
            {
                errors.Add(new ScenarioError(node.Location, path, "a step is a name ('- write') or one name with its arguments ('- set_memory_ro: {pages: 1}')"));
                return null;
            }
            string at = $"{path}.{name}";
            switch (name)
            {
                case "once":
                    return List(args ?? SettingNode.EmptyMap(node.Location), at) is { } once ? new OnceStep(once) : null;
                case "irqs_off":
                    return List(args ?? SettingNode.EmptyMap(node.Location), at) is { } off ? new IrqsOffStep(off) : null;
                case "text_mutex":
                    return List(args ?? SettingNode.EmptyMap(node.Location), at) is { } held ? new TextMutexStep(held) : null;
                case "repeat":
                case "every":
                {
                    string countKey = name == "repeat" ? "times" : "n";
                    if (!Keys(args, at, [countKey, "steps"], node.Location))
                        return null;
                    var count = Number(args!.Get(countKey), $"{at}.{countKey}", args.Location, name == "repeat" ? 0 : 1);
                    var inner = args.Get("steps") is { } s ? List(s, $"{at}.steps") : Missing(args, $"{at}.steps");
                    return count is null || inner is null ? null : name == "repeat" ? new RepeatStep(count, inner) : new EveryStep(count, inner);
                }
                case "when":
                    return When(args, at, node.Location);
            }
            var primitive = Primitives.Find(name);
            if (primitive is null)
            {
                errors.Add(new ScenarioError(node.Location, path, $"unknown step '{name}'{Suggest.DidYouMean(name, StepNames)}; tlbsim describe primitives lists them"));
                return null;
            }
            if (name is "alloc_pages" or "page")
                _page = true;
            if (!_page && name is "set_memory_ro" or "set_memory_rw" or "set_direct_map_invalid_noflush" or "set_direct_map_default_noflush" or "assume_split")
                errors.Add(new ScenarioError(node.Location, at, $"{name} acts on the current page: put alloc_pages or page before it"));
            if (args is null)
                return new PrimitiveStep(primitive, StepArgs.None);
            if (args.Map is null)
            {
                errors.Add(new ScenarioError(args.Location, at, primitive.Args.Count == 0 ? $"{name} takes no arguments" : $"expected a mapping of arguments ({string.Join(", ", primitive.Args.Select(a => a.Name))})"));
                return null;
            }
            var counts = new Dictionary<string, Count>(StringComparer.Ordinal);
            var choices = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in args.Map)
            {
                var arg = primitive.Args.FirstOrDefault(a => a.Name == key);
                if (arg is null)
                {
                    errors.Add(new ScenarioError(value.KeyLocation, $"{at}.{key}", primitive.Args.Count == 0
                        ? $"{name} takes no arguments"
                        : $"unknown argument '{key}'{Suggest.DidYouMean(key, primitive.Args.Select(a => a.Name))}; {name} takes {string.Join(", ", primitive.Args.Select(a => a.Name))}"));
                    continue;
                }
                if (arg.IsNumber)
                {
                    if (Number(value, $"{at}.{key}", value.Location, 0) is { } c)
                        counts[key] = c;
                }
                else if (value.Scalar is { } choice && arg.Choices!.Contains(choice.Trim()))
                {
                    choices[key] = choice.Trim();
                }
                else
                {
                    errors.Add(new ScenarioError(value.Location, $"{at}.{key}", $"expected one of {string.Join(", ", arg.Choices!)}{Suggest.DidYouMean(value.Scalar ?? "", arg.Choices!)}"));
                }
            }
            return new PrimitiveStep(primitive, new StepArgs(counts, choices));
        }

        private List<Step>? Missing(SettingNode args, string path)
        {
            errors.Add(new ScenarioError(args.Location, path, "missing: the list of steps"));
            return null;
        }

        private bool Keys(SettingNode? args, string path, string[] allowed, SourceLocation at)
        {
            if (args?.Map is null)
            {
                errors.Add(new ScenarioError(args?.Location ?? at, path, $"expected a mapping with {string.Join(", ", allowed)}"));
                return false;
            }
            bool ok = true;
            foreach (var (key, value) in args.Map)
            {
                if (!allowed.Contains(key))
                {
                    errors.Add(new ScenarioError(value.KeyLocation, $"{path}.{key}", $"unknown key '{key}'{Suggest.DidYouMean(key, allowed)}; expected {string.Join(", ", allowed)}"));
                    ok = false;
                }
            }
            return ok;
        }

        /// <summary>A whole number: a constant, a design parameter or an integer mechanism parameter.</summary>
        private Count? Number(SettingNode? node, string path, SourceLocation fallback, long min)
        {
            string text = node?.Scalar?.Trim() ?? "";
            var at = node?.Location ?? fallback;
            if (text.Length == 0)
            {
                errors.Add(new ScenarioError(at, path, "missing: a whole number or a parameter's name"));
                return null;
            }
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
            {
                if (value < min || value > MaxCount)
                {
                    errors.Add(new ScenarioError(at, path, $"must be from {min} to {MaxCount:N0} (was {value})"));
                    return null;
                }
                return Count.Constant(value);
            }
            if (designParams.ContainsKey(text))
                return new Count(text, (_, d) => Math.Clamp(d[text], min, MaxCount));
            if (MechanismKeys.TryGetValue(text, out var info) && (info.Type == typeof(int) || info.Type == typeof(long)))
            {
                var property = info.Property;
                return new Count(text, (p, _) => Math.Clamp(System.Convert.ToInt64(property.GetValue(p), CultureInfo.InvariantCulture), min, MaxCount));
            }
            var names = designParams.Keys.Concat(MechanismKeys.Values.Where(i => i.Type == typeof(int) || i.Type == typeof(long)).Select(i => i.Key));
            errors.Add(new ScenarioError(at, path, $"'{text}' is neither a whole number nor a whole-number parameter{Suggest.DidYouMean(text, names)}"));
            return null;
        }

        private WhenStep? When(SettingNode? args, string path, SourceLocation at)
        {
            if (!Keys(args, path, ["param", "is", "steps", "else"], at))
                return null;
            string param = args!.Get("param")?.Scalar?.Trim() ?? "";
            string wanted = args.Get("is")?.Scalar?.Trim() ?? "";
            Func<MechanismParams, IReadOnlyDictionary<string, long>, bool>? test = null;
            if (designParams.ContainsKey(param))
            {
                if (long.TryParse(wanted, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
                    test = (_, d) => d[param] == v;
                else
                    errors.Add(new ScenarioError(args.Get("is")?.Location ?? args.Location, $"{path}.is", wanted.Length == 0 ? "missing: the value to compare with" : $"'{wanted}' is not a whole number, which '{param}' is"));
            }
            else if (MechanismKeys.TryGetValue(param, out var info) && wanted.Length == 0)
            {
                errors.Add(new ScenarioError(args.Location, $"{path}.is", $"missing: the value of {param} to compare with"));
            }
            else if (MechanismKeys.TryGetValue(param, out info))
            {
                var value = ParamReflection.Convert(wanted, info.Type, out var error);
                if (error is not null)
                {
                    errors.Add(new ScenarioError(args.Get("is")?.Location ?? args.Location, $"{path}.is", error));
                }
                else
                {
                    string canonical = ParamReflection.Format(value);
                    var property = info.Property;
                    test = (p, _) => ParamReflection.Format(property.GetValue(p)) == canonical;
                    wanted = canonical;
                }
            }
            else
            {
                errors.Add(new ScenarioError(args.Get("param")?.Location ?? args.Location, $"{path}.param",
                    $"unknown parameter '{param}'{Suggest.DidYouMean(param, designParams.Keys.Concat(MechanismKeys.Keys))}; a mechanism parameter (mechanism.*) or one of the design's params"));
            }
            var then = args.Get("steps") is { } s ? List(s, $"{path}.steps") : Missing(args, $"{path}.steps");
            var otherwise = args.Get("else") is { } e ? List(e, $"{path}.else") : [];
            return test is null || then is null || otherwise is null ? null : new WhenStep(param, wanted, test, then, otherwise);
        }
    }

    /// <summary>The shipped designs file's text (embedded in the program).</summary>
    public static string ShippedText()
    {
        using var stream = typeof(DesignLoader).Assembly.GetManifestResourceStream("TlbSim.Scenarios.designs.yaml")
            ?? throw new InvalidOperationException("the shipped designs file is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Parses designs text (the shipped file's form: a top-level 'designs' mapping).</summary>
    public static List<Sequence> Parse(string text, string file, Func<string, bool> taken)
    {
        var errors = new List<ScenarioError>();
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        var root = SettingNode.FromYaml(yaml.Documents[0].RootNode, file);
        var designs = Read(root.Get("designs"), "designs", taken, errors);
        if (errors.Count > 0)
            throw new ScenarioException(errors);
        return designs;
    }
}
