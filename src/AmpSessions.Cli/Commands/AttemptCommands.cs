using System.CommandLine;
using AmpSessions.Core.Attempts;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>Best-of-N: `new --attempts N` (options added to `new`) and `attempts &lt;group&gt; [--keep &lt;id&gt;]`.</summary>
internal static class AttemptCommands
{
    public static readonly Option<int?> Attempts = new("--attempts")
    {
        Description = "Best-of-N: make this many sessions of the same task (2 to 10), run their first iterations in parallel, compare them and propose one.",
        HelpName = "N",
    };

    public static readonly Option<string[]> AttemptAgents = new("--attempt-agent")
    {
        Description = "With --attempts: an agent for the attempts to cycle through (repeatable); without --attempts, one attempt per agent.",
        HelpName = "agent",
    };

    public static readonly Option<string[]> AttemptModes = new("--attempt-mode")
    {
        Description = "With --attempts: an agent mode for the attempts to cycle through (repeatable).",
        HelpName = "mode",
    };

    public static readonly Option<bool> NoRun = new("--no-run") { Description = "With --attempts: only create the attempts; run and compare them later." };

    public static bool Requested(ParseResult p) =>
        p.GetValue(Attempts) is not null || (p.GetValue(AttemptAgents)?.Length ?? 0) > 0 || (p.GetValue(AttemptModes)?.Length ?? 0) > 0;

    /// <summary>`new` with --attempts: the attempts, then their comparison.</summary>
    public static async Task<int> NewAsync(ParseResult p, Output output, Core.Sessions.NewSessionRequest request, CancellationToken ct)
    {
        var comparison = await new AttemptService(OpenContext(p)).CreateAsync(new NewAttemptsRequest
        {
            Session = request,
            Count = p.GetValue(Attempts),
            Agents = p.GetValue(AttemptAgents) ?? [],
            Modes = p.GetValue(AttemptModes) ?? [],
            Run = !p.GetValue(NoRun),
        }, finished => output.Note($"attempt {finished.Iteration.SessionId}: iteration {finished.Iteration.Number} {finished.Iteration.Status}"), ct);
        output.Result(comparison, c => Render(c, output));
        return CliApplication.Success;
    }

    public static void AddTo(RootCommand root)
    {
        var group = new Argument<string>("group") { Description = "The attempt group (as `new --attempts` printed it), or the id of one of its sessions." };
        var keep = new Option<string?>("--keep") { Description = "Keep this attempt and archive the others (a backup ref of each is kept); `--keep proposed` keeps the proposed one.", HelpName = "id" };
        root.Add("attempts", "Compare the attempts of a best-of-N group (tests, regressions, diff size, tokens, cost, time) and show the proposed one; --keep keeps one and archives the rest.", async (p, output, ct) =>
        {
            var service = new AttemptService(OpenContext(p));
            var keepId = p.GetValue(keep);
            var comparison = keepId is null
                ? await service.CompareAsync(p.GetValue(group)!, ct)
                : await service.KeepAsync(p.GetValue(group)!, keepId == "proposed" ? null : keepId, ct);
            output.Result(comparison, c => Render(c, output));
            return CliApplication.Success;
        }, group, keep);
    }

    private static void Render(AttemptComparison c, Output output)
    {
        output.Line($"Attempt group {c.Group}: {FirstLine(c.Prompt)}");
        output.Table(["", "ID", "STATUS", "TESTS", "LINES", "FILES", "TOKENS", "COST", "TIME"],
            c.Attempts.Select(a => (IReadOnlyList<string>)[
                a.SessionId == c.KeptId ? "kept" : a.Proposed ? "*" : "",
                a.SessionId, a.Status.ToString(),
                a.TestsPassed switch { true => "pass", false => a.Regression ? "FAIL (regr)" : "FAIL", null => "-" },
                Core.Display.DisplayFormat.Count(a.ChangedLines), Core.Display.DisplayFormat.Count(a.FilesChanged), Core.Display.DisplayFormat.Count(a.Tokens),
                Core.Display.DisplayFormat.Cost(a.CostUsd), IterationCommands.Seconds(a.Duration)]));
        output.Line($"Proposed: {c.Reason}");
        if (c.KeptId is not null)
        {
            output.Line($"Kept {c.KeptId}; the other attempts are archived with backup refs (amp-sessions backups <id>).");
        }
        else if (c.ProposedId is not null)
        {
            output.Line($"Keep it: amp-sessions attempts {c.Group} --keep {c.ProposedId}");
        }
    }

    private static string FirstLine(string text) => text.ReplaceLineEndings("\n").Split('\n')[0];
}
