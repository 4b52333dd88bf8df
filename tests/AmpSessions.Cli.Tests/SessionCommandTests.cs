using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>Every session command, as text and as --json, run as a separate process.</summary>
public sealed class SessionCommandTests : IDisposable
{
    private readonly CliTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private static string Text(JsonElement e, string p) => CliTestBed.Text(e, p);

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task New_prints_the_session_as_text_or_json()
    {
        var text = await bed.SucceedsAsync("new", "--repo", bed.Repo.Root, "--base", "main", "--name", "Text session", "--prompt", "p");
        var json = await bed.NewAsync("Json session", "do the thing", "--script", "npm test -- --watch=false", "--model", "gpt-5");

        Assert.Matches(@"^Created session [a-z2-9]{8} ""Text session""", text);
        Assert.Contains("amp/text-session/", text);
        CliTestBed.AssertSessionObject(json);
        Assert.Equal("Json session", Text(json, "name"));
        Assert.Equal("do the thing", Text(json, "prompt"));
        Assert.Equal(bed.Repo.Root, Text(json, "repoRoot"));
        Assert.Equal("main", Text(json, "baseBranch"));
        Assert.StartsWith("amp/json-session/", Text(json, "branchName"));
        Assert.Equal(bed.Repo.Path(".worktrees", Text(json, "id")), Text(json, "worktreePath"));
        Assert.Equal("Idle", Text(json, "status"));
        Assert.Equal("npm test -- --watch=false", Text(json, "scriptCommand"));
        Assert.Equal("gpt-5", Text(json, "modelOverride"));
        Assert.True(Directory.Exists(Text(json, "worktreePath")));
    }

    [Fact]
    public async Task Optional_fields_are_null_in_json_not_missing()
    {
        var json = await bed.NewAsync();

        Assert.Equal(JsonValueKind.Null, json.GetProperty("scriptCommand").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("modelOverride").ValueKind);
    }

    [Fact]
    public async Task List_shows_sessions_as_a_table_or_json_and_filters()
    {
        using var other = new TestRepository("other");
        var first = await bed.NewAsync("first one");
        var second = await bed.NewAsync("second one");
        var elsewhere = await bed.JsonAsync("new", "--repo", other.Root, "--name", "elsewhere", "--prompt", "p");
        await bed.SucceedsAsync("cleanup", Text(second, "id"));

        var table = await bed.SucceedsAsync("list");
        var all = await bed.JsonAsync("list");
        var mine = await bed.JsonAsync("list", "--repo", bed.Repo.Root);
        var archived = await bed.JsonAsync("list", "--status", "Archived");

        Assert.StartsWith("ID", table);
        Assert.Contains("STATUS", table);
        Assert.Contains(Text(first, "id"), table);
        Assert.Contains("Archived", table);
        Assert.Equal(3, all.GetArrayLength());
        foreach (var session in all.EnumerateArray())
        {
            CliTestBed.AssertSessionObject(session);
        }
        Assert.Equal([Text(elsewhere, "id"), Text(second, "id"), Text(first, "id")], all.EnumerateArray().Select(s => Text(s, "id")));
        Assert.Equal([Text(second, "id"), Text(first, "id")], mine.EnumerateArray().Select(s => Text(s, "id")));
        Assert.Equal([Text(second, "id")], archived.EnumerateArray().Select(s => Text(s, "id")));
    }

    [Fact]
    public async Task List_with_no_sessions_says_how_to_make_one()
    {
        Assert.Contains("amp-sessions new", await bed.SucceedsAsync("list"));
        Assert.Equal(0, (await bed.JsonAsync("list")).GetArrayLength());
    }

    [Fact]
    public async Task Status_shows_the_session_and_its_live_git_state()
    {
        var session = await bed.NewAsync();
        var worktree = Text(session, "worktreePath");
        TestRepository.GitIn(worktree, "commit", "--quiet", "--allow-empty", "-m", "ahead by one");
        File.WriteAllText(Path.Combine(worktree, "README.md"), "changed\n");

        var text = await bed.SucceedsAsync("status", Text(session, "id"));
        var json = await bed.JsonAsync("status", Text(session, "id")[..5]);

        Assert.Contains($"Session {Text(session, "id")} \"Fix login\"", text);
        Assert.Contains("1 ahead, 0 behind", text);
        Assert.Contains("README.md", text);
        CliTestBed.AssertSessionObject(json);
        var git = json.GetProperty("git");
        Assert.True(git.GetProperty("worktreePresent").GetBoolean());
        Assert.Equal(1, git.GetProperty("ahead").GetInt32());
        Assert.Equal(0, git.GetProperty("behind").GetInt32());
        Assert.Equal("README.md", Text(git.GetProperty("changedFiles").EnumerateArray().Single(), "path"));
    }

    [Fact]
    public async Task Diff_prints_the_patch_names_or_json()
    {
        var session = await bed.NewAsync();
        var id = Text(session, "id");
        var worktree = Text(session, "worktreePath");
        File.WriteAllText(Path.Combine(worktree, "README.md"), "# changed\n");
        File.WriteAllText(Path.Combine(worktree, "new file.txt"), "new\n");
        TestRepository.GitIn(worktree, "add", "new file.txt");

        var patch = await bed.SucceedsAsync("diff", id);
        var names = await bed.SucceedsAsync("diff", id, "--name-only");
        var staged = await bed.JsonAsync("diff", id, "--staged");
        var unstaged = await bed.JsonAsync("diff", id, "--unstaged", "--name-only");

        Assert.Contains("+# changed", patch);
        Assert.Contains("diff --git a/new file.txt b/new file.txt", patch);
        Assert.Equal(["A\tnew file.txt", "M\tREADME.md"], names.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal("Staged", Text(staged, "scope"));
        Assert.Equal("new file.txt", Text(staged.GetProperty("files").EnumerateArray().Single(), "path"));
        Assert.Contains("+new", Text(staged, "patch"));
        Assert.Equal("README.md", Text(unstaged.GetProperty("files").EnumerateArray().Single(), "path"));
        Assert.Equal("Modified", Text(unstaged.GetProperty("files").EnumerateArray().Single(), "change"));
    }

    /// <summary>
    /// A short read command keeps each repository it reads open for its whole run (a repository handle scope): the main
    /// checkout and the session's worktree are opened once each, not once per in-process read (status: 6 + 3 before).
    /// Counted by the CLI itself under AMP_SESSIONS_DEBUG=1.
    /// </summary>
    [Theory]
    [InlineData("status")]
    [InlineData("diff")]
    [InlineData("timeline")]
    public async Task A_short_read_command_opens_each_repository_once(string command)
    {
        var session = await bed.NewAsync();
        var worktree = Text(session, "worktreePath");
        TestRepository.GitIn(worktree, "commit", "--quiet", "--allow-empty", "-m", "ahead by one");
        File.WriteAllText(Path.Combine(worktree, "README.md"), "changed\n");
        bed.Cli.Environment["AMP_SESSIONS_DEBUG"] = "1";

        var result = await bed.RunAsync(command, Text(session, "id"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var opens = new Dictionary<string, int>();
        foreach (var line in result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = System.Text.RegularExpressions.Regex.Match(line, @"^amp-sessions: debug: repository opened for in-process reads (\d+) times?: (.+)$");
            Assert.True(match.Success, $"not a count of repository opens: {line}");
            opens.Add(Path.TrimEndingDirectorySeparator(match.Groups[2].Value), int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        var expected = command == "timeline" ? new[] { GitDirectory(bed.Repo.Root) } : [GitDirectory(bed.Repo.Root), GitDirectory(worktree)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), opens.Keys.Order(StringComparer.Ordinal));
        Assert.All(opens, open => Assert.True(open.Value == 1, $"{open.Key} was opened {open.Value} times"));
    }

    private static string GitDirectory(string workingTree) =>
        Path.TrimEndingDirectorySeparator(TestRepository.GitIn(workingTree, "rev-parse", "--absolute-git-dir").Trim());

    [Fact]
    public async Task Commit_commits_manual_changes_and_reports_them()
    {
        var session = await bed.NewAsync();
        var worktree = Text(session, "worktreePath");
        File.WriteAllText(Path.Combine(worktree, "one.txt"), "1\n");

        var text = await bed.SucceedsAsync("commit", Text(session, "id"), "--message", "First manual change");
        File.WriteAllText(Path.Combine(worktree, "two.txt"), "2\n");
        var json = await bed.JsonAsync("commit", Text(session, "id"), "-m", "Second manual change");

        Assert.Matches(@"^Committed [0-9a-f]{7} First manual change \(1 file\)", text);
        Assert.Equal("Second manual change", Text(json, "subject"));
        Assert.Equal(TestRepository.GitIn(worktree, "rev-parse", "HEAD"), Text(json, "commit"));
        Assert.Equal("two.txt", Text(json.GetProperty("files").EnumerateArray().Single(), "path"));
        Assert.Equal("Second manual change\nFirst manual change", TestRepository.GitIn(worktree, "log", "-2", "--format=%s"));
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Open_launches_code_from_path_in_the_worktree()
    {
        var session = await bed.NewAsync();
        var editor = new RecordingExecutable(bed.Repo.Scratch("bin"), "code");
        bed.Cli.Environment["PATH"] = editor.Directory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

        var json = await bed.JsonAsync("open", Text(session, "id"));

        var (workingDirectory, arguments) = await editor.WaitForRecordAsync();
        Assert.Equal(Text(session, "worktreePath"), workingDirectory);
        Assert.Equal([Text(session, "worktreePath")], arguments);
        Assert.Equal("code", Text(json, "program"));
        Assert.True(json.GetProperty("processId").GetInt32() > 0);

        File.Delete(editor.RecordPath);
        var text = await bed.SucceedsAsync("open", Text(session, "id"), "--editor", $"'{editor.Path}' --reuse-window");
        Assert.Equal($"Opened {Text(session, "worktreePath")} with {editor.Path}\n", text);
        Assert.Equal(["--reuse-window", Text(session, "worktreePath")], (await editor.WaitForRecordAsync()).Arguments);
    }

    [Fact]
    public async Task Open_with_a_missing_editor_fails_with_one_line()
    {
        var session = await bed.NewAsync();

        var line = await bed.FailsAsync("open", Text(session, "id"), "--editor", "amp-sessions-no-such-editor");

        Assert.Contains("'amp-sessions-no-such-editor' was not found", line);
    }

    [Fact]
    public async Task Cleanup_archives_refuses_to_lose_work_and_forces_with_a_backup()
    {
        var clean = await bed.NewAsync("clean");
        var dirty = await bed.NewAsync("dirty");
        File.WriteAllText(Path.Combine(Text(dirty, "worktreePath"), "work.txt"), "unsaved\n");

        var text = await bed.SucceedsAsync("cleanup", Text(clean, "id"));
        var refused = await bed.FailsAsync("cleanup", Text(dirty, "id"));
        var forced = await bed.JsonAsync("cleanup", Text(dirty, "id"), "--force");
        var backups = await bed.JsonAsync("backups", Text(dirty, "id"));
        var backupsText = await bed.SucceedsAsync("backups", Text(dirty, "id"));

        Assert.Contains($"Archived session {Text(clean, "id")}: worktree removed, branch deleted.", text);
        Assert.Contains("1 uncommitted change in", refused);
        Assert.Contains("--force", refused);
        CliTestBed.AssertSessionObject(forced.GetProperty("session"));
        Assert.Equal("Archived", Text(forced.GetProperty("session"), "status"));
        Assert.True(forced.GetProperty("worktreeRemoved").GetBoolean());
        var backupRef = Text(forced, "backupRef");
        Assert.StartsWith($"refs/amp-sessions/{Text(dirty, "id")}/backup/", backupRef);
        var backup = backups.EnumerateArray().Single();
        Assert.Equal(backupRef, Text(backup, "ref"));
        Assert.Equal(JsonValueKind.String, backup.GetProperty("worktreeSnapshot").ValueKind);
        Assert.Contains("cleanup", backupsText);
        Assert.False(Directory.Exists(Text(dirty, "worktreePath")));
    }

    [Fact]
    public async Task Repair_reports_as_text_or_json_and_reattaches()
    {
        var session = await bed.NewAsync();
        Assert.Contains("Everything is consistent", await bed.SucceedsAsync("repair"));
        Directory.Delete(Text(session, "worktreePath"), recursive: true);

        var text = await bed.SucceedsAsync("repair", "--repo", bed.Repo.Root);
        var json = await bed.JsonAsync("repair", "--reattach");

        Assert.Contains($"WorktreeMissing [{Text(session, "id")}]", text);
        Assert.False(json.GetProperty("isHealthy").GetBoolean());
        var finding = json.GetProperty("findings").EnumerateArray().Single(f => Text(f, "kind") == "WorktreeMissing");
        Assert.Equal("re-attached from its branch", Text(finding, "action"));
        Assert.True(Directory.Exists(Text(session, "worktreePath")));
        Assert.True((await bed.JsonAsync("repair")).GetProperty("isHealthy").GetBoolean());
    }

    [Fact]
    public async Task Names_and_prompts_with_shell_characters_arrive_as_typed()
    {
        const string name = "Fix \"login\" 'now'; $(touch pwned) `touch pwned` ü\nline two";
        const string prompt = "Prompt: \"q\" 'q' $(touch pwned) `touch pwned`; echo x && rm -rf /tmp/nothing\n日本語";

        var created = await bed.NewAsync(name, prompt);
        var listed = (await bed.JsonAsync("list")).EnumerateArray().Single();
        var byName = await bed.JsonAsync("status", name);

        Assert.Equal(name, Text(created, "name"));
        Assert.Equal(prompt, Text(created, "prompt"));
        Assert.Equal(name, Text(listed, "name"));
        Assert.Equal(prompt, Text(byName, "prompt"));
        Assert.False(File.Exists(bed.Repo.Path("pwned")));
        Assert.False(File.Exists(Path.Combine(Text(created, "worktreePath"), "pwned")));
    }

    [Fact]
    public async Task A_repository_path_with_spaces_and_non_ascii_letters_works()
    {
        using var spaced = new CliTestBed("répo with spaces ü");

        var session = await spaced.NewAsync("Naïve café", "p");
        var status = await spaced.JsonAsync("status", Text(session, "id"));

        Assert.Equal(spaced.Repo.Root, Text(session, "repoRoot"));
        Assert.StartsWith("amp/naive-cafe/", Text(session, "branchName"));
        Assert.True(status.GetProperty("git").GetProperty("worktreePresent").GetBoolean());
        Assert.True(File.Exists(Path.Combine(Text(session, "worktreePath"), "README.md")));
    }
}
