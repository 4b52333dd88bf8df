using System.Text.Json;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Evaluation;

/// <summary>How to read an instance file: where repositories are, and the test command of instances that name none.</summary>
public sealed record InstanceFileOptions
{
    /// <summary>The `repositories:` table: SWE-bench's repo ("owner/name") to a local folder (absolute) or a clone URL.</summary>
    public IReadOnlyDictionary<string, string> Repositories { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Where clones of URLs in the table go (the data directory's repositories/); null: URLs are refused.</summary>
    public string? CloneRoot { get; init; }

    /// <summary>The test command of instances without test_command.</summary>
    public string? DefaultTestCommand { get; init; }

    public string GitExecutable { get; init; } = "git";

    /// <summary>Extra glob patterns for test files (commit pairs split their fix into tests and source by them).</summary>
    public IReadOnlyList<string> TestPathPatterns { get; init; } = [];
}

/// <summary>
/// Reads evaluation instances from a JSON array or a JSONL file: SWE-bench instances (their own keys,
/// FAIL_TO_PASS and PASS_TO_PASS as lists or as strings holding lists) and commit pairs of a
/// repository's history (<c>{id, repo, bug_commit, fix_commit, test_command, prompt}</c>: the fix's
/// test changes become the test patch, its source changes the gold patch). Every problem is reported
/// with file:line:column, like the batch file; commits are checked to exist, one git call per repository.
/// </summary>
public static class InstanceFile
{
    /// <summary>SWE-bench's keys, ours, and the commit pair's.</summary>
    public static readonly IReadOnlyList<string> KnownKeys =
    [
        "instance_id", "repo", "base_commit", "problem_statement", "patch", "test_patch", "FAIL_TO_PASS", "PASS_TO_PASS",
        "version", "environment_setup_commit", "hints_text", "created_at", "repo_path", "test_command",
        "id", "bug_commit", "fix_commit", "prompt",
    ];

    /// <summary>Reads and checks the file; a bad file throws <see cref="BatchFileException"/> with every problem.</summary>
    public static IReadOnlyList<EvaluationInstance> Load(string path, InstanceFileOptions options)
    {
        var errors = new List<BatchFileError>();
        var instances = Read(path, options, errors);
        if (errors.Count > 0)
        {
            throw new BatchFileException(errors);
        }
        return instances;
    }

    /// <summary>Reads the file, adding problems to <paramref name="errors"/> (the batch file parser collects them with its own).</summary>
    public static IReadOnlyList<EvaluationInstance> Read(string path, InstanceFileOptions options, List<BatchFileError> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new AmpSessionsException("AmpInstancesFileNotFound", ErrorKind.NotFound,
                $"The instances file '{fullPath}' does not exist: check the path (a JSON array or JSONL of SWE-bench-style instances, see docs/EVALUATION.md).", fullPath);
        }
        var before = errors.Count;
        var (records, problems) = JsonRecords.Read(File.ReadAllText(fullPath));
        foreach (var problem in problems)
        {
            errors.Add(new BatchFileError(fullPath, problem.Line, problem.Column, BatchFileErrorKind.SyntaxError, problem.Message));
        }
        if (records.Count == 0 && problems.Count == 0)
        {
            errors.Add(new BatchFileError(fullPath, 1, 1, BatchFileErrorKind.EmptyFile, "The instances file holds no instances: write one JSON object per line, or a JSON array of objects."));
        }
        var reader = new RecordReader(fullPath, options, errors);
        var instances = new List<EvaluationInstance>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (reader.Read(record) is not { } instance)
            {
                continue;
            }
            if (seen.TryGetValue(instance.InstanceId, out var firstLine))
            {
                reader.Error(record, "instance_id", BatchFileErrorKind.DuplicateId, $"Instance '{instance.InstanceId}' appears twice (first at line {firstLine}): instance ids must be unique.");
                continue;
            }
            seen[instance.InstanceId] = record.Line;
            instances.Add(instance);
        }
        if (errors.Count > before)
        {
            return instances;
        }
        return CheckCommits(instances, options, errors);
    }

    /// <summary>Every base (and fix) commit must exist in its repository; commit pairs get their patches from the fix's diff.</summary>
    private static List<EvaluationInstance> CheckCommits(List<EvaluationInstance> instances, InstanceFileOptions options, List<BatchFileError> errors)
    {
        var result = new List<EvaluationInstance>();
        foreach (var group in instances.GroupBy(i => i.RepositoryPath, StringComparer.Ordinal))
        {
            var git = new GitClient(group.Key, options.GitExecutable);
            var revisions = group.SelectMany(i => i.FixCommit is null ? [i.BaseCommit] : new[] { i.BaseCommit, i.FixCommit }).Distinct(StringComparer.Ordinal).ToList();
            var found = ExistingCommits(git, revisions);
            if (found is null)
            {
                var first = group.First();
                errors.Add(Error(first, BatchFileErrorKind.PathNotFound, $"'{group.Key}' (the repository of instance '{first.InstanceId}') is not a Git repository: clone it there, or fix repo_path / the repositories table."));
                continue;
            }
            var splitter = new TestFileRules(options.TestPathPatterns);
            foreach (var instance in group)
            {
                var missing = new[] { instance.BaseCommit, instance.FixCommit }.Where(c => c is not null && !found.Contains(c)).ToList();
                if (missing.Count > 0)
                {
                    errors.Add(Error(instance, BatchFileErrorKind.UnknownReference,
                        $"Instance '{instance.InstanceId}': commit {string.Join(" and ", missing)} is not in {group.Key}: fetch it there (git fetch) or fix the commit."));
                    continue;
                }
                result.Add(instance.FixCommit is null ? instance : SplitFix(git, instance, splitter, errors) ?? instance);
            }
        }
        return result;
    }

    private static HashSet<string>? ExistingCommits(GitClient git, IReadOnlyList<string> revisions)
    {
        var output = Run(git, ["cat-file", "--batch-check=%(objecttype)"], string.Join('\n', revisions.Select(r => r + "^{commit}")) + "\n");
        if (output is null)
        {
            return null;
        }
        var lines = output.Split('\n');
        var found = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < revisions.Count && i < lines.Length; i++)
        {
            if (lines[i].Trim() == "commit")
            {
                found.Add(revisions[i]);
            }
        }
        return found;
    }

    /// <summary>A commit pair: the fix's changes to test files are the test patch, the rest the gold patch.</summary>
    private static EvaluationInstance? SplitFix(GitClient git, EvaluationInstance instance, TestFileRules tests, List<BatchFileError> errors)
    {
        var names = Run(git, ["diff", "--name-only", "-z", "--no-renames", instance.BaseCommit, instance.FixCommit!], null) ?? "";
        var files = names.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var testFiles = files.Where(tests.IsTest).ToList();
        var sourceFiles = files.Where(f => !tests.IsTest(f)).ToList();
        if (testFiles.Count == 0 || sourceFiles.Count == 0)
        {
            errors.Add(Error(instance, BatchFileErrorKind.InvalidValue, testFiles.Count == 0
                ? $"Instance '{instance.InstanceId}': {Short(instance.FixCommit)} changes no test files ({string.Join(", ", files.Take(5))}), so there is no test patch: pick a fix commit that adds or changes tests."
                : $"Instance '{instance.InstanceId}': {Short(instance.FixCommit)} changes only test files, so there is no gold patch: pick a fix commit that changes source too."));
            return null;
        }
        string Diff(IEnumerable<string> paths) =>
            Run(git, ["diff", "--binary", "--no-renames", "--no-color", "--no-ext-diff", instance.BaseCommit, instance.FixCommit!, "--", .. paths.Select(p => ":(literal)" + p)], null) ?? "";
        return instance with { GoldPatch = Diff(sourceFiles), TestPatch = Diff(testFiles) };
    }

    private static string Short(string? commit) => commit is { Length: > 12 } ? commit[..12] : commit ?? "";

    private static string? Run(GitClient git, IReadOnlyList<string> arguments, string? input)
    {
        // The readers are synchronous (like the batch file parser); nothing here runs on a UI thread.
        var result = git.RunAsync(arguments, allowFailure: true, standardInput: input).GetAwaiter().GetResult();
        return result.ExitCode == 0 ? result.StandardOutput : null;
    }

    private static BatchFileError Error(EvaluationInstance instance, BatchFileErrorKind kind, string message) =>
        new(instance.Source?.FilePath ?? "", instance.Source?.Line ?? 1, instance.Source?.Column ?? 1, kind, message);

    /// <summary>Reads one record's keys.</summary>
    private sealed class RecordReader(string filePath, InstanceFileOptions options, List<BatchFileError> errors)
    {
        private readonly string folder = Path.GetDirectoryName(filePath)!;

        public void Error(JsonRecord record, string? key, BatchFileErrorKind kind, string message)
        {
            var (line, column) = key is null ? (record.Line, record.Column) : record.Where(key);
            errors.Add(new BatchFileError(filePath, line, column, kind, message));
        }

        public EvaluationInstance? Read(JsonRecord record)
        {
            if (record.Value.ValueKind != JsonValueKind.Object)
            {
                Error(record, null, BatchFileErrorKind.WrongType, $"An instance must be a JSON object, not {Describe(record.Value)}.");
                return null;
            }
            var before = errors.Count;
            foreach (var key in record.Keys.Keys.Where(k => !KnownKeys.Contains(k, StringComparer.Ordinal)))
            {
                // Public files carry more fields (created_at, image names...): only a near miss of ours is an error.
                if (YamlMap.Closest(key, KnownKeys) is { } near && !string.Equals(near, key, StringComparison.Ordinal))
                {
                    Error(record, key, BatchFileErrorKind.UnknownKey, $"Unknown key '{key}': did you mean '{near}'?");
                }
            }
            var pair = Has(record, "bug_commit") || Has(record, "fix_commit");
            var id = pair ? Text(record, "id", required: false) ?? Text(record, "instance_id", required: true) : Text(record, "instance_id", required: true);
            var statement = pair ? Text(record, "prompt", required: false) ?? Text(record, "problem_statement", required: true) : Text(record, "problem_statement", required: true);
            var baseCommit = pair ? Text(record, "bug_commit", required: true) : Text(record, "base_commit", required: true);
            var fixCommit = pair ? Text(record, "fix_commit", required: true) : null;
            var repo = Text(record, "repo", required: false);
            var repository = Repository(record, repo, pair);
            var testCommand = Text(record, "test_command", required: false) ?? options.DefaultTestCommand;
            if (testCommand is null)
            {
                Error(record, null, BatchFileErrorKind.MissingKey,
                    $"Instance '{id}' has no test_command, and no default is given: add \"test_command\" (use {{junit}} where JUnit XML should be written), or give the task's script_command / --test-command.");
            }
            var failToPass = TestList(record, "FAIL_TO_PASS");
            var passToPass = TestList(record, "PASS_TO_PASS");
            if (errors.Count > before || id is null || statement is null || baseCommit is null || repository is null || testCommand is null)
            {
                return null;
            }
            return new EvaluationInstance
            {
                InstanceId = id,
                Repo = repo,
                RepositoryPath = repository,
                BaseCommit = baseCommit,
                FixCommit = fixCommit,
                ProblemStatement = statement,
                GoldPatch = Text(record, "patch", required: false),
                TestPatch = Text(record, "test_patch", required: false),
                FailToPass = failToPass,
                PassToPass = passToPass,
                TestCommand = testCommand,
                Version = Text(record, "version", required: false, allowNumber: true),
                EnvironmentSetupCommit = Text(record, "environment_setup_commit", required: false),
                HintsText = Text(record, "hints_text", required: false),
                Source = new InstanceSource(filePath, record.Line, record.Column),
            };
        }

        private string? Repository(JsonRecord record, string? repo, bool pair)
        {
            if (Text(record, "repo_path", required: false) is { } written)
            {
                var full = Path.GetFullPath(Path.Combine(folder, written));
                if (!Directory.Exists(full))
                {
                    Error(record, "repo_path", BatchFileErrorKind.PathNotFound, $"repo_path '{written}' does not exist (looked for {full}): relative paths start at the instances file's folder.");
                    return null;
                }
                return full;
            }
            if (repo is not null && options.Repositories.TryGetValue(repo, out var mapped))
            {
                if (RepositoryClones.IsUrl(mapped))
                {
                    return Clone(record, repo, mapped);
                }
                if (!Directory.Exists(mapped))
                {
                    Error(record, "repo", BatchFileErrorKind.PathNotFound, $"The repositories table maps '{repo}' to '{mapped}', which does not exist: clone the repository there or fix the table.");
                    return null;
                }
                return mapped;
            }
            if (pair && repo is not null)
            {
                var full = Path.GetFullPath(Path.Combine(folder, repo));
                if (Directory.Exists(full))
                {
                    return full;
                }
                Error(record, "repo", BatchFileErrorKind.PathNotFound, $"repo '{repo}' does not exist (looked for {full}): relative paths start at the instances file's folder.");
                return null;
            }
            Error(record, repo is null ? null : "repo", BatchFileErrorKind.UnknownReference, repo is null
                ? "The instance names no repository: add \"repo_path\" (a local clone, relative to this file)."
                : $"No local repository for '{repo}': add \"repo_path\" to the instance, or map it in the repositories table (--repository {repo}=<folder>).");
            return null;
        }

        private readonly Dictionary<string, string?> clones = new(StringComparer.Ordinal);

        /// <summary>The local clone of a URL in the table (cloned once per data directory; one attempt per file read).</summary>
        private string? Clone(JsonRecord record, string repo, string url)
        {
            if (!clones.TryGetValue(url, out var folder))
            {
                string? problem = null;
                folder = options.CloneRoot is { } root
                    ? RepositoryClones.Ensure(root, repo, url, options.GitExecutable, out problem)
                    : null;
                problem ??= options.CloneRoot is null ? "clone URLs need a data directory to clone into" : null;
                clones[url] = folder;
                if (folder is null)
                {
                    Error(record, "repo", BatchFileErrorKind.PathNotFound, $"The repositories table maps '{repo}' to {url}, which could not be cloned ({problem}): fix the URL, or clone it yourself and map the folder.");
                }
            }
            return folder;
        }

        private static bool Has(JsonRecord record, string key) =>
            record.Value.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null;

        private string? Text(JsonRecord record, string key, bool required, bool allowNumber = false)
        {
            if (!record.Value.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    Error(record, null, BatchFileErrorKind.MissingKey, $"The instance has no \"{key}\": add it.");
                }
                return null;
            }
            if (value.ValueKind == JsonValueKind.String)
            {
                var text = value.GetString()!;
                if (required && text.Trim().Length == 0)
                {
                    Error(record, key, BatchFileErrorKind.InvalidValue, $"\"{key}\" is empty: give a value.");
                    return null;
                }
                return text;
            }
            if (allowNumber && value.ValueKind == JsonValueKind.Number)
            {
                return value.GetRawText();
            }
            Error(record, key, BatchFileErrorKind.WrongType, $"\"{key}\" must be a string, not {Describe(value)}.");
            return null;
        }

        /// <summary>A list of test names: a JSON list, or (as the public SWE-bench files have it) a string holding one.</summary>
        private IReadOnlyList<string> TestList(JsonRecord record, string key)
        {
            if (!record.Value.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return [];
            }
            if (value.ValueKind == JsonValueKind.String)
            {
                try
                {
                    using var inner = JsonDocument.Parse(value.GetString()!);
                    value = inner.RootElement.Clone();
                }
                catch (JsonException)
                {
                    Error(record, key, BatchFileErrorKind.WrongType, $"\"{key}\" is a string that does not hold a JSON list: write a list of test names, e.g. [\"tests/test_x.py::test_y\"].");
                    return [];
                }
            }
            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                Error(record, key, BatchFileErrorKind.WrongType, $"\"{key}\" must be a list of test names (strings).");
                return [];
            }
            // A name listed twice counts once (public files have a few such lists).
            return value.EnumerateArray().Select(e => e.GetString()!).Distinct(StringComparer.Ordinal).ToList();
        }

        private static string Describe(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.Array => "a list",
            JsonValueKind.Object => "an object",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "true/false",
            _ => "null",
        };
    }
}
