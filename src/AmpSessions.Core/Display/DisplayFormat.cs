using System.Globalization;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Containment;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Display;

/// <summary>
/// The one display rule for times, durations, tokens and tool calls, used by the module's format
/// views and the CLI's tables alike, so the same value reads the same everywhere:
/// <list type="bullet">
/// <item>times are local, <c>2026-12-02 20:56</c> (a clock time in a live stream: <c>20:56:11</c>);</item>
/// <item>durations are <c>1.7s</c> under a minute, <c>2m 03s</c> under an hour, <c>1h 02m</c> beyond;</item>
/// <item><b>Tokens</b> is what the model read and wrote afresh (input + output); cache reads and
/// writes are counted apart as <b>Cache</b>, never folded into Tokens;</item>
/// <item>tool calls read <c>Read, edit_file (2)</c>, most used first;</item>
/// <item>costs are US dollars, <c>$0.42</c> (under a cent with its digits, <c>$0.0031</c>); an unknown cost (no price) is <c>-</c>, never $0.</item>
/// </list>
/// Nothing shown is culture-dependent: output is the same on every machine.
/// </summary>
public static class DisplayFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>What a missing value shows as.</summary>
    public const string None = "-";

    public static string Cost(decimal? cost) => cost switch
    {
        null => None,
        0m => "$0.00",
        < 0.01m => string.Create(Invariant, $"${cost:0.00######}"),
        _ => string.Create(Invariant, $"${cost:0.00}"),
    };

    public static string Time(DateTimeOffset? time) => time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", Invariant) : None;

    public static string ClockTime(DateTimeOffset? time) => time is { } t ? t.ToLocalTime().ToString("HH:mm:ss", Invariant) : None;

    public static string Duration(TimeSpan? duration)
    {
        if (duration is not { } d)
        {
            return None;
        }
        if (d < TimeSpan.Zero)
        {
            d = TimeSpan.Zero;
        }
        if (d.TotalSeconds < 59.95)
        {
            return d.TotalSeconds.ToString("0.0", Invariant) + "s";
        }
        var seconds = (long)Math.Round(d.TotalSeconds);
        return seconds < 3600
            ? string.Create(Invariant, $"{seconds / 60}m {seconds % 60:00}s")
            : string.Create(Invariant, $"{seconds / 3600}h {seconds / 60 % 60:00}m");
    }

    /// <summary>Input + output tokens: what every "Tokens" column and label means.</summary>
    public static long TokenCount(TokenUsage usage) => usage.Input + usage.Output;

    /// <summary>Cache reads + writes: what every "Cache" column and label means.</summary>
    public static long CacheCount(TokenUsage usage) => usage.CacheRead + usage.CacheCreation;

    public static string Tokens(TokenUsage usage) => Count(TokenCount(usage));

    public static string Cache(TokenUsage usage) => Count(CacheCount(usage));

    /// <summary>The whole usage in one line: <c>239 (21 in, 218 out); cache 46,262 (15,636 written, 30,626 read)</c>.</summary>
    public static string TokenDetail(TokenUsage usage) =>
        $"{Tokens(usage)} ({Count(usage.Input)} in, {Count(usage.Output)} out); cache {Cache(usage)} ({Count(usage.CacheCreation)} written, {Count(usage.CacheRead)} read)";

    public static string Count(long count) => count.ToString("N0", Invariant);

    public static string ToolCalls(IReadOnlyDictionary<string, int>? calls) =>
        calls is null || calls.Count == 0 ? None
        : string.Join(", ", calls.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => c.Value == 1 ? c.Key : string.Create(Invariant, $"{c.Key} ({c.Value})")));

    public static string Commit(string? sha) => string.IsNullOrEmpty(sha) ? None : sha.Length > 7 ? sha[..7] : sha;

    /// <summary>"1 attempt", "3 attempts".</summary>
    public static string Plural(long count, string noun) => string.Create(Invariant, $"{count} {noun}{(count == 1 ? "" : "s")}");

    /// <summary>One line: whitespace runs (newlines too) become one space.</summary>
    public static string OneLine(string? text) => string.IsNullOrEmpty(text) ? "" : string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// The colour a session status is shown in, by name ($PSStyle.Foreground's): red for a session
    /// that will not go on until a person acts (Error, Blocked, Interrupted, Conflicted,
    /// BudgetExceeded), yellow for one waiting for an approval; null for the rest.
    /// </summary>
    public static string? StatusColor(SessionStatus status) => status switch
    {
        SessionStatus.Error or SessionStatus.Blocked or SessionStatus.Interrupted or SessionStatus.Conflicted or SessionStatus.BudgetExceeded => "Red",
        SessionStatus.AwaitingInput => "Yellow",
        _ => null,
    };

    /// <summary>
    /// What the guard did on a turn, for people: <c>12 allowed, 1 denied</c> and a line per call it
    /// did not allow (<c>denied Bash: git push origin (pushes are denied)</c>); <c>off: why</c> when it was off.
    /// </summary>
    public static string Guard(IReadOnlyList<GuardDecision>? decisions, string? guardOff)
    {
        // PowerShell passes $null to a string parameter as "".
        if (!string.IsNullOrEmpty(guardOff))
        {
            return "off: " + guardOff;
        }
        if (decisions is null || decisions.Count == 0)
        {
            return "on; no tool call reached it";
        }
        var counts = decisions.GroupBy(d => d.Verdict).OrderBy(g => g.Key)
            .Select(g => $"{g.Count()} {g.Key switch { GuardVerdict.Allow => "allowed", GuardVerdict.Ask => "asked", _ => "denied" }}");
        var notAllowed = decisions.Where(d => d.Verdict != GuardVerdict.Allow)
            .Select(d => $"{(d.Verdict == GuardVerdict.Ask ? "asked" : "denied")} {d.Tool}: {OneLine(d.Subject)}{(d.Reason is null ? "" : $" ({OneLine(d.Reason)})")}");
        return string.Join("\n", new[] { string.Join(", ", counts) }.Concat(notAllowed));
    }

    /// <summary>
    /// A budget with what was spent against it: <c>100,000 tokens, 30 min (spent 46,501 tokens with cache, $0.42, 1 iteration, 1.9s)</c>.
    /// Budgets count every token, cache reads and writes too, unlike the Tokens columns: the words say so.
    /// </summary>
    public static string Budget(Budgets.Budget budget, Budgets.BudgetSpending? spent)
    {
        if (spent is null)
        {
            return budget.ToString();
        }
        var parts = new List<string> { $"{Count(spent.Tokens)} tokens with cache" };
        if (spent.CostUsd is { } cost)
        {
            parts.Add(Cost(cost));
        }
        parts.Add(Plural(spent.Iterations, "iteration"));
        parts.Add(Duration(spent.Time));
        return $"{budget} (spent {string.Join(", ", parts)})";
    }
}
