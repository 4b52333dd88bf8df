using System.CommandLine;
using AmpSessions.Core.Demo;
using AmpSessions.Core.Timeline;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>`demo`: a whole session on a sample repository with the bundled demo agent (no Amp key needed).</summary>
internal static class DemoCommands
{
    /// <summary>The hidden first argument that turns this executable into the demo agent.</summary>
    public const string DemoAgentCommand = "__demo-agent";

    public static void AddTo(RootCommand root)
    {
        var dir = new Option<string?>("--dir") { Description = "Where to create the sample repository (a new folder; default: a new folder under the temp directory).", HelpName = "path" };
        var agent = new Option<string?>("--agent") { Description = "Run the demo with this agent instead of the bundled demo agent (for example amp, with AMP_API_KEY set).", HelpName = "agent" };
        var demo = root.Add("demo", "Create a sample repository and run a whole session on it: new, iterate (bundled demo agent), test, diff, timeline, squash and merge, cleanup.", async (p, output, ct) =>
        {
            var directory = p.GetValue(dir) ?? Path.Combine(Path.GetTempPath(), $"amp-sessions-demo-{DateTime.Now:yyyyMMdd-HHmmss}");
            var result = await new DemoRunner(OpenContext(p)).RunAsync(directory, p.GetValue(agent) ?? SelfAsAgent(), Live(output), ct);
            output.Result(result, r =>
            {
                output.Line();
                output.Line($"Sample repository: {r.RepositoryPath}");
                output.Line($"Session {r.Session.Id} \"{r.Session.Name}\" [{r.Session.Status}] on {r.Session.BranchName}");
                IterationCommands.RenderIteration(r.Iteration, output);
                output.Line();
                output.Line("Diff against main:");
                Console.Out.Write(r.Diff.Patch);
                output.Line();
                output.Line("Timeline:");
                foreach (var e in r.Timeline)
                {
                    output.Line($"  {e.ShortHash ?? "-------"}  iteration {e.IterationNumber?.ToString() ?? "-"}  {Core.Display.DisplayFormat.Tokens(e.Tokens)} tokens  test {e.TestResult}  {e.Subject}");
                }
                if (r.Merge is { } merge)
                {
                    output.Line();
                    output.Line($"Squashed and merged into {merge.BaseBranch}: {Short(merge.OldBaseCommit)} -> {Short(merge.NewBaseCommit)} ({merge.Method}); backup ref {merge.BackupRef}");
                    output.Line($"Cleaned up: worktree {(r.Cleanup?.WorktreeRemoved == true ? "removed" : "kept")}, branch {(r.Cleanup?.BranchDeleted == true ? "deleted" : "kept")}; session {r.Session.Status}.");
                }
                output.Line();
                output.Line("Try next:");
                output.Line($"  git -C \"{r.RepositoryPath}\" log --oneline");
                output.Line($"  amp-sessions timeline {r.Session.Id}");
                output.Line($"  amp-sessions new --repo \"{r.RepositoryPath}\" --name \"My change\" --prompt \"...\"");
            });
            return ExitCodeOf(result);
        }, dir, agent);
        AddEval(demo);
    }

    private static void AddEval(Command demo)
    {
        var dir = new Option<string?>("--dir") { Description = "Where to write the built-in benchmark (a new folder; default: a new folder under the temp directory).", HelpName = "path" };
        var agent = new Option<string?>("--agent") { Description = "Evaluate this agent instead of the bundled demo agent (for example amp, with AMP_API_KEY set).", HelpName = "agent" };
        demo.Add("eval", "Write the built-in benchmark (JavaScript and Python), validate it with the gold and null agents, run the demo agent on it, compare and report.", async (p, output, ct) =>
        {
            var directory = p.GetValue(dir) ?? Path.Combine(Path.GetTempPath(), $"amp-sessions-eval-{DateTime.Now:yyyyMMdd-HHmmss}");
            var result = await BatchProgressDisplay.RunAsync(output, progress =>
                new Core.Evaluation.EvaluationDemo(OpenContext(p)).RunAsync(directory, p.GetValue(agent) ?? SelfAsAgent(), progress, ct));
            output.Result(result, r =>
            {
                output.Line($"Built-in benchmark: {r.Benchmark.Instances.Count} instances in {r.Benchmark.Directory}");
                output.Line($"  instances file: {r.Benchmark.InstancesFile}");
                output.Line();
                output.Line("Validation (gold must resolve 100%, null 0%):");
                EvalCommands.RenderValidation(output, r.Validation);
                output.Line();
                output.Line("Resolved rate per agent:");
                EvalCommands.RenderAgents(output, r.Run.Agents);
                output.Line();
                EvalCommands.RenderComparison(output, r.Comparison);
                output.Line();
                output.Line($"Report: {r.ReportPath}");
                output.Line();
                output.Line("Try next:");
                output.Line($"  amp-sessions eval run \"{r.Benchmark.InstancesFile}\" --agent amp");
                output.Line($"  amp-sessions eval predictions {r.Run.RunId} --agent demo --output predictions.jsonl");
                output.Line($"  amp-sessions eval compare {r.Run.RunId} --agent demo --agent null");
            });
            return result.Validation.Valid ? CliApplication.Success : CliApplication.Failed;
        }, dir, agent);
    }

    private static int ExitCodeOf(DemoResult result) =>
        result.Merge is { Conflicted: false } ? CliApplication.Success : CliApplication.Failed;

    private static Action<Core.Iterations.IterationEvent> Live(Output output) => e =>
    {
        var writer = output.IsJson ? Console.Error : Console.Out;
        switch (e)
        {
            case Core.Iterations.IterationStartedEvent s: writer.WriteLine($"▶ iteration {s.Number} with {s.Agent}"); break;
            case Core.Iterations.IterationAgentEvent { Event: Core.Agents.AgentTextEvent t }: writer.WriteLine($"  agent: {t.Text}"); break;
            case Core.Iterations.IterationAgentEvent { Event: Core.Agents.AgentToolUseEvent u }: writer.WriteLine($"  tool:  {u.Name}"); break;
            case Core.Iterations.IterationCommittedEvent c: writer.WriteLine($"  commit: {Short(c.Commit)} {c.Subject}"); break;
            case Core.Iterations.IterationScriptStartedEvent s: writer.WriteLine($"  test:  {s.Command}"); break;
        }
    };

    /// <summary>This executable as an amp-compatible agent: `amp:"&lt;host&gt;" ["&lt;dll&gt;"] __demo-agent`.</summary>
    internal static string SelfAsAgent()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var parts = new List<string> { host };
        var hostName = Path.GetFileNameWithoutExtension(host);
        if (hostName.Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Run as `dotnet amp-sessions.dll`: the host needs the assembly too.
            parts.Add(Core.Containment.HostFiles.EntryAssembly() ?? throw new InvalidOperationException("run by dotnet without amp-sessions.dll beside it"));
        }
        parts.Add(DemoAgentCommand);
        return Core.Agents.AgentSpec.Format(Core.Agents.AgentDialect.Amp, parts);
    }
}
