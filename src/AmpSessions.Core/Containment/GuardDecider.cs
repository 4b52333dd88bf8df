using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AmpSessions.Core.Containment;

/// <summary>
/// The guard's rules for one tool call. File tools (edit_file, create_file, delete_file, apply_patch)
/// may only write inside the session's worktree. Shell commands (Bash, shell_command) may not cd out
/// of it, may not change the main checkout (git checkout, switch, reset, commit, merge... run there,
/// writes and removals of its files), may not touch the base branch from the worktree (branch -D,
/// branch -f, update-ref, checkout of it), may not change the shared git configuration or worktree
/// registry, and may not push unless the session allows it. What passes is allowed for file tools
/// (Amp allows them by default) and, for shell tools, when the session allows the tool; otherwise it
/// needs approval, as it would without the guard.
/// </summary>
/// <remarks>
/// Written by hand: no .NET library parses POSIX shell command lines. The parser follows quoting,
/// escapes, operators and redirections closely enough to find the words that matter; what it cannot
/// resolve (a cd to a variable) is denied, and the detector still compares the main checkout after the turn.
/// </remarks>
public static class GuardDecider
{
    public static readonly IReadOnlyList<string> FileTools = ["edit_file", "create_file", "delete_file", "apply_patch"];
    public static readonly IReadOnlyList<string> ShellTools = ["Bash", "shell_command", "async_shell_command"];

    private static readonly HashSet<string> MutatingGit = new(StringComparer.Ordinal)
    {
        "checkout", "switch", "reset", "restore", "commit", "merge", "rebase", "pull", "push", "cherry-pick", "revert", "am", "apply",
        "stash", "clean", "rm", "mv", "add", "branch", "tag", "update-ref", "update-index", "symbolic-ref", "worktree", "gc", "prune",
        "fetch", "remote", "config", "replace", "notes", "filter-branch", "reflog", "init", "clone", "submodule", "sparse-checkout",
    };

    private static readonly HashSet<string> Writers = new(StringComparer.Ordinal)
    {
        "rm", "rmdir", "mv", "cp", "touch", "mkdir", "tee", "ln", "chmod", "chown", "truncate", "install", "rsync", "unlink", "dd",
    };

    private static readonly HashSet<string> ConfigReads = new(StringComparer.Ordinal)
    {
        "--get", "--get-all", "--get-regexp", "--list", "-l", "--show-origin", "--show-scope", "--name-only", "--null", "-z",
    };

    /// <summary>The decision about one tool call, given its name and its input as JSON.</summary>
    public static (GuardVerdict Verdict, string Subject, string? Reason) Decide(GuardPolicy policy, string tool, string inputJson)
    {
        ArgumentNullException.ThrowIfNull(policy);
        JsonObject input;
        try
        {
            input = JsonNode.Parse(string.IsNullOrWhiteSpace(inputJson) ? "{}" : inputJson) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return (GuardVerdict.Deny, Shorten(inputJson), "the tool input is not JSON, so the guard cannot tell what it does");
        }
        if (FileTools.Contains(tool))
        {
            var paths = FilePaths(tool, input).ToList();
            var outside = paths.FirstOrDefault(p => !Inside(Resolve(p, policy.Worktree), policy.Worktree));
            var gitFile = paths.Select(p => Resolve(p, policy.Worktree)).FirstOrDefault(p => IsGitMetadata(p, policy));
            var subject = paths.Count == 0 ? tool : string.Join(", ", paths);
            if (outside is not null)
            {
                return (GuardVerdict.Deny, Shorten(subject), $"{tool} of {outside} is outside the session's worktree {policy.Worktree}: edit files only inside it");
            }
            if (gitFile is not null)
            {
                return (GuardVerdict.Deny, Shorten(subject), $"{tool} of {gitFile} would change git's own files: use git commands inside the worktree instead");
            }
            return (GuardVerdict.Allow, Shorten(subject), null);
        }
        if (ShellTools.Contains(tool))
        {
            var command = Text(input, tool == "Bash" ? "cmd" : "command") ?? Text(input, "command") ?? Text(input, "cmd") ?? "";
            var cwd = Text(input, "cwd") is { Length: > 0 } dir ? Resolve(dir, policy.Worktree) : policy.Worktree;
            if (DecideShell(policy, command, cwd) is { } reason)
            {
                return (GuardVerdict.Deny, Shorten(command), reason);
            }
            var allowed = policy.AllowAll || policy.AllowedTools.Contains(tool, StringComparer.Ordinal);
            return allowed
                ? (GuardVerdict.Allow, Shorten(command), null)
                : (GuardVerdict.Ask, Shorten(command), $"{tool} needs approval for this session (allow it with the session's allowed tools)");
        }
        return (GuardVerdict.Allow, tool, null);
    }

    private static IEnumerable<string> FilePaths(string tool, JsonObject input)
    {
        foreach (var key in new[] { "path", "file_path", "target_file" })
        {
            if (Text(input, key) is { Length: > 0 } path)
            {
                yield return path;
            }
        }
        if (tool != "apply_patch")
        {
            yield break;
        }
        // A patch names its files in its headers: "*** Update File: x", "+++ b/x", ...
        foreach (var (_, value) in input)
        {
            if (value is not JsonValue text || !text.TryGetValue<string>(out var patch))
            {
                continue;
            }
            foreach (var line in patch.Split('\n'))
            {
                foreach (var marker in new[] { "*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ", "+++ b/", "--- a/", "+++ ", "--- " })
                {
                    if (line.StartsWith(marker, StringComparison.Ordinal))
                    {
                        var path = line[marker.Length..].Trim();
                        if (path.Length > 0 && path != "/dev/null")
                        {
                            yield return path;
                        }
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Why the command must not run, or null when the guard has nothing against it.</summary>
    private static string? DecideShell(GuardPolicy policy, string command, string startDirectory)
    {
        var cwd = startDirectory;
        if (!Inside(cwd, policy.Worktree))
        {
            return $"the command would run in {cwd}, outside the session's worktree {policy.Worktree}";
        }
        foreach (var segment in Segments(command))
        {
            var words = segment.Words;
            var index = 0;
            while (index < words.Count && IsAssignment(words[index]))
            {
                var (name, value) = Split(words[index]);
                if (name is "GIT_DIR" or "GIT_WORK_TREE" or "GIT_COMMON_DIR" && !Inside(Resolve(value, cwd), policy.Worktree))
                {
                    return $"{name}={value} points git outside the session's worktree";
                }
                index++;
            }
            foreach (var target in segment.Redirections)
            {
                if (TouchesMainCheckout(Resolve(target, cwd), policy) is { } where)
                {
                    return $"the command writes to {where}, in the main checkout {policy.MainCheckout}: write only inside the worktree";
                }
            }
            if (index >= words.Count)
            {
                continue;
            }
            var program = Path.GetFileName(words[index]);
            var args = words.Skip(index + 1).ToList();
            switch (program)
            {
                case "cd" or "pushd":
                    var target = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "~";
                    if (target.Contains('$') || target == "-")
                    {
                        return $"`{program} {target}` goes somewhere the guard cannot tell: stay in the worktree {policy.Worktree}";
                    }
                    var next = Resolve(target, cwd);
                    if (!Inside(next, policy.Worktree))
                    {
                        return $"`{program} {target}` leaves the session's worktree for {next}: work only inside {policy.Worktree}";
                    }
                    cwd = next;
                    break;
                case "git":
                    if (DecideGit(policy, args, cwd) is { } reason)
                    {
                        return reason;
                    }
                    break;
                default:
                    var writes = Writers.Contains(program) || (program is "sed" or "perl" && args.Any(a => a.StartsWith("-i", StringComparison.Ordinal)));
                    if (writes && args.Where(a => !a.StartsWith('-')).Select(a => TouchesMainCheckout(Resolve(a.Split('=').Last(), cwd), policy)).FirstOrDefault(w => w is not null) is { } path)
                    {
                        return $"`{program}` would change {path}, in the main checkout {policy.MainCheckout}: change only files inside the worktree";
                    }
                    break;
            }
        }
        return null;
    }

    private static string? DecideGit(GuardPolicy policy, IReadOnlyList<string> args, string cwd)
    {
        var directory = cwd;
        string? gitDir = null;
        var i = 0;
        for (; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "-C" && i + 1 < args.Count)
            {
                directory = Resolve(args[++i], directory);
            }
            else if (arg is "--git-dir" or "--work-tree" && i + 1 < args.Count)
            {
                gitDir = Resolve(args[++i], directory);
            }
            else if (arg.StartsWith("--git-dir=", StringComparison.Ordinal) || arg.StartsWith("--work-tree=", StringComparison.Ordinal))
            {
                gitDir = Resolve(arg[(arg.IndexOf('=') + 1)..], directory);
            }
            else if (arg is "-c" or "--exec-path" or "--namespace" && i + 1 < args.Count)
            {
                i++;
            }
            else if (!arg.StartsWith('-'))
            {
                break;
            }
        }
        if (i >= args.Count)
        {
            return null;
        }
        var sub = args[i];
        var rest = args.Skip(i + 1).ToList();
        var elsewhere = !Inside(directory, policy.Worktree) ? directory : gitDir is not null && !Inside(gitDir, policy.Worktree) ? gitDir : null;
        if (elsewhere is not null && MutatingGit.Contains(sub))
        {
            return $"`git {sub}` would run in {elsewhere}, outside the session's worktree (the main checkout is the user's): run git only inside {policy.Worktree}";
        }
        var names = rest.Where(a => !a.StartsWith('-')).ToList();
        bool NamesBase() => names.Any(n => n == policy.BaseBranch || n == "refs/heads/" + policy.BaseBranch || n.EndsWith(":" + policy.BaseBranch, StringComparison.Ordinal)
            || n.EndsWith(":refs/heads/" + policy.BaseBranch, StringComparison.Ordinal));
        switch (sub)
        {
            case "push" when !policy.AllowPush:
                return "`git push` is not allowed for this session: the person who owns the work pushes it (or allows pushing for the session)";
            case "branch" when rest.Any(a => a is "-D" or "-d" or "--delete" or "-f" or "--force" or "-m" or "-M" or "--move" or "-c" or "-C") && NamesBase():
                return $"`git branch {string.Join(' ', rest)}` would change the base branch {policy.BaseBranch}, which the main checkout uses";
            case "checkout" or "switch" when NamesBase():
                return $"`git {sub} {policy.BaseBranch}` would take the base branch away from the main checkout: stay on the session's branch {policy.SessionBranch}";
            case "update-ref" or "symbolic-ref" when NamesBase():
                return $"`git {sub}` would move the base branch {policy.BaseBranch}";
            case "worktree" when names.FirstOrDefault() is "remove" or "move" or "prune" or "add" or "lock" or "unlock" or "repair":
                return $"`git worktree {names[0]}` changes the repository's worktrees, which AmpSessions manages";
            case "config" when !rest.Any(a => ConfigReads.Contains(a)) && names.Count >= 2 || rest.Any(a => a is "--unset" or "--unset-all" or "--add" or "--replace-all" or "--remove-section" or "--rename-section" or "--edit" or "-e"):
                return "`git config` would change the repository's shared configuration (the main checkout's .git/config)";
        }
        return null;
    }

    /// <summary>The path when it is in the main checkout (its files or the shared .git) but not in the session's worktree; else null.</summary>
    private static string? TouchesMainCheckout(string path, GuardPolicy policy) =>
        (Inside(path, policy.MainCheckout) || Inside(path, policy.GitCommonDir)) && !Inside(path, policy.Worktree) || IsGitMetadata(path, policy) ? path : null;

    private static bool IsGitMetadata(string path, GuardPolicy policy) =>
        Inside(path, policy.GitCommonDir) || Inside(path, Path.Combine(policy.Worktree, ".git"));

    private static bool Inside(string path, string folder)
    {
        // As SessionManager.PathComparison; not called, so the guard process loads nothing but this assembly.
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var full = Path.TrimEndingDirectorySeparator(path);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return full.Equals(root, comparison) || full.StartsWith(root + Path.DirectorySeparatorChar, comparison)
            || (Path.AltDirectorySeparatorChar != Path.DirectorySeparatorChar && full.StartsWith(root + Path.AltDirectorySeparatorChar, comparison));
    }

    /// <summary>A path as the shell would see it from <paramref name="directory"/>: ~ and $HOME expanded, . and .. folded.</summary>
    private static string Resolve(string path, string directory)
    {
        var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var expanded = path == "~" ? home
            : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..])
            : path.StartsWith("$HOME", StringComparison.Ordinal) ? home + path[5..]
            : path.StartsWith("${HOME}", StringComparison.Ordinal) ? home + path[7..]
            : path;
        try
        {
            return Path.GetFullPath(Path.IsPathRooted(expanded) ? expanded : Path.Combine(directory, expanded));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return Path.Combine(directory, expanded);
        }
    }

    private sealed record Segment(List<string> Words, List<string> Redirections);

    /// <summary>The simple commands of a command line: words (quotes removed) and redirection targets, split at ; &amp;&amp; || | &amp; ( ) and newlines.</summary>
    private static List<Segment> Segments(string command)
    {
        var segments = new List<Segment>();
        var words = new List<string>();
        var redirections = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var redirectNext = false;

        void EndWord()
        {
            if (!inWord)
            {
                return;
            }
            if (redirectNext)
            {
                redirections.Add(word.ToString());
                redirectNext = false;
            }
            else
            {
                words.Add(word.ToString());
            }
            word.Clear();
            inWord = false;
        }

        void EndSegment()
        {
            EndWord();
            if (words.Count > 0 || redirections.Count > 0)
            {
                segments.Add(new Segment([.. words], [.. redirections]));
            }
            words.Clear();
            redirections.Clear();
        }

        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            switch (c)
            {
                case '\'':
                    var close = command.IndexOf('\'', i + 1);
                    word.Append(close < 0 ? command[(i + 1)..] : command[(i + 1)..close]);
                    inWord = true;
                    i = close < 0 ? command.Length : close;
                    break;
                case '"':
                    i++;
                    while (i < command.Length && command[i] != '"')
                    {
                        if (command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }
                        word.Append(command[i]);
                        i++;
                    }
                    inWord = true;
                    break;
                case '\\' when i + 1 < command.Length:
                    word.Append(command[++i]);
                    inWord = true;
                    break;
                case ' ' or '\t':
                    EndWord();
                    break;
                case ';' or '\n' or '|' or '&' or '(' or ')' or '`':
                    EndSegment();
                    break;
                case '$' when i + 1 < command.Length && command[i + 1] == '(':
                    EndSegment();
                    i++;
                    break;
                case '>':
                    // "2>", "&>" and ">>" redirect too; "2>&1" duplicates a descriptor and names no file.
                    if (inWord && word.ToString().All(char.IsDigit))
                    {
                        word.Clear();
                        inWord = false;
                    }
                    EndWord();
                    if (i + 1 < command.Length && command[i + 1] == '>')
                    {
                        i++;
                    }
                    if (i + 1 < command.Length && command[i + 1] == '&')
                    {
                        i++;
                        while (i + 1 < command.Length && char.IsDigit(command[i + 1]))
                        {
                            i++;
                        }
                        break;
                    }
                    redirectNext = true;
                    break;
                case '<':
                    EndWord();
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        EndSegment();
        return segments;
    }

    private static bool IsAssignment(string word)
    {
        var equals = word.IndexOf('=');
        return equals > 0 && word[..equals].All(c => char.IsLetterOrDigit(c) || c == '_') && !char.IsDigit(word[0]);
    }

    private static (string Name, string Value) Split(string assignment)
    {
        var equals = assignment.IndexOf('=');
        return (assignment[..equals], assignment[(equals + 1)..]);
    }

    private static string? Text(JsonObject input, string key) => input[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 200 ? line : line[..199] + "…";
    }
}
