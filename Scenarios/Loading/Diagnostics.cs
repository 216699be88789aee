namespace TlbSim.Scenarios.Loading;

/// <summary>Where a value came from: a file position, or the command line.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    /// <summary>A value given with --set on the command line.</summary>
    public static SourceLocation CommandLine(string text) => new($"--set {text}", 0, 0);

    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>One problem with a scenario file: where, which key, what.</summary>
public sealed record ScenarioError(SourceLocation Location, string KeyPath, string Message)
{
    /// <inheritdoc />
    public override string ToString() => KeyPath.Length > 0 ? $"{Location}: {KeyPath}: {Message}" : $"{Location}: {Message}";
}

/// <summary>Thrown when a scenario file cannot be used; carries every error found.</summary>
public sealed class ScenarioException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ScenarioException(IReadOnlyList<ScenarioError> errors) : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    /// <summary>Creates the exception.</summary>
    public ScenarioException() : this([]) { }

    /// <summary>Creates the exception.</summary>
    public ScenarioException(string message) : this([new ScenarioError(new SourceLocation("", 0, 0), "", message)]) { }

    /// <summary>Creates the exception.</summary>
    public ScenarioException(string message, Exception inner) : base(message, inner) => Errors = [];

    /// <summary>Every error, in file order.</summary>
    public IReadOnlyList<ScenarioError> Errors { get; }
}

/// <summary>"Did you mean" suggestions by edit distance.</summary>
public static class Suggest
{
    /// <summary>The closest candidate within a small edit distance, or null.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(word);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = Distance(word, c);
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        return best is not null && bestDistance <= Math.Max(2, word.Length / 3) ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or an empty string.</summary>
    public static string DidYouMean(string word, IEnumerable<string> candidates) =>
        Closest(word, candidates) is { } c ? $" (did you mean '{c}'?)" : "";

    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                int cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + cost);
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
