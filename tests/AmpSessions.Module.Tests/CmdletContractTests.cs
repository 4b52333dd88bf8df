using System.Reflection;

namespace AmpSessions.Module.Tests;

[Collection(StagedModuleCollection.Name)]
public sealed class CmdletContractTests(StagedModule module)
{
    /// <summary>The approved verbs: the constants of PowerShell's VerbsCommon, VerbsCommunications,
    /// VerbsData, VerbsDiagnostic, VerbsLifecycle, VerbsOther and VerbsSecurity classes.</summary>
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        // VerbsCommon
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip",
        "Split", "Step", "Switch", "Undo", "Unlock", "Watch",
        // VerbsCommunications
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        // VerbsData
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand",
        "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync",
        "Unpublish", "Update",
        // VerbsDiagnostic
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        // VerbsLifecycle
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke",
        "Register", "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        // VerbsOther
        "Use",
        // VerbsSecurity
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
    };

    /// <summary>Verbs that only read (or, for Export, write a file of the user's): no -WhatIf needed.</summary>
    private static readonly HashSet<string> ReadOnlyVerbs = new(StringComparer.Ordinal)
    {
        "Get", "Compare", "Export", "Open", "Watch", "Find", "Search", "Test", "Measure", "Show", "Resolve", "Receive", "Wait",
        "Read", "Format", "Out", "Select",
    };

    private const string CoreSession = "AmpSessions.Core.Sessions.Session";

    /// <summary>Every core operation's cmdlet; tests/pester/AmpSessions.Tests.ps1 and the manifest list the same.</summary>
    public static readonly string[] ExpectedCmdlets =
    [
        "Checkpoint-AmpSession", "Compare-AmpSession", "Compress-AmpSession", "Export-AmpPatch", "Export-AmpReport", "Get-AmpBatch", "Get-AmpConfig", "Set-AmpConfig", "Get-AmpRunEnvironment", "Get-AmpSlashCommand",
        "Get-AmpIteration", "Get-AmpSession", "Get-AmpSessionBackup", "Get-AmpSessionState", "Get-AmpTemplate", "Get-AmpTimeline",
        "Invoke-AmpIteration", "Invoke-AmpScript", "Merge-AmpBatchJournal", "Merge-AmpSession", "New-AmpSession", "New-AmpTemplate",
        "Open-AmpSession", "Remove-AmpSession", "Remove-AmpTemplate", "Repair-AmpSession", "Restore-AmpSession", "Resume-AmpBatch",
        "Set-AmpSession", "Start-AmpBatch", "Stop-AmpBatch", "Test-AmpBatch", "Update-AmpSession", "Watch-AmpSession",
        "Get-AmpEvent", "Get-AmpAttempt", "Select-AmpAttempt", "Unblock-AmpSession",
        "Start-AmpEvaluation", "Test-AmpEvaluation", "Compare-AmpEvaluation", "Export-AmpPrediction",
        "New-AmpTestBaseline", "Get-AmpTestBaseline",
    ];

    [Fact]
    public void The_module_has_exactly_the_expected_cmdlets() =>
        Assert.Equal(ExpectedCmdlets.Order(StringComparer.Ordinal), module.Cmdlets.Select(c => c.Name));

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb() =>
        Assert.All(module.Cmdlets, c => Assert.True(ApprovedVerbs.Contains(c.Verb), $"{c.Name}: '{c.Verb}' is not an approved verb"));

    [Fact]
    public void Every_noun_is_singular_and_starts_with_Amp() =>
        Assert.All(module.Cmdlets, c =>
        {
            Assert.StartsWith("Amp", c.Noun, StringComparison.Ordinal);
            Assert.False(c.Noun.EndsWith('s'), $"{c.Name}: nouns are singular");
        });

    [Fact]
    public void Every_cmdlet_is_a_sealed_VerbNounCommand_class_on_the_shared_base()
    {
        var baseType = module.ModuleType("AmpSessions.Module.AmpCmdlet");
        Assert.All(module.Cmdlets, c =>
        {
            Assert.Equal(c.Verb + c.Noun + "Command", c.Type.Name);
            Assert.True(c.Type.IsSealed, $"{c.Type.Name} must be sealed");
            Assert.True(c.Type.IsSubclassOf(baseType), $"{c.Type.Name} must derive from AmpCmdlet");
        });
    }

    [Fact]
    public void The_shared_base_is_a_disposable_PSCmdlet_that_handles_Ctrl_C()
    {
        var baseType = module.ModuleType("AmpSessions.Module.AmpCmdlet");
        Assert.True(baseType.IsAbstract);
        Assert.Equal("System.Management.Automation.PSCmdlet", baseType.BaseType!.FullName);
        Assert.Contains(baseType.GetInterfaces(), i => i.FullName == "System.IDisposable");
        foreach (var method in new[] { "BeginProcessing", "StopProcessing" })
        {
            Assert.Equal(baseType, baseType.GetMethod(method, BindingFlags.NonPublic | BindingFlags.Instance)!.DeclaringType);
        }
    }

    [Fact]
    public void Every_cmdlet_declares_one_public_sealed_output_type()
    {
        Assert.All(module.Cmdlets, c =>
        {
            var output = c.CoreOutputType;
            // -AsJob returns a job, and the cmdlet says so (Get-Command's OutputType, and the help).
            Assert.Equal(c.Parameter("AsJob") is null ? [] : ["System.Management.Automation.Job"],
                c.OutputTypes.Where(t => t != output).Select(t => t.FullName));
            // An abstract base is allowed when what is written are its sealed kinds (Watch-AmpSession's events).
            Assert.True(output.IsPublic && (output.IsSealed || output.IsAbstract && SealedKinds(output).Length > 0),
                $"{c.Name}: {output.FullName} must be a public sealed type, or an abstract base of sealed ones");
            Assert.Equal("AmpSessions.Core", output.Assembly.GetName().Name);
        });
    }

    private Type[] SealedKinds(Type abstractBase) =>
        module.Core.GetExportedTypes().Where(t => t.IsSubclassOf(abstractBase) && t.IsSealed).ToArray();

    [Fact]
    public void Every_parameter_set_name_is_a_public_constant()
    {
        Assert.All(module.Cmdlets, c =>
        {
            var constants = c.Type.GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy)
                .Where(f => f.IsLiteral && f.FieldType.FullName == "System.String")
                .Select(f => (string)f.GetRawConstantValue()!)
                .ToHashSet(StringComparer.Ordinal);
            Assert.All(c.ParameterSets, set => Assert.True(constants.Contains(set), $"{c.Name}: the parameter set '{set}' is not a constant"));
            if (c.ParameterSets.Count > 1)
            {
                Assert.Contains(c.DefaultParameterSet, c.ParameterSets);
            }
        });
    }

    [Fact]
    public void Every_cmdlet_that_changes_state_supports_WhatIf_and_Confirm()
    {
        var changing = module.Cmdlets.Where(c => !ReadOnlyVerbs.Contains(c.Verb)).ToArray();
        Assert.NotEmpty(changing);
        Assert.All(changing, c => Assert.True(c.SupportsShouldProcess, $"{c.Name} changes state but does not support ShouldProcess"));
    }

    [Fact]
    public void Removing_and_forcing_ask_for_confirmation_by_default()
    {
        var risky = module.Cmdlets.Where(c => c.Verb == "Remove" || c.Parameter("Force") is not null).ToArray();
        Assert.NotEmpty(risky);
        Assert.All(risky, c =>
        {
            Assert.True(c.SupportsShouldProcess, c.Name);
            Assert.Equal(CompiledCmdlet.ConfirmImpactHigh, c.ConfirmImpact);
        });
    }

    [Fact]
    public void Every_cmdlet_takes_DataPath_in_every_parameter_set() =>
        Assert.All(module.Cmdlets, c =>
        {
            var dataPath = c.Parameter("DataPath");
            Assert.True(dataPath is not null, $"{c.Name} has no -DataPath");
            Assert.Equal(PowerShellTypes.AllParameterSets, Assert.Single(dataPath!.Usages).ParameterSet);
        });

    [Fact]
    public void Cmdlets_that_take_sessions_bind_Session_by_value_and_Id_by_value_and_property_name()
    {
        var sessionCmdlets = module.Cmdlets.Where(c => c.Parameter("Session") is not null).ToArray();
        Assert.True(sessionCmdlets.Length >= 7, "the session cmdlets share -Session and -Id");
        Assert.All(sessionCmdlets, c =>
        {
            var session = c.Parameter("Session")!;
            Assert.Equal(CoreSession + "[]", session.Type.FullName);
            Assert.Equal(new ParameterUsage("Session", true, 0, true, false), Assert.Single(session.Usages));

            var id = c.Parameter("Id")!;
            Assert.Equal("System.String[]", id.Type.FullName);
            // A plain string ('k3m' | Get-AmpIteration) binds by value; an object with Id or SessionId by property name.
            Assert.Equal(new ParameterUsage("Id", true, 0, true, true), Assert.Single(id.Usages));
            Assert.Contains("SessionId", id.Aliases);
            Assert.Equal("AmpSessions.Module.Completion.SessionIdCompleter", id.Completer?.FullName);
            Assert.Equal("Id", c.DefaultParameterSet);
        });
    }

    [Fact]
    public void Get_AmpSession_finds_by_id_name_and_wildcard()
    {
        var get = module.Cmdlets.Single(c => c.Name == "Get-AmpSession");
        var id = get.Parameter("Id")!;
        Assert.True(id.SupportsWildcards);
        Assert.True(id.Usages.Single().ValueFromPipelineByPropertyName && id.Usages.Single().ValueFromPipeline);
        Assert.Equal("AmpSessions.Module.Completion.SessionIdCompleter", id.Completer?.FullName);
        Assert.True(get.Parameter("Name")!.SupportsWildcards);
        Assert.Equal("AmpSessions.Module.Completion.SessionNameCompleter", get.Parameter("Name")!.Completer?.FullName);
        var status = get.Parameter("Status")!.Type;
        Assert.Equal("System.Nullable`1", status.GetGenericTypeDefinition().FullName);
        Assert.Equal("AmpSessions.Core.Sessions.SessionStatus", status.GetGenericArguments()[0].FullName);
    }

    [Fact]
    public void Argument_completers_are_PowerShell_completers_for_sessions_and_branches()
    {
        var completers = module.Cmdlets.SelectMany(c => c.Parameters).Where(p => p.Completer is not null).Select(p => p.Completer!).Distinct().ToArray();
        Assert.Contains(completers, t => t.Name == "BranchCompleter");
        Assert.All(completers, t => Assert.Contains(t.GetInterfaces(), i => i.FullName == "System.Management.Automation.IArgumentCompleter"));
        Assert.Equal("BranchCompleter", module.Cmdlets.Single(c => c.Name == "New-AmpSession").Parameter("BaseBranch")!.Completer?.Name);
    }

    [Fact]
    public void Switches_are_SwitchParameters_not_booleans() =>
        Assert.All(module.Cmdlets.SelectMany(c => c.Parameters), p => Assert.NotEqual("System.Boolean", p.Type.FullName));

    [Fact]
    public void The_job_base_offers_AsJob_and_a_bounded_ThrottleLimit()
    {
        var jobCmdlet = module.ModuleType("AmpSessions.Module.AmpJobCmdlet");
        Assert.True(jobCmdlet.IsAbstract);
        Assert.Equal("AmpSessions.Module.AmpSessionCmdlet", jobCmdlet.BaseType!.FullName);
        var asJob = new CompiledParameter(jobCmdlet.GetProperty("AsJob")!);
        Assert.True(asJob.IsSwitch);
        var throttle = jobCmdlet.GetProperty("ThrottleLimit")!;
        Assert.Equal("System.Int32", throttle.PropertyType.FullName);
        var range = CompiledCmdlet.Attribute(throttle.CustomAttributes, PowerShellTypes.ValidateRangeAttribute)!;
        Assert.Equal(1, range.ConstructorArguments[0].Value);
        Assert.Equal(64, range.ConstructorArguments[1].Value);
    }

    [Fact]
    public void Jobs_are_PowerShell_jobs_with_a_type_name_children_and_stop()
    {
        var job = module.ModuleType("AmpSessions.Module.Jobs.AmpJob");
        var child = module.ModuleType("AmpSessions.Module.Jobs.AmpChildJob");
        foreach (var type in new[] { job, child })
        {
            Assert.True(type.IsSealed);
            Assert.Equal("System.Management.Automation.Job", type.BaseType!.FullName);
            Assert.Equal(type, type.GetMethod("StopJob")!.DeclaringType);
            foreach (var property in new[] { "StatusMessage", "HasMoreData", "Location" })
            {
                Assert.Equal(type, type.GetProperty(property)!.DeclaringType);
            }
        }
        Assert.Equal("AmpSessionsJob", job.GetField("JobTypeName")!.GetRawConstantValue());
    }

    [Fact]
    public void Cmdlets_that_move_a_users_branch_or_reset_work_ask_first_and_the_others_do_not()
    {
        string[] high = ["Merge-AmpSession", "Restore-AmpSession", "Remove-AmpSession", "Remove-AmpTemplate"];
        string[] medium = ["Compress-AmpSession", "Update-AmpSession", "Invoke-AmpIteration", "Invoke-AmpScript", "Export-AmpPatch", "New-AmpTemplate"];
        Assert.All(high, name => Assert.Equal(CompiledCmdlet.ConfirmImpactHigh, Cmdlet(name).ConfirmImpact));
        Assert.All(medium, name =>
        {
            Assert.True(Cmdlet(name).SupportsShouldProcess, name);
            Assert.Equal(2, Cmdlet(name).ConfirmImpact);
        });
    }

    [Fact]
    public void Invoke_AmpIteration_runs_as_a_job_and_never_takes_a_piped_sessions_prompt_or_notes_as_its_own()
    {
        var iterate = Cmdlet("Invoke-AmpIteration");
        Assert.Equal("AmpSessions.Module.AmpJobCmdlet", iterate.Type.BaseType!.FullName);
        Assert.True(iterate.Parameter("AsJob")!.IsSwitch);
        Assert.Equal("System.Int32", iterate.Parameter("ThrottleLimit")!.Type.FullName);
        foreach (var name in new[] { "NoCommit", "NoScript" })
        {
            Assert.True(iterate.Parameter(name)!.IsSwitch, name);
        }
        // A session has Prompt and Notes properties: bound from the pipeline they would repeat the session's own.
        foreach (var name in new[] { "Prompt", "Notes" })
        {
            var usage = Assert.Single(iterate.Parameter(name)!.Usages);
            Assert.False(usage.ValueFromPipeline || usage.ValueFromPipelineByPropertyName, name);
        }
    }

    [Fact]
    public void Timeouts_are_TimeSpans_that_take_seconds_and_must_be_positive()
    {
        foreach (var name in new[] { "Invoke-AmpIteration", "Invoke-AmpScript" })
        {
            var timeout = Cmdlet(name).Parameter("Timeout")!;
            Assert.Equal("System.TimeSpan", timeout.Type.GetGenericArguments().Single().FullName);
            var attributes = timeout.Property.CustomAttributes.Select(a => a.AttributeType.Name).ToArray();
            Assert.Contains("SecondsToTimeSpanAttribute", attributes);
            Assert.Contains("ValidatePositiveTimeSpanAttribute", attributes);
            Assert.Equal("System.Management.Automation.ArgumentTransformationAttribute",
                timeout.Property.CustomAttributes.Single(a => a.AttributeType.Name == "SecondsToTimeSpanAttribute").AttributeType.BaseType!.FullName);
        }
    }

    [Fact]
    public void Update_AmpSession_has_the_rebase_continue_and_abort_sets_and_takes_sessions_by_Id()
    {
        var update = Cmdlet("Update-AmpSession");
        Assert.Equal(["Abort", "Continue", "Rebase"], update.ParameterSets);
        Assert.Equal("Rebase", update.DefaultParameterSet);
        Assert.Null(update.Parameter("Session"));
        var id = update.Parameter("Id")!;
        Assert.Equal(new ParameterUsage(PowerShellTypes.AllParameterSets, true, 0, true, true), Assert.Single(id.Usages));
        Assert.Contains("SessionId", id.Aliases);
        Assert.Equal("SessionIdCompleter", id.Completer?.Name);
        Assert.Equal("Rebase", Assert.Single(update.Parameter("Onto")!.Usages).ParameterSet);
        Assert.Equal("BranchCompleter", update.Parameter("Onto")!.Completer?.Name);
        Assert.Equal(new ParameterUsage("Continue", true, int.MinValue, false, false), Assert.Single(update.Parameter("Continue")!.Usages));
        Assert.Equal(new ParameterUsage("Abort", true, int.MinValue, false, false), Assert.Single(update.Parameter("Abort")!.Usages));
        Assert.Equal("AmpSessions.Module.AmpSessionActionCmdlet", update.Type.BaseType!.FullName);
    }

    [Fact]
    public void Restore_AmpSession_takes_a_piped_backups_Ref()
    {
        var backup = Cmdlet("Restore-AmpSession").Parameter("Backup")!;
        Assert.True(Assert.Single(backup.Usages).ValueFromPipelineByPropertyName);
        Assert.Contains("Ref", backup.Aliases);
        Assert.NotNull(module.FindType("AmpSessions.Core.Backups.SessionBackup")!.GetProperty("Ref"));
        // A piped session must not bind it: sessions have no property of either name.
        Assert.Null(module.FindType(CoreSession)!.GetProperty("Ref"));
        Assert.Null(module.FindType(CoreSession)!.GetProperty("Backup"));
    }

    [Fact]
    public void Templates_are_named_completed_and_used_by_New_AmpSession()
    {
        foreach (var name in new[] { "Get-AmpTemplate", "Remove-AmpTemplate" })
        {
            Assert.Equal("TemplateNameCompleter", Cmdlet(name).Parameter("Name")!.Completer?.Name);
        }
        Assert.True(Cmdlet("Get-AmpTemplate").Parameter("Name")!.SupportsWildcards);
        var newSession = Cmdlet("New-AmpSession");
        Assert.Equal("TemplateNameCompleter", newSession.Parameter("Template")!.Completer?.Name);
        // With a template the prompt may come from it.
        Assert.False(Assert.Single(newSession.Parameter("Prompt")!.Usages).Mandatory);
    }

    [Fact]
    public void Export_AmpPatch_takes_an_output_path_and_supports_WhatIf()
    {
        var export = Cmdlet("Export-AmpPatch");
        Assert.Equal("System.String", export.Parameter("OutputPath")!.Type.FullName);
        Assert.True(export.Parameter("AllCommits")!.IsSwitch);
        Assert.True(export.SupportsShouldProcess, "it writes (and may replace) a file");
    }

    [Fact]
    public void Batch_runs_share_the_batch_base_with_AsJob_and_a_bounded_ThrottleLimit_and_ask_before_running()
    {
        var runBase = module.ModuleType("AmpSessions.Module.AmpBatchRunCmdlet");
        Assert.True(runBase.IsAbstract);
        Assert.Equal("AmpSessions.Module.AmpCmdlet", runBase.BaseType!.FullName);
        var range = CompiledCmdlet.Attribute(runBase.GetProperty("ThrottleLimit")!.CustomAttributes, PowerShellTypes.ValidateRangeAttribute)!;
        Assert.Equal((1, 64), ((int)range.ConstructorArguments[0].Value!, (int)range.ConstructorArguments[1].Value!));
        foreach (var name in new[] { "Start-AmpBatch", "Resume-AmpBatch" })
        {
            var cmdlet = Cmdlet(name);
            Assert.Equal(runBase, cmdlet.Type.BaseType);
            Assert.True(cmdlet.Parameter("AsJob")!.IsSwitch, name);
            Assert.Equal("System.Int32", cmdlet.Parameter("ThrottleLimit")!.Type.FullName);
            Assert.Equal("AmpSessions.Core.Batches.BatchRunResult", cmdlet.CoreOutputType.FullName);
            Assert.True(cmdlet.SupportsShouldProcess, name);
            Assert.Equal(2, cmdlet.ConfirmImpact);
        }
    }

    [Fact]
    public void Start_AmpBatch_takes_files_from_the_pipeline_a_shard_and_a_bounded_concurrency()
    {
        var start = Cmdlet("Start-AmpBatch");
        var path = start.Parameter("Path")!;
        Assert.Equal("System.String[]", path.Type.FullName);
        Assert.Equal(new ParameterUsage(PowerShellTypes.AllParameterSets, true, 0, true, true), Assert.Single(path.Usages));
        Assert.Contains("FullName", path.Aliases);
        Assert.Equal("System.String", start.Parameter("Shard")!.Type.FullName);
        var concurrency = start.Parameter("Concurrency")!;
        Assert.Equal("System.Int32", concurrency.Type.GetGenericArguments().Single().FullName);
        var range = CompiledCmdlet.Attribute(concurrency.Property.CustomAttributes, PowerShellTypes.ValidateRangeAttribute)!;
        Assert.Equal(1, range.ConstructorArguments[0].Value);
    }

    [Fact]
    public void Batch_cmdlets_take_batches_by_Id_or_BatchId_from_the_pipeline()
    {
        foreach (var name in new[] { "Get-AmpBatch", "Stop-AmpBatch", "Resume-AmpBatch" })
        {
            var id = Cmdlet(name).Parameter("Id")!;
            Assert.Equal("System.String[]", id.Type.FullName);
            var usage = Assert.Single(id.Usages);
            Assert.True(usage.ValueFromPipeline && usage.ValueFromPipelineByPropertyName && usage.Position == 0, name);
            Assert.Equal(name != "Get-AmpBatch", usage.Mandatory);
            Assert.Contains("BatchId", id.Aliases);
        }
        // What the batch cmdlets write has the properties the others bind.
        Assert.NotNull(module.FindType("AmpSessions.Core.Batches.BatchDetails")!.GetProperty("Id"));
        Assert.NotNull(module.FindType("AmpSessions.Core.Batches.BatchSummary")!.GetProperty("Id"));
        Assert.NotNull(module.FindType("AmpSessions.Core.Batches.BatchRunResult")!.GetProperty("BatchId"));
        Assert.NotNull(module.FindType("AmpSessions.Core.Batches.MergedJournal")!.GetProperty("JournalPath"));
        Assert.Equal(2, Cmdlet("Stop-AmpBatch").ConfirmImpact);
        Assert.True(Cmdlet("Stop-AmpBatch").Parameter("NoWait")!.IsSwitch);
        Assert.Contains("SecondsToTimeSpanAttribute", Cmdlet("Stop-AmpBatch").Parameter("Timeout")!.Property.CustomAttributes.Select(a => a.AttributeType.Name));
    }

    [Fact]
    public void Export_AmpReport_reads_a_batch_or_a_journal_and_writes_a_format_to_a_path()
    {
        var export = Cmdlet("Export-AmpReport");
        Assert.Equal(["Batch", "Journal"], export.ParameterSets);
        Assert.Equal("Batch", export.DefaultParameterSet);
        Assert.Equal(new ParameterUsage("Batch", true, 0, true, true), Assert.Single(export.Parameter("Batch")!.Usages));
        Assert.Equal(["BatchId", "Id"], export.Parameter("Batch")!.Aliases);
        Assert.Equal(new ParameterUsage("Journal", true, int.MinValue, false, true), Assert.Single(export.Parameter("JournalPath")!.Usages));
        Assert.Equal("AmpSessions.Core.Reports.ReportFormat", export.Parameter("Format")!.Type.FullName);
        Assert.True(Assert.Single(export.Parameter("OutputPath")!.Usages).Mandatory);
        Assert.True(export.SupportsShouldProcess, "it writes (and may replace) a file");
        var merge = Cmdlet("Merge-AmpBatchJournal");
        Assert.Equal(["JournalPath", "FullName"], merge.Parameter("Path")!.Aliases);
        Assert.True(Assert.Single(merge.Parameter("OutputPath")!.Usages).Mandatory);
    }

    private CompiledCmdlet Cmdlet(string name) => module.Cmdlets.Single(c => c.Name == name);

    [Fact]
    public void The_module_initializer_puts_the_dependencies_in_a_load_context_of_their_own_on_import()
    {
        // One dependency context serves the process across Remove-Module/Import-Module (assemblies in the
        // default context are never unloaded), so there is no cleanup to do on removal any more; the hosted
        // ModuleLoadTests prove the behaviour in real pwsh.
        var initializer = module.ModuleType("AmpSessions.Module.Infrastructure.ModuleInitializer");
        Assert.Contains("System.Management.Automation.IModuleAssemblyInitializer", initializer.GetInterfaces().Select(i => i.FullName));
        Assert.Equal("System.Runtime.Loader.AssemblyLoadContext", module.ModuleType("AmpSessions.Module.Infrastructure.DependencyLoadContext").BaseType!.FullName);
    }
}
