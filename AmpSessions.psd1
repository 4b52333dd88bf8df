# Module manifest for AmpSessions.
#
# This file is the template: the build (cmdlets/Staging.targets) writes the staged manifest into
# out/AmpSessions/<version>/ with {{ModuleVersion}} replaced by VersionPrefix from
# Directory.Build.props, so the version is defined in one place. Import the staged module, not
# this file. CmdletsToExport and AliasesToExport must list exactly the compiled cmdlets and their
# [Alias]es; the module contract tests check it.
@{
    RootModule           = 'AmpSessions.dll'
    ModuleVersion        = '{{ModuleVersion}}'
    GUID                 = 'c9eb79fb-aad7-4e09-a484-d8f1a6776888'
    Author               = 'AmpSessions contributors'
    CompanyName          = 'AmpSessions contributors'
    Copyright            = '(c) AmpSessions contributors. MIT License.'
    Description          = 'Run Amp coding agents in isolated Git worktrees: one session per goal, on its own branch and worktree, with iterations, test scripts, diffs, timelines, backups, squash, rebase and merge, from the PowerShell pipeline.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')

    FormatsToProcess     = @('AmpSessions.Format.ps1xml')

    CmdletsToExport      = @(
        'New-AmpSession'
        'Get-AmpSession'
        'Get-AmpSessionState'
        'Set-AmpSession'
        'Remove-AmpSession'
        'Repair-AmpSession'
        'Compare-AmpSession'
        'Checkpoint-AmpSession'
        'Open-AmpSession'
        'Get-AmpSessionBackup'
        'Invoke-AmpIteration'
        'Get-AmpIteration'
        'Invoke-AmpScript'
        'Get-AmpTimeline'
        'Watch-AmpSession'
        'Compress-AmpSession'
        'Update-AmpSession'
        'Merge-AmpSession'
        'Export-AmpPatch'
        'Restore-AmpSession'
        'New-AmpTemplate'
        'Get-AmpTemplate'
        'Remove-AmpTemplate'
        'Test-AmpBatch'
        'Start-AmpBatch'
        'Get-AmpBatch'
        'Stop-AmpBatch'
        'Resume-AmpBatch'
        'Merge-AmpBatchJournal'
        'Start-AmpEvaluation'
        'Test-AmpEvaluation'
        'Compare-AmpEvaluation'
        'Export-AmpPrediction'
        'New-AmpTestBaseline'
        'Get-AmpTestBaseline'
        'Export-AmpReport'
        'Get-AmpConfig'
        'Set-AmpConfig'
        'Get-AmpEvent'
        'Get-AmpAttempt'
        'Select-AmpAttempt'
        'Unblock-AmpSession'
        'Get-AmpRunEnvironment'
        'Get-AmpSlashCommand'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @(
        'Export-AmpPredictions'
        'gams'
        'nams'
    )

    PrivateData          = @{
        PSData = @{
            Tags         = @('PSEdition_Core', 'Windows', 'Linux', 'MacOS', 'Git', 'AI', 'Agents')
            ProjectUri   = 'https://github.com/ampsessions/ampsessions'
            LicenseUri   = 'https://github.com/ampsessions/ampsessions/blob/main/LICENSE'
            ReleaseNotes = 'First release of the module: create, list, inspect, change, diff, checkpoint, open, back up, repair and clean up sessions; run agent iterations (also as background jobs with -AsJob) and test scripts; timelines and live watching; squash, rebase, merge, patch export and restore; session templates; batches of agents, tasks and repositories (Start-AmpBatch with live progress, also as a job; Get-, Stop-, Resume-AmpBatch; shard journals merged; JSONL, CSV and HTML reports); -WhatIf/-Confirm on every change; typed output with table, list, diff and timeline views; full offline help.'
        }
    }
}
