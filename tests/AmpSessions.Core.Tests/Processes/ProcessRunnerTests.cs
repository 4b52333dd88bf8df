using System.Diagnostics;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Processes;

[Trait("Platform", "Linux")]
public sealed class ProcessRunnerTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly TempDirectory temp = new("amp-proc");

    public void Dispose() => temp.Dispose();

    private static ProcessSpec Shell(string script, params string[] arguments) =>
        new("sh", new[] { "-c", script, "sh" }.Concat(arguments)) { Timeout = Limit };

    [Fact]
    public async Task Arguments_arrive_verbatim_without_a_shell_in_between()
    {
        string[] arguments =
        [
            "with space", "double\"quote", "single'quote", "$(touch pwned)", "`touch pwned`", "semi;colon && echo no",
            "new\nline", "", "  leading and trailing  ", "ünïcödé ✓ 日本", "back\\slash", "*", "--flag=value with space", "$HOME", ">redirect",
        ];
        var result = await ProcessRunner.RunAsync(Shell("printf '%s\\0' \"$@\"", arguments) with { WorkingDirectory = temp.Path });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(arguments, result.StandardOutput.Split('\0')[..^1]);
        Assert.False(File.Exists(temp.Combine("pwned")));
        Assert.False(File.Exists(temp.Combine("redirect")));
    }

    [Fact]
    public async Task Runs_in_the_given_working_directory()
    {
        File.WriteAllText(temp.Combine("marker.txt"), "here");
        var result = await ProcessRunner.RunAsync(new ProcessSpec("cat", ["marker.txt"]) { WorkingDirectory = temp.Path, Timeout = Limit });

        Assert.Equal("here", result.StandardOutput);
    }

    [Fact]
    public async Task A_missing_working_directory_is_a_clear_error()
    {
        var missing = temp.Combine("no", "such", "folder");
        var ex = await Assert.ThrowsAsync<Errors.AmpSessionsException>(() => ProcessRunner.RunAsync(new ProcessSpec("cat") { WorkingDirectory = missing }));

        Assert.Equal("AmpWorkingDirectoryMissing", ex.ErrorId);
        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public async Task Environment_changes_add_and_remove_variables_over_the_inherited_ones()
    {
        var spec = Shell("printf '%s|%s|%s' \"$AMP_TEST_ADDED\" \"${HOME-unset}\" \"${PATH:+path-inherited}\"") with
        {
            Environment = new Dictionary<string, string?> { ["AMP_TEST_ADDED"] = "added value; $(not run)", ["HOME"] = null },
        };
        var result = await ProcessRunner.RunAsync(spec);

        Assert.Equal("added value; $(not run)|unset|path-inherited", result.StandardOutput);
    }

    [Fact]
    public async Task Standard_input_text_is_written_and_closed()
    {
        const string text = "first line\nsecond ünïcödé line\n$(not expanded)\n";
        var result = await ProcessRunner.RunAsync(new ProcessSpec("cat") { StandardInput = text, Timeout = Limit });

        Assert.Equal(text, result.StandardOutput);
    }

    [Fact]
    public async Task Large_standard_input_does_not_deadlock_against_output()
    {
        var text = new string('x', 4 * 1024 * 1024);
        var result = await ProcessRunner.RunAsync(new ProcessSpec("cat") { StandardInput = text, Timeout = Limit });

        Assert.True(result.Succeeded);
        Assert.Equal(text.Length, result.StandardOutput.Length);
    }

    [Fact]
    public async Task Without_input_stdin_is_closed_at_once()
    {
        var result = await ProcessRunner.RunAsync(new ProcessSpec("cat") { Timeout = Limit });

        Assert.True(result.Succeeded);
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public async Task Stdout_and_stderr_are_streamed_line_by_line_in_order_and_captured()
    {
        // Each line is written only once the one before it reached the callback (which leaves a file the script waits
        // for): the order across the two pipes is then fixed by cause, not by pauses a loaded machine can outlast (CI
        // once delivered a stdout line after a stderr line written 300 ms later), and a runner that held lines back
        // until the end would leave the script waiting until the timeout.
        var lines = new List<OutputLine>();
        var seen = temp.Combine("seen");
        var result = await ProcessRunner.RunAsync(
            Shell("""
                seen() { while [ ! -e "$1-$2" ]; do sleep 0.01; done; }
                echo out1; seen "$1" 1; echo err1 >&2; seen "$1" 2; echo 'out 2 ü'; seen "$1" 3; echo err2 >&2; seen "$1" 4; printf 'last without newline'
                """, seen),
            line =>
            {
                lock (lines)
                {
                    lines.Add(line);
                    File.WriteAllText($"{seen}-{lines.Count}", "");
                }
            });

        Assert.Equal(
        [
            new OutputLine(OutputStream.StandardOutput, "out1"),
            new OutputLine(OutputStream.StandardError, "err1"),
            new OutputLine(OutputStream.StandardOutput, "out 2 ü"),
            new OutputLine(OutputStream.StandardError, "err2"),
            new OutputLine(OutputStream.StandardOutput, "last without newline"),
        ], lines);
        Assert.Equal("out1\nout 2 ü\nlast without newline\n", result.StandardOutput);
        Assert.Equal("err1\nerr2\n", result.StandardError);
    }

    [Fact]
    public async Task Lines_reach_the_caller_while_the_process_still_runs()
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? firstSeen = null;
        var result = await ProcessRunner.RunAsync(Shell("echo first; sleep 2; echo second"), line => firstSeen ??= clock.Elapsed);
        var ended = clock.Elapsed;

        Assert.True(result.Succeeded);
        Assert.NotNull(firstSeen);
        Assert.True(ended - firstSeen.Value > TimeSpan.FromSeconds(1.5), $"first line seen at {firstSeen}, process ended at {ended}");
    }

    [Fact]
    public async Task Output_without_a_listener_is_captured_exactly()
    {
        var result = await ProcessRunner.RunAsync(Shell("printf 'a\\0b c\\0\\nno newline'"));

        Assert.Equal("a\0b c\0\nno newline", result.StandardOutput);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(255)]
    public async Task The_exit_code_is_reported(int code)
    {
        var result = await ProcessRunner.RunAsync(Shell($"echo bye >&2; exit {code}"));

        Assert.Equal(code, result.ExitCode);
        Assert.Equal(code == 0, result.Succeeded);
        Assert.False(result.TimedOut);
        Assert.Equal("bye", result.StandardErrorTail());
    }

    // sh prints its own pid and its background child's, then waits on a second child: three processes in the tree.
    private const string TreeScript = "sleep 300 & echo \"$$ $!\"; echo started; sleep 300; wait";

    private static int[] PidsFrom(string line) => line.Split(' ').Select(int.Parse).ToArray();

    private static async Task AssertAllGoneAsync(int[] pids, string cause)
    {
        Assert.Equal(2, pids.Length);
        foreach (var pid in pids)
        {
            Assert.True(await ProcessProbe.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(10)), $"process {pid} survived {cause}");
        }
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree()
    {
        int[] pids = [];
        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync(Shell(TreeScript) with { Timeout = TimeSpan.FromSeconds(2) },
            line => { if (pids.Length == 0) pids = PidsFrom(line.Text); });

        Assert.True(result.TimedOut);
        Assert.False(result.Cancelled);
        Assert.False(result.Succeeded);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
        await AssertAllGoneAsync(pids, "the timeout");
    }

    [Fact]
    public async Task Cancellation_kills_the_whole_process_tree()
    {
        int[] pids = [];
        using var cancel = new CancellationTokenSource();
        var result = await ProcessRunner.RunAsync(Shell(TreeScript), line =>
        {
            if (pids.Length == 0) pids = PidsFrom(line.Text);
            if (line.Text == "started") cancel.Cancel();
        }, cancel.Token);

        Assert.True(result.Cancelled);
        Assert.False(result.TimedOut);
        Assert.False(result.Succeeded);
        await AssertAllGoneAsync(pids, "the cancellation");
    }

    [Fact]
    public async Task A_handler_that_says_stop_kills_the_whole_process_tree()
    {
        int[] pids = [];
        var seen = new List<string>();
        var result = await ProcessRunner.RunAsync(Shell(TreeScript), line =>
        {
            seen.Add(line.Text);
            if (pids.Length == 0) pids = PidsFrom(line.Text);
            return line.Text == "started" ? LineDecision.Stop : LineDecision.Continue;
        });

        Assert.True(result.StoppedByHandler);
        Assert.False(result.TimedOut);
        Assert.False(result.Cancelled);
        Assert.False(result.Succeeded);
        Assert.Equal("started", seen[^1]);
        await AssertAllGoneAsync(pids, "the stop");
    }

    [Fact]
    public async Task A_streamed_process_keeps_only_a_bounded_tail_of_its_output()
    {
        // About 8 MB of stdout: every line reaches the handler, the result keeps the last few kilobytes for error messages.
        long lines = 0;
        string? last = null;
        var result = await ProcessRunner.RunAsync(Shell("seq -f 'line %g of a long output that goes on and on' 1 200000; echo 'the error' >&2"),
            line => { if (line.Stream == OutputStream.StandardOutput) { lines++; last = line.Text; } });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(200000, lines);
        Assert.Equal("line 200000 of a long output that goes on and on", last);
        Assert.InRange(result.StandardOutput.Length, 1, 16 * 1024 + 64);
        Assert.EndsWith("line 200000 of a long output that goes on and on\n", result.StandardOutput);
        Assert.Equal("the error", result.StandardErrorTail());
    }

    [Fact]
    public async Task A_slow_handler_still_gets_every_line_written_before_the_process_ended()
    {
        // The process is gone long before the handler is done with what it left in the pipe: nothing of it is cut off.
        // 60 lines of 1,000 characters fit in the pipe, so the process ends at once; reading them takes the handler about 4 s.
        var seen = new List<string>();
        var result = await ProcessRunner.RunAsync(Shell("for i in $(seq 1 60); do printf '%01000d\\n' $i; done; echo done"), line =>
        {
            Thread.Sleep(60);
            seen.Add(line.Text);
        });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(61, seen.Count);
        Assert.Equal("done", seen[^1]);
    }

    [Fact]
    public async Task A_handler_that_throws_stops_the_process_at_once_and_its_error_reaches_the_caller()
    {
        // A handler that cannot go on (its disk is full) must not leave the process blocked on a pipe nobody reads.
        int[] pids = [];
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<IOException>(() => ProcessRunner.RunAsync(Shell("sleep 300 & echo \"$$ $!\"; yes 'more output'") with { Timeout = TimeSpan.FromMinutes(5) }, line =>
        {
            if (pids.Length == 0)
            {
                pids = PidsFrom(line.Text);
                return;
            }
            throw new IOException("No space left on device");
        }));

        Assert.Equal("No space left on device", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        await AssertAllGoneAsync(pids, "the handler's failure");
    }

    [Theory]
    [InlineData("amp-sessions-no-such-program")]
    [InlineData("/nonexistent/bin/amp-sessions-tool")]
    public async Task A_missing_executable_is_a_clear_error(string program)
    {
        var ex = await Assert.ThrowsAsync<ExecutableNotFoundException>(() => ProcessRunner.RunAsync(new ProcessSpec(program, ["--version"])));

        Assert.Equal("AmpExecutableNotFound", ex.ErrorId);
        Assert.Equal(program, ex.FileName);
        Assert.Contains($"'{program}' was not found", ex.Message);
        Assert.Contains("install it or put it on PATH", ex.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_executable_is_not_run()
    {
        var script = temp.Combine("not-executable.sh");
        File.WriteAllText(script, "#!/bin/sh\necho ran\n");

        await Assert.ThrowsAsync<ExecutableNotFoundException>(() => ProcessRunner.RunAsync(new ProcessSpec(script)));
    }

    [Fact]
    public void Describe_quotes_for_reading_and_redacts_secrets()
    {
        var spec = new ProcessSpec("amp", ["--execute", "two words", "--key", "hunter2-secret"]) { Secrets = ["hunter2-secret"] };

        Assert.Equal("amp --execute 'two words' --key [REDACTED]", spec.Describe());
    }
}
