using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

[Trait("Platform", "Posix")]
public sealed class RepositoryLockTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TestRepository repo = new();

    public void Dispose() => repo.Dispose();

    private string CommonDir => repo.Path(".git");

    [Fact]
    public async Task A_second_taker_waits_and_gets_the_lock_after_release()
    {
        using var first = await RepositoryLock.AcquireAsync(CommonDir, "first");
        var second = RepositoryLock.AcquireAsync(CommonDir, "second");

        await Task.Delay(500);
        Assert.False(second.IsCompleted, "the second taker got the lock while the first held it");
        // The lock is advisory: another program can read the note of who holds it.
        var note = await AmpSessions.Core.Processes.ProcessRunner.RunAsync(new AmpSessions.Core.Processes.ProcessSpec("cat", [first.Path]));
        Assert.Equal($"{Environment.ProcessId} first\n", note.StandardOutput);

        first.Dispose();
        using var taken = await second.WaitAsync(Patience);
        Assert.Equal(Path.Combine(CommonDir, RepositoryLock.FileName), taken.Path);
        // The using block releases `first` again: a second release must be harmless and must not touch the new holder's lock.
        first.Dispose();
        await Assert.ThrowsAsync<AmpSessionsException>(() => RepositoryLock.AcquireAsync(CommonDir, "third", TimeSpan.Zero));
    }

    [Fact]
    public async Task Waiting_too_long_is_a_clear_error()
    {
        using var holder = await RepositoryLock.AcquireAsync(CommonDir, "holder");

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => RepositoryLock.AcquireAsync(CommonDir, "late", TimeSpan.FromMilliseconds(300)));

        Assert.Equal("AmpRepositoryLockTimeout", ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, ex.Kind);
    }

    [Fact]
    public async Task Waiting_can_be_cancelled()
    {
        using var holder = await RepositoryLock.AcquireAsync(CommonDir, "holder");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RepositoryLock.AcquireAsync(CommonDir, "cancelled", cancellationToken: cancel.Token));
    }

    // Two real amp-sessions processes: a post-checkout hook parks the first `git worktree add`, which
    // runs while `new` holds the repository lock, so the first process holds it for as long as the test wants.
    private string InstallParkingHook(string gate)
    {
        Directory.CreateDirectory(gate);
        var hook = repo.Path(".git", "hooks", "post-checkout");
        File.WriteAllText(hook,
            "#!/bin/sh\n" +
            $"if mkdir '{gate}/first' 2>/dev/null; then\n" +
            $"  : > '{gate}/entered'\n" +
            $"  while [ ! -e '{gate}/release' ]; do sleep 0.05; done\n" +
            "fi\n");
        FileModes.MakeExecutable(hook);
        return gate;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static async Task AssertStillRunningAsync(Task<CliResult> run, string what)
    {
        if (run.IsCompleted)
        {
            Assert.Fail($"{what} finished too early: {await run}");
        }
    }

    private static int RowCount(string dataDir) =>
        File.Exists(Path.Combine(dataDir, "amp-sessions.db")) ? AmpContext.Open(dataDir).Sessions.List().Count : 0;

    private Task<CliResult> NewSession(CliRunner cli, string name, CancellationToken cancellationToken = default) =>
        cli.RunAsync(["new", "--repo", repo.Root, "--base", "main", "--name", name, "--prompt", "p", "--json"], null, Patience, cancellationToken);

    [Fact]
    public async Task A_second_process_waits_for_the_first_instead_of_failing()
    {
        var gate = InstallParkingHook(repo.Scratch("gate"));
        var dataDir = repo.Scratch("data");
        var cli = new CliRunner(dataDir);

        var first = NewSession(cli, "first");
        await WaitForAsync(() => File.Exists(Path.Combine(gate, "entered")) || first.IsCompleted, "the first process to hold the lock");
        await AssertStillRunningAsync(first, "the first process");
        var second = NewSession(cli, "second");
        // The row is written before the lock is taken: two rows means the second process is at the lock.
        await WaitForAsync(() => RowCount(dataDir) == 2 || second.IsCompleted, "the second process to reach the lock");
        await Task.Delay(1000);
        await AssertStillRunningAsync(second, "the second process, while the first held the lock,");

        File.WriteAllText(Path.Combine(gate, "release"), "");
        var results = await Task.WhenAll(first, second);

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Equal(3, repo.Git("worktree", "list", "--porcelain").Split('\n').Count(l => l.StartsWith("worktree ", StringComparison.Ordinal)));
        Assert.Equal(3, repo.Git("for-each-ref", "refs/heads/").Split('\n').Length);
    }

    [Fact]
    public async Task A_killed_holder_releases_the_lock()
    {
        var gate = InstallParkingHook(repo.Scratch("gate"));
        var dataDir = repo.Scratch("data");
        var cli = new CliRunner(dataDir);
        using var kill = new CancellationTokenSource();

        var holder = NewSession(cli, "holder", kill.Token);
        await WaitForAsync(() => File.Exists(Path.Combine(gate, "entered")) || holder.IsCompleted, "the holder to take the lock");
        var waiter = NewSession(cli, "waiter");
        await WaitForAsync(() => RowCount(dataDir) == 2 || waiter.IsCompleted, "the waiter to reach the lock");
        await AssertStillRunningAsync(waiter, "the waiter, while the holder held the lock,");

        kill.Cancel();
        var killed = await holder;
        var result = await waiter;

        Assert.NotEqual(0, killed.ExitCode);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(File.Exists(Path.Combine(gate, "release")));
        using var free = await RepositoryLock.AcquireAsync(CommonDir, "test", TimeSpan.Zero);
    }
}
