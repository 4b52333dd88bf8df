using System.Net;
using System.Net.Sockets;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Configuration;
using AmpSessions.Core.Workspace;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Workspace;

/// <summary>A new worktree is ready to work in: included files, a block of ports, a finished setup; cleanup undoes all of it.</summary>
public sealed class WorktreeReadinessTests : IDisposable
{
    private readonly ConfigurationTestBed bed;
    private readonly string registry;

    public WorktreeReadinessTests()
    {
        bed = new ConfigurationTestBed();
        registry = bed.Repo.Scratch("ports");
        bed.Variables[PortRegistry.EnvironmentVariable] = registry;
    }

    public void Dispose() => bed.Dispose();

    private Task<Session> NewAsync(string name = "ready", string? setup = null, bool skipSetup = false) =>
        bed.Sessions.CreateAsync(new NewSessionRequest { RepoPath = bed.Repo.Root, Name = name, Prompt = "p", Setup = setup, SkipSetup = skipSetup });

    private void IgnoredFiles()
    {
        bed.Repo.WriteFile(".gitignore", ".env.local\ncerts/\nnode_modules/\n*.log\n");
        bed.Repo.WriteFile(".worktreeinclude", "# what a worktree needs\n.env.local\ncerts/*.pem\nREADME.md\nnotes.txt\n");
        bed.Repo.CommitAll("ignore rules and what worktrees include");
        bed.Repo.WriteFile(".env.local", "API_URL=http://localhost\n");
        bed.Repo.WriteFile("certs/dev.pem", "pem\n");
        bed.Repo.WriteFile("certs/dev.key", "key\n");
        bed.Repo.WriteFile("node_modules/left-pad/index.js", "module.exports = 1\n");
        bed.Repo.WriteFile("debug.log", "log\n");
        bed.Repo.WriteFile("notes.txt", "not ignored, not added\n");
    }

    [Fact]
    public async Task Only_the_ignored_files_the_include_file_names_are_copied_and_the_main_checkout_is_untouched()
    {
        IgnoredFiles();
        var before = MainCheckoutState.Capture(bed.Repo.Root);
        var envBefore = File.GetLastWriteTimeUtc(bed.Repo.Path(".env.local"));

        var session = await NewAsync();

        var copied = Directory.EnumerateFiles(session.WorktreePath, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(session.WorktreePath, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".git", StringComparison.Ordinal) || f == ".gitignore")
            .Order(StringComparer.Ordinal);
        // Tracked files come from git; of the ignored ones only .env.local and the .pem; never node_modules, the key, the log, or an untracked file.
        Assert.Equal([".env.local", ".gitignore", ".worktreeinclude", "README.md", "certs/dev.pem", "src/greet.ts"], copied);
        Assert.Equal("API_URL=http://localhost\n", File.ReadAllText(Path.Combine(session.WorktreePath, ".env.local")));
        Assert.Equal(before, MainCheckoutState.Capture(bed.Repo.Root));
        Assert.Equal(envBefore, File.GetLastWriteTimeUtc(bed.Repo.Path(".env.local")));
        Assert.True(File.Exists(bed.Repo.Path("certs", "dev.key")));
        Assert.Equal("", TestRepository.GitIn(session.WorktreePath, "status", "--porcelain"));
    }

    [Fact]
    public async Task Sessions_get_distinct_port_blocks_that_cleanup_gives_back()
    {
        bed.WriteRepoFile("ports: 3\nport_range: 41000-41008\n");

        var first = await NewAsync("a");
        var second = await NewAsync("b");

        Assert.Equal(new PortBlock(41000, 3), first.Ports);
        Assert.Equal(new PortBlock(41003, 3), second.Ports);
        Assert.Equal(first.Ports, bed.Sessions.Resolve(first.Id).Ports);
        Assert.True(PortRegistry.Holds(registry, first));

        await bed.Sessions.CleanupAsync(first.Id, force: true);

        Assert.False(PortRegistry.Holds(registry, first));
        Assert.Null(bed.Sessions.Resolve(first.Id).Ports);
        var third = await NewAsync("c");
        Assert.Equal(new PortBlock(41000, 3), third.Ports);
    }

    [Fact]
    public async Task A_block_with_a_port_in_use_is_skipped_and_a_stale_claim_is_taken_back()
    {
        bed.WriteRepoFile("ports: 2\nport_range: 41100-41105\n");
        using var listener = new TcpListener(IPAddress.Loopback, 41101);
        listener.Start();
        // A claim left by a session whose worktree is gone (its process died before cleanup).
        File.WriteAllText(Path.Combine(registry, "41102.json"),
            """{"SessionId":"gone0001","WorktreePath":"/nonexistent/worktree","DataDirectory":"/x","ProcessId":1,"ClaimedAt":"2026-01-01T00:00:00Z"}""");

        var session = await NewAsync();

        Assert.Equal(new PortBlock(41102, 2), session.Ports);
    }

    [Fact]
    public async Task No_free_block_is_a_clear_error_that_leaves_nothing_behind()
    {
        bed.WriteRepoFile("ports: 2\nport_range: 41200-41201\n");
        var holder = await NewAsync("holder");
        var before = RepositoryState.Capture(bed.Repo.Root);

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => NewAsync("second"));

        Assert.Equal("AmpPortsExhausted", ex.ErrorId);
        Assert.StartsWith("No block of 2 free ports is left in 41200-41201", ex.Message);
        Assert.Equal(before, RepositoryState.Capture(bed.Repo.Root));
        Assert.Equal([holder.Id], bed.Context.Sessions.List().Select(s => s.Id));
        Assert.True(PortRegistry.Holds(registry, holder));
    }

    [Fact]
    public async Task The_setup_runs_in_the_worktree_with_the_ports_and_its_output_is_logged()
    {
        bed.WriteRepoFile("ports: 4\nport_range: 41300-41399\nsetup: echo \"setting up on $AMP_SESSION_PORT ($AMP_SESSION_PORTS) in $PWD\" && touch ready.marker\n");
        bed.Repo.WriteFile(".gitignore", "ready.marker\n");
        bed.Repo.CommitAll("ignore the marker");

        var session = await NewAsync();

        Assert.Equal(SessionStatus.Idle, session.Status);
        Assert.Null(session.StatusMessage);
        Assert.True(File.Exists(Path.Combine(session.WorktreePath, "ready.marker")));
        var log = File.ReadAllText(Path.Combine(bed.Context.Data.SessionLogs(session.Id), SetupScript.LogFileName));
        Assert.Contains($"setting up on 41300 (41300-41303) in {session.WorktreePath}", log);
        Assert.Contains("# passed after", log);
    }

    [Fact]
    public async Task A_failed_setup_is_an_Error_state_naming_the_log_not_a_failed_new()
    {
        bed.WriteRepoFile("setup: echo half way; exit 7\n");

        var session = await NewAsync();

        Assert.Equal(SessionStatus.Error, session.Status);
        var log = Path.Combine(bed.Context.Data.SessionLogs(session.Id), SetupScript.LogFileName);
        Assert.Equal($"setup `echo half way; exit 7` exited 7 (log: {log}); fix the cause and run it in the worktree, or clean up the session", session.StatusMessage);
        Assert.Contains("half way", File.ReadAllText(log));
        Assert.True(Directory.Exists(session.WorktreePath));
        Assert.Equal(SessionStatus.Error, bed.Sessions.Resolve(session.Id).Status);

        var skipped = await NewAsync("no setup", skipSetup: true);
        Assert.Equal(SessionStatus.Idle, skipped.Status);
        var fromTemplate = await NewAsync("template setup", setup: "true");
        Assert.Equal(SessionStatus.Idle, fromTemplate.Status);
    }

    [Fact]
    public async Task A_setup_that_runs_too_long_is_stopped()
    {
        bed.WriteRepoFile("setup_timeout_sec: 1\nsetup: sleep 30\n");

        var session = await NewAsync();

        Assert.Equal(SessionStatus.Error, session.Status);
        Assert.Contains("did not finish within", session.StatusMessage);
    }
}
