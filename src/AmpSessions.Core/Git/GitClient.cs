using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Git;

/// <summary>
/// Typed access to the <c>git</c> executable for one working directory (a main checkout or a
/// worktree). Every call runs non-interactively with a stable locale; failures throw
/// <see cref="GitException"/>.
/// </summary>
public sealed class GitClient
{
    /// <summary>The identity used for commits when the user has none configured (documented in OPERATIONS.md).</summary>
    public const string FallbackName = "AmpSessions";
    public const string FallbackEmail = "amp-sessions@localhost";

    // Variables a parent git (a hook, an alias) may have set that would point us at another repository.
    private static readonly string[] InheritedGitVariables =
    [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES",
    ];

    /// <param name="workingDirectory">The main checkout or worktree git runs in.</param>
    /// <param name="gitExecutable">The git program.</param>
    /// <param name="inProcessReads">Answer reads through libgit2 where it is proven identical (<see cref="InProcessGit"/>); false: always the CLI.</param>
    public GitClient(string workingDirectory, string gitExecutable = "git", bool inProcessReads = true)
    {
        WorkingDirectory = workingDirectory;
        GitExecutable = gitExecutable;
        InProcessReads = inProcessReads;
    }

    /// <summary>Whether reads may be answered in process (libgit2) before asking the git CLI.</summary>
    public bool InProcessReads { get; }

    private bool InProcess => InProcessReads && InProcessGit.Enabled;

    public string WorkingDirectory { get; }

    public string GitExecutable { get; }

    /// <summary>The environment every git call gets: no prompts, no editors, no pager, English messages.</summary>
    public static IReadOnlyDictionary<string, string?> NonInteractiveEnvironment { get; } = BuildEnvironment();

    private static Dictionary<string, string?> BuildEnvironment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GCM_INTERACTIVE"] = "never",
            ["GIT_ASKPASS"] = null,
            ["SSH_ASKPASS"] = null,
            // ':' is git's own "no editor": commit, rebase and merge never wait for a person.
            ["GIT_EDITOR"] = ":",
            ["GIT_SEQUENCE_EDITOR"] = ":",
            ["GIT_MERGE_AUTOEDIT"] = "no",
            ["GIT_PAGER"] = "cat",
            ["PAGER"] = "cat",
            ["LC_ALL"] = "C",
            ["LANGUAGE"] = "C",
        };
        foreach (var name in InheritedGitVariables)
        {
            environment[name] = null;
        }
        return environment;
    }

    /// <summary>Runs git with the arguments; throws <see cref="GitException"/> on a non-zero exit unless <paramref name="allowFailure"/>.</summary>
    public async Task<ProcessResult> RunAsync(IEnumerable<string> arguments, bool allowFailure = false, string? standardInput = null,
        IReadOnlyDictionary<string, string?>? extraEnvironment = null, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "-c", "core.quotePath=false" };
        args.AddRange(arguments);
        var environment = new Dictionary<string, string?>(NonInteractiveEnvironment);
        if (extraEnvironment is not null)
        {
            foreach (var (name, value) in extraEnvironment)
            {
                environment[name] = value;
            }
        }
        var spec = new ProcessSpec(GitExecutable, args)
        {
            WorkingDirectory = WorkingDirectory,
            Environment = environment,
            StandardInput = standardInput,
        };
        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync(spec, (Func<OutputLine, LineDecision>?)null, cancellationToken).ConfigureAwait(false);
        }
        catch (ExecutableNotFoundException)
        {
            throw new ExecutableNotFoundException(GitExecutable, "AmpSessions drives Git through the git executable");
        }
        if (result.Cancelled)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (!allowFailure && result.ExitCode != 0)
        {
            throw new GitException(args.Skip(2).ToArray(), result.ExitCode, result.StandardError);
        }
        return result;
    }

    /// <summary>Runs git and returns stdout with the trailing newline removed.</summary>
    public async Task<string> ReadAsync(IEnumerable<string> arguments, CancellationToken cancellationToken = default) =>
        (await RunAsync(arguments, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput.TrimEnd('\n', '\r');

    /// <summary>Runs git, returning stdout when it succeeds and null when it exits non-zero.</summary>
    public async Task<string?> TryReadAsync(IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(arguments, allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 ? result.StandardOutput.TrimEnd('\n', '\r') : null;
    }

    // ---- Repository facts ----

    /// <summary>
    /// The common case in one git call: a non-bare working tree whose HEAD has a commit. Null for
    /// anything else (not a repository, bare, no commits yet, inside the .git folder); callers then
    /// ask the single questions below to say precisely what is wrong.
    /// </summary>
    public async Task<WorkingTreeFacts?> TryGetWorkingTreeFactsAsync(CancellationToken cancellationToken = default)
    {
        if (InProcess && InProcessGit.TryGetWorkingTreeFacts(WorkingDirectory) is { } known)
        {
            return known;
        }
        var output = await TryReadAsync(
            ["rev-parse", "--is-bare-repository", "--path-format=absolute", "--git-common-dir", "--git-dir", "--show-toplevel", "HEAD^{commit}"],
            cancellationToken).ConfigureAwait(false);
        return output?.Split('\n') is ["false", var commonDir, var gitDir, var topLevel, var head]
            ? new WorkingTreeFacts(GitPorcelain.NormalizePath(commonDir), GitPorcelain.NormalizePath(gitDir), GitPorcelain.NormalizePath(topLevel), head)
            : null;
    }

    /// <summary>Whether the working directory is inside a git repository (bare or not).</summary>
    public async Task<bool> IsRepositoryAsync(CancellationToken cancellationToken = default) =>
        await TryReadAsync(["rev-parse", "--git-dir"], cancellationToken).ConfigureAwait(false) is not null;

    public async Task<bool> IsBareAsync(CancellationToken cancellationToken = default) =>
        await TryReadAsync(["rev-parse", "--is-bare-repository"], cancellationToken).ConfigureAwait(false) == "true";

    /// <summary>The top of the working tree that contains the working directory.</summary>
    public async Task<string> GetTopLevelAsync(CancellationToken cancellationToken = default) =>
        GitPorcelain.NormalizePath(await ReadAsync(["rev-parse", "--show-toplevel"], cancellationToken).ConfigureAwait(false));

    /// <summary>The git directory shared by the main checkout and all its worktrees.</summary>
    public async Task<string> GetCommonDirAsync(CancellationToken cancellationToken = default) =>
        (InProcess ? InProcessGit.GetCommonDir(WorkingDirectory) : null) ?? GitPorcelain.NormalizePath(await ReadAsync(["rev-parse", "--path-format=absolute", "--git-common-dir"], cancellationToken).ConfigureAwait(false));

    /// <summary>This working tree's own git directory (for a worktree: .git/worktrees/&lt;name&gt;).</summary>
    public async Task<string> GetGitDirAsync(CancellationToken cancellationToken = default) =>
        (InProcess ? InProcessGit.GetGitDir(WorkingDirectory) : null) ?? GitPorcelain.NormalizePath(await ReadAsync(["rev-parse", "--path-format=absolute", "--git-dir"], cancellationToken).ConfigureAwait(false));

    /// <summary>The commit a revision names, or null when it names none.</summary>
    public Task<string?> ResolveCommitAsync(string revision, CancellationToken cancellationToken = default) =>
        InProcess && InProcessGit.ResolveCommit(WorkingDirectory, revision) is { } answer
            ? Task.FromResult(answer.Value)
            : TryReadAsync(["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"], cancellationToken);

    public async Task<bool> BranchExistsAsync(string branch, CancellationToken cancellationToken = default) =>
        (InProcess ? InProcessGit.BranchExists(WorkingDirectory, branch) : null) ?? (await RunAsync(["show-ref", "--verify", "--quiet", "refs/heads/" + branch], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false)).ExitCode == 0;

    public async Task<bool> IsValidBranchNameAsync(string branch, CancellationToken cancellationToken = default) =>
        (await RunAsync(["check-ref-format", "--branch", branch], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false)).ExitCode == 0;

    /// <summary>The branch checked out here, or null when HEAD is detached.</summary>
    public Task<string?> GetCurrentBranchAsync(CancellationToken cancellationToken = default) =>
        InProcess && InProcessGit.CurrentBranch(WorkingDirectory) is { } answer
            ? Task.FromResult(answer.Value)
            : TryReadAsync(["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken);

    /// <summary><c>git config --get</c>: the value git reads for <paramref name="key"/>, or null when it is not set.</summary>
    public Task<string?> GetConfigAsync(string key, CancellationToken cancellationToken = default) =>
        InProcess && InProcessGit.ConfigValue(WorkingDirectory, key) is { } answer
            ? Task.FromResult(answer.Value)
            : TryReadAsync(["config", "--get", key], cancellationToken);

    public Task<string?> MergeBaseAsync(string a, string b, CancellationToken cancellationToken = default) =>
        InProcess && InProcessGit.MergeBase(WorkingDirectory, a, b) is { } answer
            ? Task.FromResult(answer.Value)
            : TryReadAsync(["merge-base", a, b], cancellationToken);

    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken = default) =>
        (InProcess ? InProcessGit.IsAncestor(WorkingDirectory, ancestor, descendant) : null) ?? (await RunAsync(["merge-base", "--is-ancestor", ancestor, descendant], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false)).ExitCode == 0;

    /// <summary>Commits in <paramref name="head"/> not in <paramref name="upstream"/> (ahead) and the reverse (behind).</summary>
    public async Task<(int Ahead, int Behind)> CountAheadBehindAsync(string upstream, string head, CancellationToken cancellationToken = default)
    {
        if (InProcess && InProcessGit.CountAheadBehind(WorkingDirectory, upstream, head) is { } counted)
        {
            return counted;
        }
        var text = await ReadAsync(["rev-list", "--left-right", "--count", $"{upstream}...{head}"], cancellationToken).ConfigureAwait(false);
        var parts = text.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<GitStatus> GetStatusAsync(bool includeUntracked = true, CancellationToken cancellationToken = default)
    {
        var output = StatusInProcess(includeUntracked) ?? (await RunAsync(
            ["--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z", includeUntracked ? "--untracked-files=all" : "--untracked-files=no"],
            cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput;
        return GitPorcelain.ParseStatus(output);
    }

    /// <summary>
    /// <c>git status --porcelain=v2 --branch -z --untracked-files=all|no</c> read in process: the
    /// headers and records git prints, NUL-terminated; null when only the CLI can tell (see <see cref="InProcessGit.StatusRecords(string, bool)"/>).
    /// </summary>
    public string? StatusInProcess(bool includeUntracked) =>
        InProcess && InProcessGit.StatusRecords(WorkingDirectory, includeUntracked) is { } records
            ? string.Concat(records.Select(r => r + "\0"))
            : null;

    /// <summary>The lines <c>git diff --cached -U0 --no-renames --ignore-submodules=all</c> adds, read in process; null when only the CLI can tell.</summary>
    internal IReadOnlyList<(string Path, int Line, string Text)>? StagedAddedLinesInProcess() =>
        InProcess ? InProcessGit.StagedAddedLines(WorkingDirectory) : null;

    public async Task<IReadOnlyList<GitWorktree>> ListWorktreesAsync(CancellationToken cancellationToken = default)
    {
        var output = (await RunAsync(["worktree", "list", "--porcelain", "-z"], cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput;
        return GitPorcelain.ParseWorktreeList(output);
    }

    /// <summary><c>git diff --name-status -z</c> with the given revisions and options (for example a commit, or --cached).</summary>
    public async Task<IReadOnlyList<NameStatusEntry>> DiffNameStatusAsync(IEnumerable<string> diffArguments,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        var revisions = diffArguments.ToArray();
        if (InProcess && environment is null && revisions is [var from, var to] && !from.StartsWith('-') && !to.StartsWith('-')
            && InProcessGit.DiffCommits(WorkingDirectory, from, to) is { } changes)
        {
            return changes;
        }
        diffArguments = revisions;
        var args = new List<string> { "diff", "--name-status", "-z", "-M", "--no-ext-diff" };
        args.AddRange(diffArguments);
        var output = (await RunAsync(args, extraEnvironment: environment, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput;
        return GitPorcelain.ParseNameStatus(output);
    }

    /// <summary>The patch text of <c>git diff</c> with the given revisions and options.</summary>
    public async Task<string> DiffPatchAsync(IEnumerable<string> diffArguments, IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "diff", "--patch", "-M", "--no-color", "--no-ext-diff", "--no-textconv" };
        args.AddRange(diffArguments);
        return (await RunAsync(args, extraEnvironment: environment, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput;
    }

    // ---- Changes in a working tree ----

    /// <summary>
    /// Pathspecs that leave .env files out, in any letter case (.ENV is the same file on macOS and
    /// Windows, and a secrets file by any spelling).
    /// </summary>
    public static IReadOnlyList<string> SecretFileExcludes { get; } = [":(exclude,glob,icase)**/.env", ":(exclude,glob,icase)**/.env.*"];

    /// <summary>
    /// `git add --all` for everything except .env files: secrets files are never read (git would
    /// open them to hash them) and never committed by AmpSessions, even where the repository does
    /// not ignore them.
    /// </summary>
    public static IReadOnlyList<string> StageAllArguments { get; } = ["add", "--all", "--", ".", .. SecretFileExcludes];

    public Task StageAllAsync(CancellationToken cancellationToken = default) =>
        RunAsync(StageAllArguments, cancellationToken: cancellationToken);

    public async Task<bool> HasStagedChangesAsync(CancellationToken cancellationToken = default) =>
        (InProcess ? InProcessGit.HasStagedChanges(WorkingDirectory) : null) ?? (await RunAsync(["diff", "--cached", "--quiet"], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false)).ExitCode == 1;

    /// <summary>Commits what is staged; uses the fallback identity for whatever part of the user's identity is missing.</summary>
    public async Task<string> CommitAsync(string message, IEnumerable<string>? extraArguments = null, CancellationToken cancellationToken = default)
    {
        // --cleanup=whitespace, not strip: the message is never edited in an editor, so a line that
        // starts with '#' ("#42 fix login") is the user's text, not a comment to drop.
        var args = new List<string> { "commit", "--no-verify", "--no-gpg-sign", "--cleanup=whitespace", "--file=-" };
        if (extraArguments is not null)
        {
            args.AddRange(extraArguments);
        }
        // The usual case in one process: the user's identity is configured. useConfigOnly makes git
        // refuse to guess one, so a missing part fails here and gets the fallback below, as before.
        var first = await RunAsync(["-c", "user.useConfigOnly=true", .. args], allowFailure: true, standardInput: message, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (first.ExitCode != 0)
        {
            if (!IsMissingIdentity(first.StandardError))
            {
                throw new GitException(args, first.ExitCode, first.StandardError);
            }
            var environment = await GetIdentityFallbackAsync(cancellationToken).ConfigureAwait(false);
            await RunAsync(args, standardInput: message, extraEnvironment: environment, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        return await ResolveCommitAsync("HEAD", cancellationToken).ConfigureAwait(false)
            ?? await ReadAsync(["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether git failed because it found no user identity (so the fallback identity is needed).</summary>
    internal static bool IsMissingIdentity(string standardError) =>
        standardError.Contains("identity unknown", StringComparison.Ordinal)
        || standardError.Contains("auto-detection is disabled", StringComparison.Ordinal)
        || standardError.Contains("empty ident name", StringComparison.Ordinal);

    /// <summary>Whether there are untracked files that are not ignored; null when only the CLI could tell.</summary>
    public bool? HasUntrackedFilesInProcess() => InProcess ? InProcessGit.HasUntrackedFiles(WorkingDirectory) : null;

    /// <summary>Whether the index tracks any file under <paramref name="folder"/> (<c>git ls-files -- folder</c>).</summary>
    public async Task<bool> TracksAnythingUnderAsync(string folder, CancellationToken cancellationToken = default) =>
        (InProcess ? InProcessGit.TracksAnythingUnder(WorkingDirectory, folder) : null)
        ?? (await ReadAsync(["ls-files", "--", folder], cancellationToken).ConfigureAwait(false)).Length > 0;

    /// <summary>Whether git lists <paramref name="worktreePath"/> as a worktree of this repository that is not prunable.</summary>
    public async Task<bool> IsRegisteredWorktreeAsync(string worktreePath, StringComparison pathComparison, CancellationToken cancellationToken = default)
    {
        if (InProcess && InProcessGit.IsRegisteredWorktree(WorkingDirectory, worktreePath) is { } known)
        {
            return known;
        }
        var worktrees = await ListWorktreesAsync(cancellationToken).ConfigureAwait(false);
        // git lists physical paths: compare with symbolic links resolved (a symlinked .worktrees folder).
        var wanted = Path.TrimEndingDirectorySeparator(Storage.ResolvedPath.Of(worktreePath));
        return worktrees.Any(w => !w.IsPrunable && string.Equals(Path.TrimEndingDirectorySeparator(Storage.ResolvedPath.Of(w.Path)), wanted, pathComparison));
    }

    /// <summary>Author and committer variables for the parts of the identity git cannot find in config or the environment.</summary>
    public async Task<IReadOnlyDictionary<string, string?>> GetIdentityFallbackAsync(CancellationToken cancellationToken = default)
    {
        var environment = new Dictionary<string, string?>();
        var name = Environment.GetEnvironmentVariable("GIT_AUTHOR_NAME") ?? await GetConfigAsync("user.name", cancellationToken).ConfigureAwait(false);
        var email = Environment.GetEnvironmentVariable("GIT_AUTHOR_EMAIL") ?? await GetConfigAsync("user.email", cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(name))
        {
            environment["GIT_AUTHOR_NAME"] = FallbackName;
            environment["GIT_COMMITTER_NAME"] = FallbackName;
        }
        if (string.IsNullOrWhiteSpace(email))
        {
            environment["GIT_AUTHOR_EMAIL"] = FallbackEmail;
            environment["GIT_COMMITTER_EMAIL"] = FallbackEmail;
        }
        return environment;
    }

    // ---- Shared state: callers hold the RepositoryLock around these ----

    /// <summary>
    /// Makes <paramref name="branch"/> at <paramref name="startPoint"/> and checks it out in a new worktree at
    /// <paramref name="path"/>, in one process (<c>git worktree add -b</c>: one process start fewer than
    /// <c>git branch</c> + <c>git worktree add</c>). Git makes the branch first and leaves it behind when the path, the
    /// checkout or a post-checkout hook then fails, or when it is killed: the caller undoes that
    /// (<see cref="IsBranchAlreadyExistsFailure"/> tells apart the one failure where the branch is not its own).
    /// </summary>
    public Task AddWorktreeOnNewBranchAsync(string path, string branch, string startPoint, CancellationToken cancellationToken = default) =>
        RunAsync(["worktree", "add", "--quiet", "--no-track", "-b", branch, "--end-of-options", path, startPoint], cancellationToken: cancellationToken);

    /// <summary>Whether <c>worktree add -b</c> failed because the branch already existed (git's message; the locale is C).</summary>
    public static bool IsBranchAlreadyExistsFailure(Exception failure, string branch) =>
        failure is GitException git && git.StandardError.Contains($"a branch named '{branch}' already exists", StringComparison.Ordinal);

    public Task DeleteBranchAsync(string branch, bool force, CancellationToken cancellationToken = default) =>
        RunAsync(["branch", force ? "-D" : "-d", "--end-of-options", branch], cancellationToken: cancellationToken);

    public Task AddWorktreeAsync(string path, string branch, CancellationToken cancellationToken = default) =>
        RunAsync(["worktree", "add", "--quiet", path, branch], cancellationToken: cancellationToken);

    public Task RemoveWorktreeAsync(string path, bool force, CancellationToken cancellationToken = default) =>
        RunAsync(force ? ["worktree", "remove", "--force", "--force", path] : ["worktree", "remove", path], cancellationToken: cancellationToken);

    public Task PruneWorktreesAsync(CancellationToken cancellationToken = default) =>
        RunAsync(["worktree", "prune"], cancellationToken: cancellationToken);

    /// <summary>Moves a ref to a new value, only if it still holds <paramref name="expectedOldValue"/> (null: no check; empty: must not exist).</summary>
    public Task UpdateRefAsync(string refName, string newValue, string? expectedOldValue, string reason, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "update-ref", "-m", reason, refName, newValue };
        if (expectedOldValue is not null)
        {
            args.Add(expectedOldValue.Length == 0 ? new string('0', 40) : expectedOldValue);
        }
        return RunAsync(args, cancellationToken: cancellationToken);
    }

    public Task DeleteRefAsync(string refName, CancellationToken cancellationToken = default) =>
        RunAsync(["update-ref", "-d", refName], cancellationToken: cancellationToken);

    /// <summary>
    /// The refs that literal for-each-ref patterns name (a whole ref, or everything under a prefix)
    /// with what they point to, sorted by name; in process where libgit2 can answer.
    /// </summary>
    public async Task<IReadOnlyList<(string Ref, string Target)>> ListRefTipsAsync(IReadOnlyList<string> patterns, CancellationToken cancellationToken = default)
    {
        if (InProcess && InProcessGit.RefTips(WorkingDirectory, patterns) is { } known)
        {
            return known;
        }
        var output = await RunAsync(["for-each-ref", "--format=%(refname)%00%(objectname)", .. patterns], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        return output.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\0', 2))
            .Where(parts => parts.Length == 2)
            .Select(parts => (parts[0], parts[1]))
            .ToArray();
    }

    /// <summary>Refs under a prefix with their commits, newest name last.</summary>
    public async Task<IReadOnlyList<(string Ref, string Commit)>> ListRefsAsync(string prefix, CancellationToken cancellationToken = default)
    {
        if (InProcess && InProcessGit.RefTips(WorkingDirectory, [prefix]) is { } known)
        {
            return known;
        }
        var output = await ReadAsync(["for-each-ref", "--format=%(refname)%00%(objectname)", prefix], cancellationToken).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\0'))
            .Select(parts => (parts[0], parts[1]))
            .ToArray();
    }
}
