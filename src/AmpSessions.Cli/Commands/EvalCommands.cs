using System.CommandLine;
using System.Globalization;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Evaluation;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>`eval run|validate|compare|predictions|mine`: SWE-bench-style evaluation (see docs/EVALUATION.md).</summary>
internal static class EvalCommands
{
    public static void AddTo(RootCommand root)
    {
        var eval = new Command("eval", "Evaluate agents on SWE-bench-style instances: per-test grading, benchmark validation, paired comparisons, predictions (docs/EVALUATION.md).");
        root.Subcommands.Add(eval);
        AddRun(eval);
        AddValidate(eval);
        AddCompare(eval);
        AddPredictions(eval);
        AddMine(eval);
    }

    private static EvaluationService Service(ParseResult p) => new(OpenContext(p));

    private static Argument<string> InstancesArgument() => new("instances") { Description = "The instances file: a JSON array or JSONL of SWE-bench-style instances or commit pairs." };

    private static Option<string[]> RepositoryOption() => new("--repository")
    {
        Description = "Map a SWE-bench repo name to a local clone or a clone URL (cloned once into the data directory): owner/name=folder|url (repeatable). Instances may instead carry repo_path.",
        HelpName = "name=folder|url",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<string?> TestCommandOption() => new("--test-command")
    {
        Description = "The test command of instances without test_command ({junit}: where JUnit XML goes; {tests}, {test_files}: what to run).",
        HelpName = "command",
    };

    private static Option<int?> ConcurrencyOption(string what) => new("--concurrency") { Description = $"Attempts run at once (default {what}).", HelpName = "n" };

    private static Option<double?> TimeoutOption() => new("--timeout") { Description = "Time limit per attempt, in seconds (agent and tests).", HelpName = "seconds" };

    private static Option<string?> ShardOption() => new("--shard") { Description = "Run only shard i of N (1-based): N machines running the same command share the attempts.", HelpName = "i/N" };

    private static TimeSpan? Seconds(double? value) => value switch
    {
        null => null,
        <= 0 => throw new AmpSessionsException("AmpUsageTimeoutInvalid", ErrorKind.InvalidArgument, $"--timeout {value} is not allowed: give a positive number of seconds."),
        var s => TimeSpan.FromSeconds(s.Value),
    };

    private static void AddRun(Command eval)
    {
        var instances = InstancesArgument();
        var agent = new Option<string[]>("--agent")
        {
            Description = "An agent to evaluate, [id=]spec (repeatable): amp, claude, amp:<command>, claude:<command>, exec:<command>, or the reference agents gold and null.",
            HelpName = "spec",
            Required = true,
        };
        var repositories = RepositoryOption();
        var testCommand = TestCommandOption();
        var concurrency = ConcurrencyOption("1");
        var timeout = TimeoutOption();
        var attempts = new Option<int?>("--max-attempts") { Description = "Attempts per item when the agent errors or times out (default 1).", HelpName = "n" };
        var samples = new Option<int?>("--samples") { Description = "Independent attempts per agent and instance, for pass@k (default 1).", HelpName = "n" };
        var shard = ShardOption();
        var name = new Option<string?>("--name") { Description = "The run's name (default: eval and the file's name).", HelpName = "text" };
        var budget = new BudgetOptions(changing: false, iterations: false);
        eval.Add("run", "Run agents on every instance, each in its own session, and grade each attempt per test with the hidden test patch.", async (p, output, ct) =>
        {
            var request = new EvaluationRunRequest
            {
                InstancesFile = p.GetValue(instances)!,
                Agents = (p.GetValue(agent) ?? []).Select(EvaluationAgent.Parse).ToList(),
                Repositories = EvaluationService.ParseRepositories(p.GetValue(repositories) ?? []),
                TestCommand = p.GetValue(testCommand),
                Concurrency = Positive(p.GetValue(concurrency), "--concurrency") ?? 1,
                Timeout = Seconds(p.GetValue(timeout)),
                MaxAttempts = Positive(p.GetValue(attempts), "--max-attempts") ?? 1,
                Samples = Positive(p.GetValue(samples), "--samples") ?? 1,
                Shard = p.GetValue(shard) is { } s ? BatchShard.Parse(s) : null,
                Name = p.GetValue(name),
                Budget = budget.Read(p) is { IsEmpty: false } limits ? limits : null,
            };
            var service = Service(p);
            var run = await WithFileErrors(() => BatchProgressDisplay.RunAsync(output, progress => service.RunAsync(request, progress, ct)));
            output.Result(run, r => RenderRun(output, r));
            return run.Status == BatchStatus.Completed ? CliApplication.Success
                : ct.IsCancellationRequested ? CliApplication.Cancelled
                : CliApplication.Failed;
        }, [instances, agent, repositories, testCommand, concurrency, timeout, attempts, samples, shard, name, .. budget.All]);
    }

    internal static void RenderRun(Output output, EvaluationRun run)
    {
        output.Line($"Run {run.RunId} \"{run.Name}\" {run.Status.ToString().ToLowerInvariant()}: {run.Completed} of {run.Total} attempts finished.");
        output.Line();
        RenderAgents(output, run.Agents);
        // With several attempts per instance (--samples), what k attempts would resolve (the unbiased estimator).
        foreach (var agent in run.Agents.Where(a => a.PassAtK.Count > 0))
        {
            output.Line($"{agent.AgentId}: {EvaluationText.PassAtK(agent)} (unbiased, over {agent.PassAtK.Count} attempts per instance)");
        }
        output.Line();
        output.Table(["INSTANCE", "AGENT", "OUTCOME", "F2P", "P2P", "TIME"], run.Instances.Select(i => (IReadOnlyList<string>)
        [
            i.InstanceId + (i.Sample is { } s ? $" #{s + 1}" : ""), i.AgentId, i.Outcome?.ToString() ?? BatchText.Status(i.Status), i.FailToPass, i.PassToPass,
            i.Status == BatchItemStatus.Pending ? "-" : BatchText.Duration(i.Duration),
        ]));
        output.Line();
        if (run.Status != BatchStatus.Completed)
        {
            output.Line($"Resume with:  amp-sessions batch resume {run.RunId}");
        }
        output.Line($"Predictions:  amp-sessions eval predictions {run.RunId} --output predictions.jsonl");
        output.Line($"Report:       amp-sessions report {run.RunId} --format html --output report.html");
    }

    internal static void RenderAgents(Output output, IReadOnlyList<AgentEvaluationSummary> agents) =>
        output.Table(["AGENT", "RESOLVED", "RATE", "95% CI", "PARTIAL", "UNRESOLVED", "ERROR", "COST/RESOLVED", "MEAN TIME TO RESOLVE"], agents.Select(a => (IReadOnlyList<string>)
        [
            a.AgentId, EvaluationText.Resolved(a), Percent(a.ResolvedRate), EvaluationText.Interval(a),
            Number(a.Partial), Number(a.Unresolved), Number(a.Errors), EvaluationText.Cost(a.CostPerResolved),
            a.MeanTimeToResolution is { } time ? BatchText.Duration(time) : "-",
        ]));

    private static void AddValidate(Command eval)
    {
        var instances = InstancesArgument();
        var repeat = new Option<int?>("--repeat") { Description = "Run gold this many times per instance and flag tests whose outcome varies (default 1).", HelpName = "k" };
        var repositories = RepositoryOption();
        var testCommand = TestCommandOption();
        var concurrency = ConcurrencyOption("the number of processors");
        var timeout = TimeoutOption();
        var shard = ShardOption();
        eval.Add("validate", "Check a benchmark before trusting it: the gold agent (applies each patch) must resolve 100%, the null agent (changes nothing) 0%.", async (p, output, ct) =>
        {
            var request = new EvaluationValidateRequest
            {
                InstancesFile = p.GetValue(instances)!,
                Repeat = Positive(p.GetValue(repeat), "--repeat") ?? 1,
                Repositories = EvaluationService.ParseRepositories(p.GetValue(repositories) ?? []),
                TestCommand = p.GetValue(testCommand),
                Concurrency = Positive(p.GetValue(concurrency), "--concurrency") ?? Math.Max(1, Environment.ProcessorCount),
                Timeout = Seconds(p.GetValue(timeout)),
                Shard = p.GetValue(shard) is { } s ? BatchShard.Parse(s) : null,
            };
            var service = Service(p);
            var validation = await WithFileErrors(() => BatchProgressDisplay.RunAsync(output, progress => service.ValidateAsync(request, progress, ct)));
            output.Result(validation, v => RenderValidation(output, v));
            return validation.Valid ? CliApplication.Success : ct.IsCancellationRequested ? CliApplication.Cancelled : CliApplication.Failed;
        }, instances, repeat, repositories, testCommand, concurrency, timeout, shard);
    }

    internal static void RenderValidation(Output output, BenchmarkValidation v)
    {
        output.Table(["INSTANCE", "GOLD", "NULL", "VERDICT"], v.Instances.Select(i => (IReadOnlyList<string>)
            [i.InstanceId, i.Gold?.ToString() ?? "-", i.Null?.ToString() ?? "-", i.Valid ? "ok" : "PROBLEM"]));
        foreach (var instance in v.Instances.Where(i => i.Problems.Count > 0))
        {
            output.Line();
            output.Line($"{instance.InstanceId}:");
            foreach (var problem in instance.Problems)
            {
                output.Line($"  - {problem}");
            }
        }
        output.Line();
        var total = v.Instances.Count;
        output.Line($"Gold resolved {v.GoldResolved}/{total} ({Percent(total == 0 ? null : (double)v.GoldResolved / total)}, must be 100%); null resolved {v.NullResolved}/{total} ({Percent(total == 0 ? null : (double)v.NullResolved / total)}, must be 0%).");
        output.Line(v.Valid ? $"The benchmark is sound{(v.Repeat > 1 ? $" (gold ran {v.Repeat} times, no flaky test)" : "")}. Validation run: {v.RunId}."
            : $"{v.Invalid} instance{(v.Invalid == 1 ? "" : "s")} to fix before trusting the benchmark. Validation run: {v.RunId}.");
    }

    private static void AddCompare(Command eval)
    {
        var runA = new Argument<string>("run") { Description = "A run (id, prefix or name) or a journal file." };
        var runB = new Argument<string?>("other-run") { Description = "A second run to pair with the first (each side then has one agent, or names it with --agent).", Arity = ArgumentArity.ZeroOrOne };
        var agent = new Option<string[]>("--agent") { Description = "The agents to compare, A then B (needed when a run has more than two, or two runs have several).", HelpName = "id" };
        eval.Add("compare", "Pair two agents on the same instances: who alone resolved what, and the exact McNemar test of the difference.", (p, output, _) =>
        {
            var agents = p.GetValue(agent) ?? [];
            if (agents.Length > 2)
            {
                throw new AmpSessionsException("AmpUsageCompareAgents", ErrorKind.InvalidArgument, "Give --agent at most twice: agent A, then agent B.");
            }
            var comparison = Service(p).Compare(p.GetValue(runA)!, p.GetValue(runB), agents.ElementAtOrDefault(0), agents.ElementAtOrDefault(1));
            output.Result(comparison, c => RenderComparison(output, c));
            return Task.FromResult(CliApplication.Success);
        }, runA, runB, agent);
    }

    internal static void RenderComparison(Output output, PairedComparison c)
    {
        output.Line($"{c.AgentA} vs {c.AgentB} on {c.Pairs} paired instance{(c.Pairs == 1 ? "" : "s")}: {Percent(c.RateA)} vs {Percent(c.RateB)} resolved.");
        output.Line();
        output.Table(["", $"{c.AgentB} resolved", $"{c.AgentB} not"],
        [
            [$"{c.AgentA} resolved", Number(c.BothResolved), Number(c.OnlyA)],
            [$"{c.AgentA} not", Number(c.OnlyB), Number(c.NeitherResolved)],
        ]);
        output.Line();
        output.Line($"Exact McNemar p = {EvaluationText.PValue(c.PValue)}: {c.Verdict}.");
        if (c.OnlyAInstances.Count > 0)
        {
            output.Line($"Only {c.AgentA}: {string.Join(", ", c.OnlyAInstances)}");
        }
        if (c.OnlyBInstances.Count > 0)
        {
            output.Line($"Only {c.AgentB}: {string.Join(", ", c.OnlyBInstances)}");
        }
        if (c.Unpaired.Count > 0)
        {
            output.Line($"Left out (finished by one side only): {string.Join(", ", c.Unpaired)}");
        }
    }

    private static void AddPredictions(Command eval)
    {
        var run = new Argument<string>("run-id") { Description = "The run (id, prefix or name) or a journal file." };
        var file = new Option<string>("--output") { Description = "The predictions file to write (JSONL).", HelpName = "file", Required = true };
        var agent = new Option<string?>("--agent") { Description = "The agent whose patches to write (needed when the run has several).", HelpName = "id" };
        var model = new Option<string?>("--model-name") { Description = "model_name_or_path to write (default: the agent's id).", HelpName = "name" };
        eval.Add("predictions", "Write a run's patches as SWE-bench predictions (instance_id, model_name_or_path, model_patch), for the official harness.", (p, output, _) =>
        {
            var written = Service(p).WritePredictions(p.GetValue(run)!, p.GetValue(file)!, p.GetValue(agent), p.GetValue(model));
            output.Result(written, w => output.Line($"Wrote {w.Predictions} prediction{(w.Predictions == 1 ? "" : "s")} of {w.AgentId} (model_name_or_path \"{w.ModelNameOrPath}\") to {w.Path}" +
                (w.EmptyPatches > 0 ? $"; {w.EmptyPatches} with an empty patch (no patch was recorded)." : ".")));
            return Task.FromResult(CliApplication.Success);
        }, run, file, agent, model);
    }

    private static void AddMine(Command eval)
    {
        var repo = new Argument<string>("repo") { Description = "The repository whose history to mine." };
        var testCommand = new Option<string>("--test-command")
        {
            Description = "The test command, with per-test output: {junit} where JUnit XML goes, or a TAP reporter.",
            HelpName = "command",
            Required = true,
        };
        var file = new Option<string>("--output") { Description = "The instances file to write (JSONL).", HelpName = "file", Required = true };
        var revision = new Option<string?>("--rev") { Description = "Where to start walking back (default HEAD).", HelpName = "revision" };
        var maxCommits = new Option<int?>("--max-commits") { Description = "Commits to examine, newest first (default 200).", HelpName = "n" };
        var maxInstances = new Option<int?>("--max-instances") { Description = "Stop after this many instances.", HelpName = "n" };
        var testPaths = new Option<string[]>("--test-path") { Description = "A glob for test files beyond the usual conventions (repeatable).", HelpName = "glob" };
        var timeout = TimeoutOption();
        eval.Add("mine", "Build instances from a repository's history: commits that change tests and source, whose new tests fail before and pass after.", async (p, output, ct) =>
        {
            var request = new MineRequest
            {
                RepositoryPath = p.GetValue(repo)!,
                TestCommand = p.GetValue(testCommand)!,
                OutputPath = p.GetValue(file)!,
                Revision = p.GetValue(revision) ?? "HEAD",
                MaxCommits = Positive(p.GetValue(maxCommits), "--max-commits") ?? 200,
                MaxInstances = Positive(p.GetValue(maxInstances), "--max-instances"),
                TestPathPatterns = p.GetValue(testPaths) ?? [],
                Timeout = Seconds(p.GetValue(timeout)),
            };
            var result = await new CommitMiner(OpenContext(p)).MineAsync(request, c =>
            {
                if (!output.IsJson)
                {
                    output.Note($"{Short(c.Commit)} {(c.Accepted ? "instance " + c.InstanceId : "skipped: " + c.Rejected)}  ({c.Subject})");
                }
            }, ct);
            output.Result(new MinedView(
                result.OutputPath,
                result.RepositoryPath,
                Examined: result.Commits.Count,
                Instances: result.Instances.Select(i => new MinedView.Instance(i.InstanceId, i.BaseCommit, i.FailToPass, i.PassToPass.Count)).ToArray(),
                Rejected: result.Commits.Where(c => !c.Accepted).Select(c => new MinedView.Rejection(c.Commit, c.Subject, c.Rejected)).ToArray()), _ =>
            {
                output.Line($"Mined {result.Instances.Count} instance{(result.Instances.Count == 1 ? "" : "s")} from {result.Commits.Count} commit{(result.Commits.Count == 1 ? "" : "s")} of {result.RepositoryPath} into {result.OutputPath}.");
                if (result.Instances.Count > 0)
                {
                    output.Line($"Check it: amp-sessions eval validate \"{result.OutputPath}\"");
                }
            });
            return CliApplication.Success;
        }, repo, testCommand, file, revision, maxCommits, maxInstances, testPaths, timeout);
    }

    /// <summary>An instances file with problems: every one on stderr, file:line:column, then one line saying nothing started.</summary>
    private static async Task<T> WithFileErrors<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (BatchFileException ex)
        {
            foreach (var error in ex.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }
            throw new AmpSessionsException(BatchFileException.Id, ErrorKind.InvalidArgument,
                $"{ex.Errors.Count} problem{(ex.Errors.Count == 1 ? "" : "s")} in the instances or batch file: nothing was started.", ex.Target, ex);
        }
    }

    private static int? Positive(int? value, string option) => value is < 1
        ? throw new AmpSessionsException("AmpUsageNumberInvalid", ErrorKind.InvalidArgument, $"{option} {value} is not allowed: give 1 or more.", value)
        : value;

    internal static string Percent(double? rate) => EvaluationText.Percent(rate);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
