using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Cli.Commands;

/// <summary>The status command's JSON shape: the session's fields with a "git" object of live state.</summary>
internal sealed record StatusView
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Prompt { get; init; }
    public required string RepoRoot { get; init; }
    public required string BaseBranch { get; init; }
    public required string BaseCommit { get; init; }
    public required string BranchName { get; init; }
    public required string WorktreePath { get; init; }
    public required SessionStatus Status { get; init; }
    public string? StatusMessage { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public string? ScriptCommand { get; init; }
    public string? ModelOverride { get; init; }
    public string? AgentMode { get; init; }
    public string? Notes { get; init; }
    public required GitView Git { get; init; }

    internal sealed record GitView(bool WorktreePresent, bool BranchPresent, string? CurrentBranch, string? Head, string? BaseHead, string? MergeBase,
        int Ahead, int Behind, bool RebaseInProgress, IReadOnlyList<string> ConflictedPaths, IReadOnlyList<StatusEntry> ChangedFiles);

    public static StatusView From(SessionState state)
    {
        var s = state.Session;
        return new StatusView
        {
            Id = s.Id, Name = s.Name, Prompt = s.Prompt, RepoRoot = s.RepoRoot, BaseBranch = s.BaseBranch, BaseCommit = s.BaseCommit,
            BranchName = s.BranchName, WorktreePath = s.WorktreePath, Status = s.Status, StatusMessage = s.StatusMessage,
            CreatedAt = s.CreatedAt, LastRunAt = s.LastRunAt, ScriptCommand = s.ScriptCommand, ModelOverride = s.ModelOverride,
            AgentMode = s.AgentMode, Notes = s.Notes,
            Git = new GitView(state.WorktreePresent, state.BranchPresent, state.CurrentBranch, state.Head, state.BaseHead, state.MergeBase,
                state.Ahead, state.Behind, state.RebaseInProgress, state.ConflictedPaths, state.ChangedFiles),
        };
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
