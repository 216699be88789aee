using System.Globalization;
using System.Reflection;
using System.Text;
using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Scenarios.Loading;

/// <summary>One declared parameter (or nested section) of a parameter record, as scenario files name it.</summary>
public sealed record ParamInfo(string Key, PropertyInfo Property, ParamAttribute? Declaration)
{
    /// <summary>Its type.</summary>
    public Type Type => Property.PropertyType;

    /// <summary>True for a nested parameter record (a mapping in YAML).</summary>
    public bool IsSection => typeof(IParameters).IsAssignableFrom(Type);

    /// <summary>True for a list of parameter records (a sequence of mappings).</summary>
    public bool IsRecordList => Type.IsGenericType && typeof(IParameters).IsAssignableFrom(Type.GetGenericArguments()[0]);

    /// <summary>The unit shown to users.</summary>
    public string Unit => Type == typeof(Duration) ? "duration" : Type == typeof(Frequency) ? "frequency" : Type == typeof(ByteSize) ? "size"
        : Declaration?.Unit is { Length: > 0 } u ? u : Type.IsEnum ? "one of " + string.Join(", ", ParamReflection.EnumNames(Type)) : Type == typeof(bool) ? "true/false" : "";
}

/// <summary>Reads parameter declarations and converts scenario text to typed values.</summary>
public static class ParamReflection
{
    /// <summary>The parameters and sections of a record type, keyed by their snake_case names, in declaration order.</summary>
    public static IReadOnlyList<ParamInfo> Params(Type recordType)
    {
        ArgumentNullException.ThrowIfNull(recordType);
        var list = new List<ParamInfo>();
        foreach (var p in recordType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.SetMethod is null)
                continue;
            var declaration = p.GetCustomAttribute<ParamAttribute>();
            bool nested = typeof(IParameters).IsAssignableFrom(p.PropertyType);
            if (declaration is null && !nested)
                continue;
            list.Add(new ParamInfo(Snake(p.Name), p, declaration));
        }
        return list;
    }

    /// <summary>"CoresPerSocket" -> "cores_per_socket"; "Dtlb4kEntries" -> "dtlb4k_entries".</summary>
    public static string Snake(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])))
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The scenario names of an enum's values.</summary>
    public static IEnumerable<string> EnumNames(Type enumType) => Enum.GetNames(enumType).Select(Snake);

    /// <summary>Converts scenario text to a value of <paramref name="type"/>; returns an error message instead when it cannot.</summary>
    public static object? Convert(string text, Type type, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(type);
        error = null;
        var t = text.Trim();
        try
        {
            if (type == typeof(Duration))
                return Duration.Parse(t);
            if (type == typeof(Frequency))
                return Frequency.Parse(t);
            if (type == typeof(ByteSize))
                return ByteSize.Parse(t);
            if (type == typeof(string))
            {
                if (t.Any(char.IsControl))
                {
                    error = "control characters (newlines, tabs, escapes) are not allowed here";
                    return null;
                }
                return t;
            }
            if (type == typeof(bool))
            {
                if (t is "true" or "false")
                    return t == "true";
                error = $"'{t}' is not true or false";
                return null;
            }
            if (type == typeof(int) || type == typeof(long))
            {
                if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
                    && (type == typeof(long) || l is >= int.MinValue and <= int.MaxValue))
                    return type == typeof(int) ? (object)(int)l : l;
                error = $"'{t}' is not a whole number{(type == typeof(int) ? " that fits in 32 bits" : "")}";
                return null;
            }
            if (type == typeof(double))
            {
                if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
                    return d;
                error = $"'{t}' is not a finite number";
                return null;
            }
            if (type.IsEnum)
            {
                foreach (var name in Enum.GetNames(type))
                {
                    if (Snake(name) == t)
                        return Enum.Parse(type, name);
                }
                error = $"'{t}' is not one of {string.Join(", ", EnumNames(type))}{Suggest.DidYouMean(t, EnumNames(type))}";
                return null;
            }
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
        error = $"values of type {type.Name} cannot be given in a scenario";
        return null;
    }

    /// <summary>A shallow copy of a record (its compiler-generated clone), so presets are never modified.</summary>
    public static object CloneRecord(object record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var clone = record.GetType().GetMethod("<Clone>$") ?? throw new InvalidOperationException($"{record.GetType().Name} is not a record");
        return clone.Invoke(record, null)!;
    }

    /// <summary>Formats a value the way scenario files write it.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        Enum e => Snake(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
