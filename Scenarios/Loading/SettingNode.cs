using YamlDotNet.RepresentationModel;

namespace TlbSim.Scenarios.Loading;

/// <summary>
/// A scenario setting tree: a scalar, a mapping or a sequence, each remembering where it was written.
/// YAML, --set overrides and sweep assignments all become these, so they merge and bind the same way.
/// </summary>
public sealed class SettingNode
{
    private SettingNode(SourceLocation location) => Location = location;

    /// <summary>Where the value starts.</summary>
    public SourceLocation Location { get; private set; }

    /// <summary>Where its key was written (for "unknown key" errors).</summary>
    public SourceLocation KeyLocation { get; private set; }

    /// <summary>The text of a scalar.</summary>
    public string? Scalar { get; private set; }

    /// <summary>The entries of a mapping, in file order.</summary>
    public List<KeyValuePair<string, SettingNode>>? Map { get; private set; }

    /// <summary>The items of a sequence.</summary>
    public List<SettingNode>? Sequence { get; private set; }

    /// <summary>A scalar.</summary>
    public static SettingNode FromScalar(string text, SourceLocation location) => new(location) { Scalar = text, KeyLocation = location };

    /// <summary>An empty mapping.</summary>
    public static SettingNode EmptyMap(SourceLocation location) => new(location) { Map = [], KeyLocation = location };

    /// <summary>Most settings nodes a file may expand to, aliases included (a "billion laughs" file stops here).</summary>
    public const int MaxNodes = 1_000_000;

    /// <summary>Converts a YAML node, expanding aliases, up to <see cref="MaxNodes"/> nodes.</summary>
    /// <exception cref="ScenarioException">The expansion passes the limit.</exception>
    public static SettingNode FromYaml(YamlNode node, string file)
    {
        int budget = MaxNodes;
        return FromYaml(node, file, ref budget);
    }

    private static SettingNode FromYaml(YamlNode node, string file, ref int budget)
    {
        ArgumentNullException.ThrowIfNull(node);
        var at = new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column);
        if (--budget < 0)
            throw new ScenarioException([new ScenarioError(at, "", $"the file expands to more than {MaxNodes:N0} settings (YAML aliases repeated inside each other?); tlbsim stops there")]);
        switch (node)
        {
            case YamlScalarNode s:
                return FromScalar(s.Value ?? "", at);
            case YamlSequenceNode q:
                var items = new List<SettingNode>(q.Children.Count);
                foreach (var c in q.Children)
                    items.Add(FromYaml(c, file, ref budget));
                return new SettingNode(at) { Sequence = items, KeyLocation = at };
            case YamlMappingNode m:
                var map = new SettingNode(at) { Map = [], KeyLocation = at };
                foreach (var (k, v) in m.Children)
                {
                    var child = FromYaml(v, file, ref budget);
                    child.KeyLocation = new SourceLocation(file, (int)k.Start.Line, (int)k.Start.Column);
                    map.Map!.Add(new(((YamlScalarNode)k).Value ?? "", child));
                }
                return map;
            default:
                return FromScalar("", at);
        }
    }

    /// <summary>Gives this node and everything under it one location (a --set value: the command line).</summary>
    public void Relocate(SourceLocation at)
    {
        Location = at;
        KeyLocation = at;
        foreach (var (_, child) in Map ?? [])
            child.Relocate(at);
        foreach (var child in Sequence ?? [])
            child.Relocate(at);
    }

    /// <summary>The child under <paramref name="key"/>, if this is a mapping that has it.</summary>
    public SettingNode? Get(string key) => Map?.FirstOrDefault(kv => kv.Key == key).Value;

    /// <summary>Removes and returns the child under <paramref name="key"/>.</summary>
    public SettingNode? Take(string key)
    {
        if (Map is null)
            return null;
        int i = Map.FindIndex(kv => kv.Key == key);
        if (i < 0)
            return null;
        var v = Map[i].Value;
        Map.RemoveAt(i);
        return v;
    }

    /// <summary>A deep copy.</summary>
    public SettingNode Clone() => new(Location)
    {
        KeyLocation = KeyLocation,
        Scalar = Scalar,
        Map = Map?.Select(kv => new KeyValuePair<string, SettingNode>(kv.Key, kv.Value.Clone())).ToList(),
        Sequence = Sequence?.Select(x => x.Clone()).ToList(),
    };

    /// <summary>Overlays <paramref name="over"/> onto this mapping: mappings merge key by key, anything else replaces.</summary>
    public void Merge(SettingNode over)
    {
        ArgumentNullException.ThrowIfNull(over);
        if (Map is null || over.Map is null)
            return;
        foreach (var (key, value) in over.Map)
        {
            var mine = Get(key);
            if (mine?.Map is not null && value.Map is not null)
                mine.Merge(value);
            else
                Set(key, value.Clone());
        }
    }

    /// <summary>
    /// Sets the value at a dotted <paramref name="path"/> below this mapping, creating mappings on the way.
    /// Returns the key path of a step that holds a single value or a list instead of a mapping (nothing is
    /// changed then), or null on success.
    /// </summary>
    public string? SetPath(string path, SettingNode value)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(value);
        var parts = path.Split('.');
        var node = this;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            var next = node.Get(parts[i]);
            if (next is null)
            {
                next = EmptyMap(value.Location);
                node.Set(parts[i], next);
            }
            else if (next.Map is null)
            {
                return string.Join('.', parts.Take(i + 1));
            }
            node = next;
        }
        node.Set(parts[^1], value);
        return null;
    }

    private void Set(string key, SettingNode value)
    {
        Map ??= [];
        int i = Map.FindIndex(kv => kv.Key == key);
        if (i >= 0)
            Map[i] = new(key, value);
        else
            Map.Add(new(key, value));
    }
}
