using System.Management.Automation;
using AmpSessions.Core.Processes;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// -ScriptShell: one of the shells the core runs test scripts with (<see cref="PlatformShell.Shells"/>),
/// any case; an empty string means the platform's (and clears it on Set-AmpSession). Checked at
/// parameter binding, so a misspelt shell changes nothing; PowerShell's ValidateSet would refuse the
/// empty string that clears it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ValidateScriptShellAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        var text = (element is PSObject wrapped ? wrapped.BaseObject : element)?.ToString() ?? "";
        if (text.Trim().Length > 0 && !PlatformShell.Shells.Contains(text.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            throw new ValidationMetadataException(
                $"'{text}' is not a shell AmpSessions runs scripts with: choose one of {string.Join(", ", PlatformShell.Shells)}, or '' for the platform's (/bin/sh; cmd on Windows).");
        }
    }
}
