using System.CommandLine;
using AmpSessions.Core.Integration;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>`queue`: land several sessions on one base in one run.</summary>
internal static class QueueCommands
{
    public static void AddTo(RootCommand root)
    {
        var sessions = new Argument<string[]>("sessions") { Description = "The sessions to land: ids, unique id prefixes or names.", Arity = ArgumentArity.OneOrMore };
        var baseBranch = new Option<string?>("--base") { Description = "The branch they land on (default: the base they share).", HelpName = "branch" };
        var squash = new Option<bool>("--squash") { Description = "Squash each session into one commit as it lands." };
        var timeout = IterationCommands.TimeoutOption("The time limit of each test script run (default: the session's, else 30 minutes).");
        root.Add("queue", "Land several sessions on one base: predict conflicts with git merge-tree, land the most work that does not conflict, rebase and test each before it lands (backups kept); the rest are reported with reasons.", async (p, output, ct) =>
        {
            var result = await new MergeQueue(OpenContext(p)).RunAsync(new MergeQueueRequest
            {
                Sessions = p.GetValue(sessions) ?? [],
                BaseBranch = p.GetValue(baseBranch),
                Squash = p.GetValue(squash),
                ScriptTimeout = p.GetValue(timeout),
            }, output.Note, ct);
            output.Result(result, r =>
            {
                output.Line($"Merge queue on {r.BaseBranch}: {Short(r.OldBaseCommit)} -> {Short(r.NewBaseCommit)}, {r.Merged.Count} landed, {r.Skipped.Count} left out.");
                foreach (var landing in r.Landings)
                {
                    var tests = landing.TestsPassed switch { true => "tests passed", false => "tests FAILED", null => "no tests" };
                    output.Line($"  landed   {landing.Id}  at {Short(landing.NewBaseCommit)}  {landing.ChangedLines} lines  {tests}  backup {landing.BackupRef}");
                }
                foreach (var skip in r.Skipped)
                {
                    output.Line($"  left out {skip.Id}: {skip.Reason}");
                }
            });
            return result.Skipped.Count == 0 ? CliApplication.Success : CliApplication.Failed;
        }, sessions, baseBranch, squash, timeout);
    }
}
