using System.Text.Json;
using System.Text.Json.Nodes;
using AmpSessions.Core.Display;
using AmpSessions.Core.Git;
using AmpSessions.Core.Serialization;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Cli.Commands;

/// <summary>The status command's JSON shape: the session's own fields, plus a "git" object of live state.</summary>
internal static class StatusView
{
    internal sealed record GitView(bool WorktreePresent, bool BranchPresent, string? CurrentBranch, string? Head, string? BaseHead, string? MergeBase,
        int Ahead, int Behind, bool RebaseInProgress, IReadOnlyList<string> ConflictedPaths, IReadOnlyList<StatusEntry> ChangedFiles);

    public static JsonObject From(SessionState state)
    {
        var json = JsonOutput.SerializeToNode(state.Session, Output.JsonOptions)!.AsObject();
        json["budgetSpent"] = JsonOutput.SerializeToNode(state.BudgetSpent, Output.JsonOptions);
        json["costUsd"] = state.CostUsd;
        json["git"] = JsonOutput.SerializeToNode(new GitView(state.WorktreePresent, state.BranchPresent, state.CurrentBranch, state.Head,
            state.BaseHead, state.MergeBase, state.Ahead, state.Behind, state.RebaseInProgress, state.ConflictedPaths, state.ChangedFiles), Output.JsonOptions);
        return json;
    }

    public static void Render(SessionState state, Output output)
    {
        var s = state.Session;
        output.Line($"Session {s.Id} \"{s.Name}\"  [{s.Status}]{(s.StatusMessage is null ? "" : $" {s.StatusMessage}")}");
        output.Line($"  prompt:   {s.Prompt.ReplaceLineEndings(" ")}");
        output.Line($"  repo:     {s.RepoRoot}");
        output.Line($"  branch:   {s.BranchName}{(state.BranchPresent ? "" : " (missing)")}  head {CommandContext.Short(state.Head)}");
        output.Line($"  base:     {s.BaseBranch}  {state.Ahead} ahead, {state.Behind} behind");
        output.Line($"  worktree: {s.WorktreePath}{(state.WorktreePresent ? "" : " (missing: run amp-sessions repair)")}");
        if (s.ScriptCommand is not null) output.Line($"  script:   {s.ScriptCommand}");
        if (s.ModelOverride is not null) output.Line($"  model:    {s.ModelOverride}");
        if (!s.Budget.IsEmpty) output.Line($"  budget:   {BudgetOptions.Describe(s.Budget, state.BudgetSpent)}");
        if (state.CostUsd is { } cost) output.Line($"  cost:     {DisplayFormat.Cost(cost)}");
        if (state.RebaseInProgress) output.Line($"  rebase in progress: amp-sessions rebase {s.Id} --continue | --abort");
        if (state.ChangedFiles.Count > 0)
        {
            output.Line($"  uncommitted changes ({state.ChangedFiles.Count}):");
            foreach (var change in state.ChangedFiles)
            {
                output.Line($"    {change.IndexStatus}{change.WorkTreeStatus} {change.Path}");
            }
        }
    }
}
