using System.Globalization;
using System.Text;
using System.Xml;

namespace TlbSim.Output.Charts;

/// <summary>One line of a chart: points in data coordinates, drawn with a style that survives greyscale.</summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points)
{
    /// <summary>Highlighted points on the line (e.g. p50 and p99), each with a short label.</summary>
    public IReadOnlyList<(double X, double Y, string Label)> Marks { get; init; } = [];

    /// <summary>Draw as steps (histograms) instead of straight segments.</summary>
    public bool Steps { get; init; }

    /// <summary>Colour and marker slot; series sharing a slot (one mechanism's p50 and p99) look alike but for the dash.</summary>
    public int? Style { get; init; }

    /// <summary>Dash pattern overriding the slot's own ("" for solid).</summary>
    public string? Dash { get; init; }

    /// <summary>Shown in the legend.</summary>
    public bool InLegend { get; init; } = true;

    /// <summary>Join the points with a line (false: markers only).</summary>
    public bool Line { get; init; } = true;

    /// <summary>Half-widths of the points' 95% intervals, drawn as error bars (NaN: none), in the order of <see cref="Points"/>.</summary>
    public IReadOnlyList<double>? Errors { get; init; }

    /// <summary>Points the data do not support (too few operations in the tail), ringed in grey, in the order of <see cref="Points"/>.</summary>
    public IReadOnlyList<bool>? Unsupported { get; init; }
}

/// <summary>
/// A small line-chart writer for tlbsim's figures: linear or true logarithmic axes with labelled ticks,
/// axis titles with units, a legend, and series styles that differ in colour, dash pattern and marker so
/// they stay distinguishable in greyscale. Output is well-formed SVG written with an <see cref="XmlWriter"/>
/// and is byte-for-byte deterministic for the same input.
/// </summary>
public sealed class SvgChart
{
    private const double Width = 760, Height = 460, Left = 84, Right = 220, Top = 48, Bottom = 64;

    // Okabe-Ito colours (colour-blind safe), each paired with a distinct dash pattern and marker.
    private static readonly string[] Colours = ["#000000", "#E69F00", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#999933", "#882255", "#44AA99", "#777777", "#332288"];
    private static readonly string[] Dashes = ["", "8 4", "2 3", "10 3 2 3", "4 4", "12 4 4 4", "1 2", "6 2 2 2 2 2", "14 4", "3 6", "8 2 8 6", "5 5 1 5"];
    private static readonly string[] Markers = ["circle", "square", "triangle", "diamond", "cross", "circle-open", "square-open", "triangle-open", "diamond-open", "plus", "circle", "square"];

    /// <summary>Chart title.</summary>
    public required string Title { get; init; }

    /// <summary>X axis title, with unit.</summary>
    public required string XLabel { get; init; }

    /// <summary>Y axis title, with unit.</summary>
    public required string YLabel { get; init; }

    /// <summary>Logarithmic x axis.</summary>
    public bool XLog { get; init; }

    /// <summary>Logarithmic y axis.</summary>
    public bool YLog { get; init; }

    /// <summary>Fixed y range (otherwise from the data).</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>The lines.</summary>
    public required IReadOnlyList<Series> Series { get; init; }

    /// <summary>A note under the title.</summary>
    public string Subtitle { get; init; } = "";

    /// <summary>The SVG document.</summary>
    public string Render()
    {
        var points = Series.SelectMany(s => s.Points).Where(p => Valid(p.X, XLog) && Valid(p.Y, YLog)).ToList();
        var (x0, x1) = Range(points.Select(p => p.X), XLog, null);
        var (y0, y1) = Range(points.Select(p => p.Y), YLog, YRange);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Sx(double x) => Left + plotW * Fraction(x, x0, x1, XLog);
        double Sy(double y) => Top + plotH * (1 - Fraction(y, y0, y1, YLog));

        var buffer = new MemoryStream();
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        using (var w = XmlWriter.Create(buffer, settings))
        {
            const string ns = "http://www.w3.org/2000/svg";
            w.WriteStartElement("svg", ns);
            Attr(w, "width", Width);
            Attr(w, "height", Height);
            w.WriteAttributeString("viewBox", $"0 0 {N(Width)} {N(Height)}");
            w.WriteAttributeString("font-family", "DejaVu Sans, Arial, Helvetica, sans-serif");
            w.WriteAttributeString("font-size", "12");
            Rect(w, 0, 0, Width, Height, "#ffffff", "none");
            Text(w, Left, 22, Title, 15, "start", "bold");
            if (Subtitle.Length > 0)
                Text(w, Left, 38, Subtitle, 11, "start", "normal", "#444444");
            // grid and ticks
            foreach (var (value, label, major) in Ticks(x0, x1, XLog))
            {
                double x = Sx(value);
                Line(w, x, Top, x, Top + plotH, major ? "#dddddd" : "#f0f0f0", 1, "");
                if (label.Length > 0)
                    Text(w, x, Top + plotH + 16, label, 11, "middle");
            }
            foreach (var (value, label, major) in Ticks(y0, y1, YLog))
            {
                double y = Sy(value);
                Line(w, Left, y, Left + plotW, y, major ? "#dddddd" : "#f0f0f0", 1, "");
                if (label.Length > 0)
                    Text(w, Left - 6, y + 4, label, 11, "end");
            }
            Rect(w, Left, Top, plotW, plotH, "none", "#333333");
            Text(w, Left + plotW / 2, Height - 18, XLabel + (XLog ? " (log scale)" : ""), 12, "middle");
            w.WriteStartElement("text", ns);
            w.WriteAttributeString("transform", $"translate(18,{N(Top + plotH / 2)}) rotate(-90)");
            w.WriteAttributeString("text-anchor", "middle");
            w.WriteString(YLabel + (YLog ? " (log scale)" : ""));
            w.WriteEndElement();
            // series
            int legendRow = 0;
            for (int i = 0; i < Series.Count; i++)
            {
                var s = Series[i];
                int slot = s.Style ?? i;
                string colour = Colours[slot % Colours.Length], dash = s.Dash ?? Dashes[slot % Dashes.Length], marker = Markers[slot % Markers.Length];
                var pts = s.Points.Where(p => Valid(p.X, XLog) && Valid(p.Y, YLog)).ToList();
                if (pts.Count > 0 && !s.Line)
                {
                    foreach (var p in pts)
                        Marker(w, Sx(p.X), Sy(p.Y), marker, colour, 4.5);
                }
                else if (pts.Count > 0)
                {
                    var path = new StringBuilder();
                    for (int k = 0; k < pts.Count; k++)
                    {
                        double px = Sx(pts[k].X), py = Sy(pts[k].Y);
                        if (k == 0)
                            path.Append(CultureInfo.InvariantCulture, $"M{N(px)},{N(py)}");
                        else if (s.Steps)
                            path.Append(CultureInfo.InvariantCulture, $" H{N(px)} V{N(py)}");
                        else
                            path.Append(CultureInfo.InvariantCulture, $" L{N(px)},{N(py)}");
                    }
                    w.WriteStartElement("path", ns);
                    w.WriteAttributeString("d", path.ToString());
                    w.WriteAttributeString("fill", "none");
                    w.WriteAttributeString("stroke", colour);
                    w.WriteAttributeString("stroke-width", "2");
                    if (dash.Length > 0)
                        w.WriteAttributeString("stroke-dasharray", dash);
                    w.WriteStartElement("title", ns);
                    w.WriteString(s.Name);
                    w.WriteEndElement();
                    w.WriteEndElement();
                    if (pts.Count <= 40)
                    {
                        foreach (var p in pts)
                            Marker(w, Sx(p.X), Sy(p.Y), marker, colour, 3.5);
                    }
                }
                for (int k = 0; k < s.Points.Count; k++)
                {
                    var (x, y) = s.Points[k];
                    if (!Valid(x, XLog) || !Valid(y, YLog))
                        continue;
                    double e = s.Errors is { } errors && k < errors.Count ? errors[k] : double.NaN;
                    if (double.IsFinite(e) && e > 0)
                    {
                        double lo = y - e, hi = y + e;
                        if (YLog && lo <= 0)
                            lo = y / 10; // an interval reaching zero is drawn to the decade below
                        double px = Sx(x);
                        Line(w, px, Sy(lo), px, Sy(hi), colour, 1.2, "");
                        Line(w, px - 3, Sy(lo), px + 3, Sy(lo), colour, 1.2, "");
                        Line(w, px - 3, Sy(hi), px + 3, Sy(hi), colour, 1.2, "");
                    }
                    if (s.Unsupported is { } weak && k < weak.Count && weak[k])
                    {
                        w.WriteStartElement("circle", ns);
                        Attr(w, "cx", Sx(x));
                        Attr(w, "cy", Sy(y));
                        Attr(w, "r", 7.5);
                        w.WriteAttributeString("fill", "none");
                        w.WriteAttributeString("stroke", "#888888");
                        w.WriteAttributeString("stroke-width", "1.2");
                        w.WriteAttributeString("stroke-dasharray", "2 2");
                        w.WriteStartElement("title", ns);
                        w.WriteString($"{s.Name}: too few operations to support this percentile");
                        w.WriteEndElement();
                        w.WriteEndElement();
                    }
                }
                foreach (var (mx, my, label) in s.Marks.Where(m => Valid(m.X, XLog) && Valid(m.Y, YLog)))
                {
                    Marker(w, Sx(mx), Sy(my), marker, colour, 5.5);
                    w.WriteStartElement("title", ns);
                    w.WriteString($"{s.Name} {label}");
                    w.WriteEndElement();
                }
                if (!s.InLegend)
                    continue;
                // legend
                double ly = Top + 8 + legendRow++ * 20;
                double lx = Left + plotW + 14;
                if (s.Line)
                    Line(w, lx, ly, lx + 30, ly, colour, 2, dash);
                Marker(w, lx + 15, ly, marker, colour, 3.5);
                Text(w, lx + 36, ly + 4, Shorten(s.Name, 30), 10, "start");
            }
            w.WriteEndElement();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string Shorten(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    private static bool Valid(double v, bool log) => double.IsFinite(v) && (!log || v > 0);

    private static (double, double) Range(IEnumerable<double> values, bool log, (double, double)? fixedRange)
    {
        if (fixedRange is { } r)
            return r;
        var list = values.ToList();
        if (list.Count == 0)
            return log ? (1, 10) : (0, 1);
        double min = list.Min(), max = list.Max();
        if (log)
        {
            double lo = Math.Pow(10, Math.Floor(Math.Log10(min)));
            double hi = Math.Pow(10, Math.Ceiling(Math.Log10(max)));
            return hi <= lo ? (lo, lo * 10) : (lo, hi);
        }
        if (max <= min)
            return (min - 1, max + 1);
        double step = NiceStep((max - min) / 5);
        double start = min >= 0 && min < (max - min) ? 0 : Math.Floor(min / step) * step;
        return (start, Math.Ceiling(max / step) * step);
    }

    private static double Fraction(double v, double lo, double hi, bool log) =>
        log ? (Math.Log10(v) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo)) : (v - lo) / (hi - lo);

    private static double NiceStep(double raw)
    {
        double p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / p;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }

    private static IEnumerable<(double Value, string Label, bool Major)> Ticks(double lo, double hi, bool log)
    {
        if (log)
        {
            int decades = (int)Math.Round(Math.Log10(hi / lo));
            for (double d = lo; d <= hi * 1.0001; d *= 10)
            {
                yield return (d, Label(d), true);
                if (d < hi * 0.999)
                {
                    foreach (int m in new[] { 2, 5 })
                        yield return (d * m, decades <= 3 ? Label(d * m) : "", false);
                }
            }
            yield break;
        }
        double step = NiceStep((hi - lo) / 5);
        for (double v = lo; v <= hi + step * 1e-9; v += step)
            yield return (v, Label(v), true);
    }

    /// <summary>A compact tick label: 1, 20, 500, 1k, 2.5M, 0.2.</summary>
    public static string Label(double v)
    {
        double a = Math.Abs(v);
        if (a >= 1e9)
            return (v / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G";
        if (a >= 1e6)
            return (v / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M";
        if (a >= 1e4)
            return (v / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k";
        return v.ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static void Attr(XmlWriter w, string name, double v) => w.WriteAttributeString(name, N(v));

    private static void Rect(XmlWriter w, double x, double y, double wd, double ht, string fill, string stroke)
    {
        w.WriteStartElement("rect", "http://www.w3.org/2000/svg");
        Attr(w, "x", x);
        Attr(w, "y", y);
        Attr(w, "width", wd);
        Attr(w, "height", ht);
        w.WriteAttributeString("fill", fill);
        w.WriteAttributeString("stroke", stroke);
        w.WriteEndElement();
    }

    private static void Line(XmlWriter w, double x1, double y1, double x2, double y2, string stroke, double width, string dash)
    {
        w.WriteStartElement("line", "http://www.w3.org/2000/svg");
        Attr(w, "x1", x1);
        Attr(w, "y1", y1);
        Attr(w, "x2", x2);
        Attr(w, "y2", y2);
        w.WriteAttributeString("stroke", stroke);
        Attr(w, "stroke-width", width);
        if (dash.Length > 0)
            w.WriteAttributeString("stroke-dasharray", dash);
        w.WriteEndElement();
    }

    private static void Text(XmlWriter w, double x, double y, string text, double size, string anchor, string weight = "normal", string fill = "#111111")
    {
        w.WriteStartElement("text", "http://www.w3.org/2000/svg");
        Attr(w, "x", x);
        Attr(w, "y", y);
        Attr(w, "font-size", size);
        w.WriteAttributeString("text-anchor", anchor);
        if (weight != "normal")
            w.WriteAttributeString("font-weight", weight);
        w.WriteAttributeString("fill", fill);
        w.WriteString(text);
        w.WriteEndElement();
    }

    private static void Marker(XmlWriter w, double x, double y, string kind, string colour, double r)
    {
        bool open = kind.EndsWith("-open", StringComparison.Ordinal);
        string shape = open ? kind[..^5] : kind;
        string fill = open ? "#ffffff" : colour;
        const string ns = "http://www.w3.org/2000/svg";
        switch (shape)
        {
            case "circle":
                w.WriteStartElement("circle", ns);
                Attr(w, "cx", x);
                Attr(w, "cy", y);
                Attr(w, "r", r);
                break;
            case "square":
                w.WriteStartElement("rect", ns);
                Attr(w, "x", x - r);
                Attr(w, "y", y - r);
                Attr(w, "width", 2 * r);
                Attr(w, "height", 2 * r);
                break;
            case "triangle":
                w.WriteStartElement("polygon", ns);
                w.WriteAttributeString("points", $"{N(x)},{N(y - r * 1.2)} {N(x - r * 1.1)},{N(y + r * 0.9)} {N(x + r * 1.1)},{N(y + r * 0.9)}");
                break;
            case "diamond":
                w.WriteStartElement("polygon", ns);
                w.WriteAttributeString("points", $"{N(x)},{N(y - r * 1.3)} {N(x + r)},{N(y)} {N(x)},{N(y + r * 1.3)} {N(x - r)},{N(y)}");
                break;
            default: // cross / plus
                w.WriteStartElement("path", ns);
                w.WriteAttributeString("d", shape == "plus"
                    ? $"M{N(x - r)},{N(y)} H{N(x + r)} M{N(x)},{N(y - r)} V{N(y + r)}"
                    : $"M{N(x - r)},{N(y - r)} L{N(x + r)},{N(y + r)} M{N(x - r)},{N(y + r)} L{N(x + r)},{N(y - r)}");
                w.WriteAttributeString("stroke", colour);
                w.WriteAttributeString("stroke-width", "2");
                w.WriteEndElement();
                return;
        }
        w.WriteAttributeString("fill", fill);
        w.WriteAttributeString("stroke", colour);
        w.WriteAttributeString("stroke-width", "1.5");
        w.WriteEndElement();
    }
}
