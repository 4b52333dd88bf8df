namespace AmpSessions.Core.Errors;

/// <summary>
/// How a front end names <see cref="Operation"/>s and <see cref="Parameter"/>s inside a remedy. A
/// remedy is an interpolated string whose holes may be an <see cref="Invocation"/> or a
/// <see cref="Parameter"/>; formatting it with a style renders those holes in the style's words and
/// everything else as written. Both renderings live here, beside the names, so adding an operation
/// is one enum member and one line in each table (a test checks every member has both).
/// </summary>
public abstract class RemedyStyle : IFormatProvider, ICustomFormatter
{
    /// <summary>The CLI: <c>amp-sessions set abc --script "npm test"</c>, <c>--base</c>.</summary>
    public static RemedyStyle CommandLine { get; } = new CommandLineStyle();

    /// <summary>The module: <c>Set-AmpSession -Id abc -ScriptCommand 'npm test'</c>, <c>-BaseBranch</c>.</summary>
    public static RemedyStyle PowerShell { get; } = new PowerShellStyle();

    public abstract string Render(Invocation invocation);

    public abstract string Render(Parameter parameter);

    /// <summary>The remedy's text with its invocations and parameters in this style's words.</summary>
    public string Render(FormattableString remedy) => remedy.ToString(this);

    object? IFormatProvider.GetFormat(Type? formatType) => formatType == typeof(ICustomFormatter) ? this : null;

    string ICustomFormatter.Format(string? format, object? arg, IFormatProvider? formatProvider) => arg switch
    {
        Invocation invocation => Render(invocation),
        Parameter parameter => Render(parameter),
        IFormattable formattable => formattable.ToString(format, System.Globalization.CultureInfo.InvariantCulture),
        _ => arg?.ToString() ?? "",
    };

    private sealed class CommandLineStyle : RemedyStyle
    {
        public override string Render(Invocation invocation)
        {
            var words = new List<string> { "amp-sessions", Command(invocation.Operation) };
            if (invocation.Target is { } target)
            {
                words.Add(Quote(target));
            }
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not (Parameter.Path or Parameter.ConfigKey or Parameter.ConfigValue))
                {
                    words.Add(Render(argument.Parameter));
                }
                if (argument.Value is { } value)
                {
                    words.Add(Quote(value));
                }
            }
            return "`" + string.Join(' ', words) + "`";
        }

        public override string Render(Parameter parameter) => parameter switch
        {
            Parameter.Base => "--base",
            Parameter.Branch => "--branch",
            Parameter.Name => "--name",
            Parameter.Repo => "--repo",
            Parameter.Script => "--script",
            Parameter.Agent => "--agent",
            Parameter.AllowTool => "--allow-tool",
            Parameter.AllowAllTools => "--allow-all-tools",
            Parameter.Message => "--message",
            Parameter.Onto => "--onto",
            Parameter.Continue => "--continue",
            Parameter.Abort => "--abort",
            Parameter.NoRebase => "--no-rebase",
            Parameter.PrScript => "--pr-script",
            Parameter.Force => "--force",
            Parameter.Reattach => "--reattach",
            Parameter.ArchiveMissing => "--archive-missing",
            Parameter.Prune => "--prune",
            Parameter.Backup => "--backup",
            Parameter.Output => "--output",
            Parameter.Editor => "--editor",
            Parameter.DataDirectory => "--data-dir",
            Parameter.Path => "<file>",
            Parameter.Timeout => "--timeout",
            Parameter.Mode => "--mode",
            Parameter.Attempts => "--attempts",
            Parameter.Keep => "--keep",
            Parameter.BudgetTokens => "--budget-tokens",
            Parameter.BudgetCost => "--budget-cost",
            Parameter.BudgetIterations => "--budget-iterations",
            Parameter.BudgetTime => "--budget-time",
            Parameter.Environment => "--environment",
            Parameter.Preset => "--preset",
            Parameter.ConfigKey => "<key>",
            Parameter.ConfigValue => "<value>",
            _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "no command-line name"),
        };

        private static string Command(Operation operation) => operation switch
        {
            Operation.ListSessions => "list",
            Operation.ShowSession => "status",
            Operation.NewSession => "new",
            Operation.SetSession => "set",
            Operation.Iterate => "iterate",
            Operation.ListIterations => "iterations",
            Operation.Commit => "commit",
            Operation.Rebase => "rebase",
            Operation.Cleanup => "cleanup",
            Operation.Repair => "repair",
            Operation.ListBackups => "backups",
            Operation.Restore => "restore",
            Operation.ListBatches => "batch list",
            Operation.RunBatch => "batch run",
            Operation.ResumeBatch => "batch resume",
            Operation.StopBatch => "batch stop",
            Operation.ValidateBatch => "batch validate",
            Operation.ValidateConfig => "config validate",
            Operation.Acknowledge => "ack",
            Operation.CompareAttempts => "attempts",
            Operation.ShowRunEnvironment => "env",
            Operation.ListSlashCommands => "commands",
            Operation.ListConfig => "config list",
            Operation.RecordTestBaseline => "baseline record",
            Operation.SetConfig => "config set",
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "no command-line name"),
        };

        // A POSIX-shell word: placeholders (<file>) and plain words stay bare, anything else is double-quoted.
        private static string Quote(string value) =>
            value.Length > 0 && (IsPlaceholder(value) || value.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '@' or '+'))
                ? value
                : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("$", "\\$").Replace("`", "\\`") + "\"";
    }

    private sealed class PowerShellStyle : RemedyStyle
    {
        public override string Render(Invocation invocation)
        {
            var words = new List<string> { Cmdlet(invocation.Operation) };
            if (invocation.Target is { } target)
            {
                // Session cmdlets take -Id; the batch cmdlets too. Templates and repositories are arguments.
                words.Add("-Id");
                words.Add(Quote(target));
            }
            foreach (var argument in invocation.Arguments)
            {
                words.Add(Render(argument.Parameter));
                if (argument.Value is { } value)
                {
                    words.Add(Quote(value));
                }
            }
            return string.Join(' ', words);
        }

        public override string Render(Parameter parameter) => parameter switch
        {
            Parameter.Base => "-BaseBranch",
            Parameter.Branch => "-BranchName",
            Parameter.Name => "-Name",
            Parameter.Repo => "-RepoPath",
            Parameter.Script => "-ScriptCommand",
            Parameter.Agent => "-Agent",
            Parameter.AllowTool => "-AllowTool",
            Parameter.AllowAllTools => "-AllowAllTools",
            Parameter.Message => "-Message",
            Parameter.Onto => "-Onto",
            Parameter.Continue => "-Continue",
            Parameter.Abort => "-Abort",
            Parameter.NoRebase => "-NoRebase",
            Parameter.PrScript => "-PullRequestScript",
            Parameter.Force => "-Force",
            Parameter.Reattach => "-Reattach",
            Parameter.ArchiveMissing => "-ArchiveMissing",
            Parameter.Prune => "-Prune",
            Parameter.Backup => "-Backup",
            Parameter.Output => "-OutputPath",
            Parameter.Editor => "-Editor",
            Parameter.DataDirectory => "-DataPath",
            Parameter.Path => "-Path",
            Parameter.Timeout => "-Timeout",
            Parameter.Mode => "-AgentMode",
            Parameter.Attempts => "-Attempts",
            Parameter.Keep => "-Keep",
            Parameter.BudgetTokens => "-BudgetTokens",
            Parameter.BudgetCost => "-BudgetCost",
            Parameter.BudgetIterations => "-BudgetIterations",
            Parameter.BudgetTime => "-BudgetTime",
            Parameter.Environment => "-Environment",
            Parameter.Preset => "-Preset",
            Parameter.ConfigKey => "-Key",
            Parameter.ConfigValue => "-Value",
            _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "no PowerShell name"),
        };

        /// <summary>The cmdlet that performs an operation (the module's contract tests check each exists).</summary>
        public static string Cmdlet(Operation operation) => operation switch
        {
            Operation.ListSessions => "Get-AmpSession",
            Operation.ShowSession => "Get-AmpSessionState",
            Operation.NewSession => "New-AmpSession",
            Operation.SetSession => "Set-AmpSession",
            Operation.Iterate => "Invoke-AmpIteration",
            Operation.ListIterations => "Get-AmpIteration",
            Operation.Commit => "Checkpoint-AmpSession",
            Operation.Rebase => "Update-AmpSession",
            Operation.Cleanup => "Remove-AmpSession",
            Operation.Repair => "Repair-AmpSession",
            Operation.ListBackups => "Get-AmpSessionBackup",
            Operation.Restore => "Restore-AmpSession",
            Operation.ListBatches => "Get-AmpBatch",
            Operation.RunBatch => "Start-AmpBatch",
            Operation.ResumeBatch => "Resume-AmpBatch",
            Operation.StopBatch => "Stop-AmpBatch",
            Operation.ValidateBatch => "Test-AmpBatch",
            // Get-AmpConfig writes one error per problem of an invalid file.
            Operation.ValidateConfig => "Get-AmpConfig",
            Operation.Acknowledge => "Unblock-AmpSession",
            Operation.CompareAttempts => "Select-AmpAttempt",
            Operation.ShowRunEnvironment => "Get-AmpRunEnvironment",
            Operation.ListSlashCommands => "Get-AmpSlashCommand",
            Operation.ListConfig => "Get-AmpConfig",
            Operation.RecordTestBaseline => "New-AmpTestBaseline",
            Operation.SetConfig => "Set-AmpConfig",
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "no cmdlet"),
        };

        // A PowerShell argument: plain words stay bare, anything else (a <placeholder> too: < is reserved) is single-quoted.
        private static string Quote(string value) =>
            value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '\\' or ':')
                ? value
                : "'" + value.Replace("'", "''") + "'";
    }

    private static bool IsPlaceholder(string value) => value.Length > 2 && value[0] == '<' && value[^1] == '>' && !value.Contains(' ');
}
