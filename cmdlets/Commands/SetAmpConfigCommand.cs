using System.Management.Automation;
using AmpSessions.Core.Configuration;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Sets one configuration key in your config.yaml in the data directory, or with -Scope Repository in
/// the repository's .amp-sessions.yaml, keeping the file's comments and layout; -Remove takes the key
/// out. The file is checked before it is written, so a bad value changes nothing.
/// </summary>
[Cmdlet(VerbsCommon.Set, Nouns.Config, SupportsShouldProcess = true, DefaultParameterSetName = ValueSet, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ConfigSetting))]
public sealed class SetAmpConfigCommand : AmpCmdlet
{
    public const string ValueSet = "Value";
    public const string RemoveSet = "Remove";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConfigKeyCompleter))]
    public string Key { get; set; } = "";

    /// <summary>The value: text, a number, $true/$false, or an array for list keys.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ValueSet)]
    public object Value { get; set; } = "";

    /// <summary>Remove the key from the file instead.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RemoveSet)]
    public SwitchParameter Remove { get; set; }

    /// <summary>User (your config.yaml, the default) or Repository (.amp-sessions.yaml, committed with the code).</summary>
    [Parameter]
    public ConfigurationScope Scope { get; set; } = ConfigurationScope.User;

    [Parameter]
    [Alias("RepoRoot")]
    [ValidateNotNullOrEmpty]
    public string? RepoPath { get; set; }

    /// <summary>Write the key's new effective value.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var target = Scope == ConfigurationScope.Repository ? $"{ConfigurationKeys.RepositoryFileName} of {RepoPath ?? CurrentDirectory}" : new ConfigurationService(Context).UserFile;
        var value = Remove ? null : Unwrap(Value);
        if (!ShouldProcess(target, Remove ? $"Remove '{Key}'" : $"Set '{Key}' to {ConfigSetting.Display(value is object[] items ? items.Select(i => i?.ToString() ?? "").ToList() : value)}"))
        {
            return;
        }
        try
        {
            var repo = RepoPath is null ? null : ResolvePath(RepoPath);
            var setting = RunOnPipeline((events, ct) => new ConfigurationService(Context).SetAsync(Key, value, Scope, repo, CurrentDirectory, ct));
            if (PassThru)
            {
                WriteObject(setting);
            }
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, Key);
        }
    }

    private static object? Unwrap(object? value) => value switch
    {
        PSObject wrapped => Unwrap(wrapped.BaseObject),
        object[] items => items.Select(i => Unwrap(i)?.ToString() ?? "").ToArray(),
        _ => value,
    };
}
