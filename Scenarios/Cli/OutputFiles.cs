namespace TlbSim.Scenarios.Cli;

/// <summary>The files a command writes besides a run's results (a CSV and its charts), gathered as they are made and written together at the end.</summary>
internal sealed class OutputFiles
{
    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _bytes = new(StringComparer.Ordinal);

    /// <summary>A text file, written as UTF-8.</summary>
    public void Text(string name, string content) => _texts[name] = content;

    /// <summary>A chart as <paramref name="stem"/>.svg and <paramref name="stem"/>.png.</summary>
    public void Chart(string stem, string svg, byte[] png)
    {
        _texts[stem + ".svg"] = svg;
        _bytes[stem + ".png"] = png;
    }

    /// <summary>Writes every file into <paramref name="dir"/>, creating it when needed.</summary>
    public void WriteTo(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (name, text) in _texts)
            File.WriteAllText(Path.Combine(dir, name), text);
        foreach (var (name, bytes) in _bytes)
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
    }
}
