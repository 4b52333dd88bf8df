namespace AmpSessions.Core.Evaluation;

/// <summary>Where an instance came from, for error messages that point at it.</summary>
public sealed record InstanceSource(string FilePath, int Line, int Column)
{
    public override string ToString() => $"{FilePath}:{Line}:{Column}";
}

/// <summary>
/// One evaluation case in SWE-bench's terms, whichever file it came from (a SWE-bench instance, a
/// commit pair of a repository's history, a case.yaml): a repository at a base commit, a problem
/// statement for the agent, the gold patch, the hidden test patch and the tests that must go from
/// failing to passing (FAIL_TO_PASS) and stay passing (PASS_TO_PASS).
/// </summary>
public sealed record EvaluationInstance
{
    /// <summary>instance_id: unique in its file, names the case everywhere.</summary>
    public required string InstanceId { get; init; }

    /// <summary>SWE-bench's repo ("owner/name"), or the commit pair's repository as written.</summary>
    public string? Repo { get; init; }

    /// <summary>The local repository the work happens in, absolute.</summary>
    public required string RepositoryPath { get; init; }

    /// <summary>The commit the agent starts from (base_commit, or a commit pair's bug_commit), full hash or a ref.</summary>
    public required string BaseCommit { get; init; }

    /// <summary>What the agent is asked to do.</summary>
    public required string ProblemStatement { get; init; }

    /// <summary>The reference solution (SWE-bench's `patch`): the gold agent applies it.</summary>
    public string? GoldPatch { get; init; }

    /// <summary>The tests applied after the agent's work, never shown to it.</summary>
    public string? TestPatch { get; init; }

    public IReadOnlyList<string> FailToPass { get; init; } = [];
    public IReadOnlyList<string> PassToPass { get; init; } = [];

    /// <summary>
    /// The shell command that runs the tests in the grading worktree; <c>{junit}</c> becomes the path
    /// where JUnit XML is wanted, <c>{tests}</c> the listed tests and <c>{test_files}</c> the files
    /// the test patch touches (each shell-quoted). Null: exit-code-only grading is impossible, so the
    /// instance cannot be graded (the reader requires one, from the instance or the task).
    /// </summary>
    public required string TestCommand { get; init; }

    /// <summary>
    /// A check the agent may see and iterate against (a case.yaml's `grade`): its last run grades the
    /// item instead of a hidden run. Null for SWE-bench instances, whose tests stay hidden.
    /// </summary>
    public string? VisibleCheck { get; init; }

    public string? Version { get; init; }
    public string? EnvironmentSetupCommit { get; init; }
    public string? HintsText { get; init; }

    /// <summary>A commit pair's fix commit (the gold patch and the test patch are its diff).</summary>
    public string? FixCommit { get; init; }

    public InstanceSource? Source { get; init; }

    /// <summary>Whether the instance names tests to check (else every test the command reports must pass).</summary>
    public bool ListsTests => FailToPass.Count > 0 || PassToPass.Count > 0;
}
