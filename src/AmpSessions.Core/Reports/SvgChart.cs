using System.Globalization;
using System.Net;
using System.Text;

namespace AmpSessions.Core.Reports;

/// <summary>One bar: a value (with an optional interval drawn as a whisker) and its label.</summary>
internal sealed record Bar(string Label, double Value, string ValueText, string Color, string Tooltip)
{
    public double? Lower { get; init; }
    public double? Upper { get; init; }
}

/// <summary>One bar made of coloured segments.</summary>
internal sealed record StackedBar(string Label, IReadOnlyList<(double Value, string Color, string Name)> Segments, string TotalText);

/// <summary>
/// Inline SVG charts drawn from numbers (no script, no fonts, no network): horizontal bars with
/// optional interval whiskers, and stacked bars with a legend.
/// </summary>
internal static class SvgChart
{
    private const int Width = 860;
    private const int LabelWidth = 170;
    private const int ValueWidth = 220;
    private const int RowHeight = 30;
    private const int Top = 8;
    private const int AxisHeight = 26;
    private const int PlotWidth = Width - LabelWidth - ValueWidth;

    public static string Bars(string title, IReadOnlyList<Bar> bars, double max, Func<double, string> tick)
    {
        var height = Top + bars.Count * RowHeight + AxisHeight;
        var svg = Open(title, height);
        Axis(svg, bars.Count, max, tick);
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = Top + i * RowHeight;
            Label(svg, bar.Label, y);
            Rect(svg, LabelWidth, y, Scale(bar.Value, max), bar.Color, bar.Tooltip);
            if (bar.Lower is { } lower && bar.Upper is { } upper)
            {
                double x1 = LabelWidth + Scale(lower, max), x2 = LabelWidth + Scale(upper, max), mid = y + RowHeight / 2.0;
                svg.Append(CultureInfo.InvariantCulture, $"<g class=\"whisker\" stroke=\"#1f2937\" stroke-width=\"1.5\"><line x1=\"{F(x1)}\" y1=\"{F(mid)}\" x2=\"{F(x2)}\" y2=\"{F(mid)}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x1)}\" y1=\"{F(mid - 6)}\" x2=\"{F(x1)}\" y2=\"{F(mid + 6)}\"/><line x1=\"{F(x2)}\" y1=\"{F(mid - 6)}\" x2=\"{F(x2)}\" y2=\"{F(mid + 6)}\"/></g>");
            }
            Value(svg, bar.ValueText, y);
        }
        return svg.Append("</svg>").ToString();
    }

    public static string Stacked(string title, IReadOnlyList<StackedBar> bars, IReadOnlyList<(string Name, string Color)> legend, Func<double, string> tick)
    {
        var max = NiceMax(bars.Select(b => b.Segments.Sum(s => s.Value)).DefaultIfEmpty(0).Max());
        const int legendHeight = 24;
        var height = Top + bars.Count * RowHeight + AxisHeight + legendHeight;
        var svg = Open(title, height);
        Axis(svg, bars.Count, max, tick);
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = Top + i * RowHeight;
            Label(svg, bar.Label, y);
            double x = LabelWidth;
            foreach (var (value, color, name) in bar.Segments)
            {
                var length = Scale(value, max);
                if (length > 0)
                {
                    Rect(svg, x, y, length, color, $"{bar.Label}: {name} {tick(value)}");
                }
                x += length;
            }
            Value(svg, bar.TotalText, y);
        }
        var legendY = Top + bars.Count * RowHeight + AxisHeight + 6;
        double legendX = LabelWidth;
        foreach (var (name, color) in legend)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(legendX)}\" y=\"{legendY}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"{F(legendX + 17)}\" y=\"{legendY + 10}\" class=\"legend\">{E(name)}</text>");
            legendX += 30 + name.Length * 7;
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>The next 1, 2, 2.5 or 5 × 10^k at or above the value, so the quarter ticks are round numbers.</summary>
    public static double NiceMax(double value)
    {
        if (value <= 0 || double.IsNaN(value))
        {
            return 1;
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1.0, 2.0, 2.5, 5.0, 10.0 })
        {
            if (step * magnitude >= value * 0.999999)
            {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static StringBuilder Open(string title, int height)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\" aria-label=\"{E(title)}\"><title>{E(title)}</title>");
        return svg;
    }

    private static void Axis(StringBuilder svg, int rows, double max, Func<double, string> tick)
    {
        var bottom = Top + rows * RowHeight;
        for (var t = 0; t <= 4; t++)
        {
            var x = LabelWidth + PlotWidth * t / 4.0;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{F(x)}\" y1=\"{Top}\" x2=\"{F(x)}\" y2=\"{bottom}\" stroke=\"#e5e7eb\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{F(x)}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{E(tick(max * t / 4))}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{LabelWidth}\" y1=\"{Top}\" x2=\"{LabelWidth}\" y2=\"{bottom}\" stroke=\"#9ca3af\"/>");
    }

    private static void Rect(StringBuilder svg, double x, int rowTop, double length, string color, string tooltip) =>
        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{F(x)}\" y=\"{rowTop + 6}\" width=\"{F(length)}\" height=\"{RowHeight - 12}\" fill=\"{color}\"><title>{E(tooltip)}</title></rect>");

    private static void Label(StringBuilder svg, string label, int y) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" x=\"{LabelWidth - 8}\" y=\"{y + RowHeight / 2 + 4}\" text-anchor=\"end\">{E(Shorten(label, 24))}<title>{E(label)}</title></text>");

    private static void Value(StringBuilder svg, string text, int y) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{LabelWidth + PlotWidth + 8}\" y=\"{y + RowHeight / 2 + 4}\">{E(text)}</text>");

    private static double Scale(double value, double max) => max <= 0 ? 0 : Math.Clamp(value / max, 0, 1) * PlotWidth;

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
