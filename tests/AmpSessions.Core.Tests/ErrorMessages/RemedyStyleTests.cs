using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Tests.ErrorMessages;

/// <summary>One message source, two renderings: the CLI's `amp-sessions ...` and PowerShell's cmdlets and parameters.</summary>
public sealed class RemedyStyleTests
{
    public static TheoryData<Operation> Operations() => new(Enum.GetValues<Operation>());

    public static TheoryData<Parameter> Parameters() => new(Enum.GetValues<Parameter>());

    [Theory]
    [MemberData(nameof(Operations))]
    public void Every_operation_has_a_command_and_a_cmdlet(Operation operation)
    {
        var invocation = Invocation.Of(operation);

        Assert.StartsWith("`amp-sessions ", RemedyStyle.CommandLine.Render(invocation));
        Assert.Matches("^[A-Z][a-z]+-Amp[A-Za-z]+$", RemedyStyle.PowerShell.Render(invocation));
    }

    [Theory]
    [MemberData(nameof(Parameters))]
    public void Every_parameter_has_an_option_and_a_PowerShell_parameter(Parameter parameter)
    {
        // A positional argument (a file, a configuration key or value) is its placeholder.
        Assert.Matches("^(--[a-z-]+|<file>|<key>|<value>)$", RemedyStyle.CommandLine.Render(parameter));
        Assert.Matches("^-[A-Z][A-Za-z]+$", RemedyStyle.PowerShell.Render(parameter));
    }

    [Fact]
    public void An_error_says_what_was_wrong_and_each_front_end_says_what_to_do_in_its_own_words()
    {
        var error = new AmpSessionsException("AmpNoScript", ErrorKind.InvalidOperation, "Session abc has no script command", "abc",
            remedy: $"set one with {Invocation.Of(Operation.SetSession, "abc", new Argument(Parameter.Script, "npm test"))}");

        Assert.Equal("Session abc has no script command", error.Problem);
        Assert.Equal("Session abc has no script command: set one with `amp-sessions set abc --script \"npm test\"`.", error.Message);
        Assert.Equal(error.Message, error.Render(RemedyStyle.CommandLine));
        Assert.Equal("Session abc has no script command: set one with Set-AmpSession -Id abc -ScriptCommand 'npm test'.", error.Render(RemedyStyle.PowerShell));
        Assert.Equal("Set one with Set-AmpSession -Id abc -ScriptCommand 'npm test'.", error.RenderRemedy(RemedyStyle.PowerShell));
    }

    [Fact]
    public void Bare_parameters_switches_positional_files_and_placeholders_render_as_each_shell_reads_them()
    {
        FormattableString remedy = $"run {Invocation.Of(Operation.Repair, null, Parameter.Reattach)}, pass {Parameter.Base}, check {Invocation.Of(Operation.ValidateBatch, null, new Argument(Parameter.Path, "/tmp/my batch.yaml"))} or {Invocation.Of(Operation.Commit, "abc", new Argument(Parameter.Message, "<message>"))}";

        Assert.Equal("run `amp-sessions repair --reattach`, pass --base, check `amp-sessions batch validate \"/tmp/my batch.yaml\"` or `amp-sessions commit abc --message <message>`",
            RemedyStyle.CommandLine.Render(remedy));
        Assert.Equal("run Repair-AmpSession -Reattach, pass -BaseBranch, check Test-AmpBatch -Path '/tmp/my batch.yaml' or Checkpoint-AmpSession -Id abc -Message '<message>'",
            RemedyStyle.PowerShell.Render(remedy));
    }

    [Fact]
    public void Values_are_quoted_so_pasting_the_suggestion_runs_it()
    {
        FormattableString remedy = $"{Invocation.Of(Operation.SetSession, "abc", new Argument(Parameter.Script, "echo \"it's $HOME\""))}";

        Assert.Equal("`amp-sessions set abc --script \"echo \\\"it's \\$HOME\\\"\"`", RemedyStyle.CommandLine.Render(remedy));
        Assert.Equal("Set-AmpSession -Id abc -ScriptCommand 'echo \"it''s $HOME\"'", RemedyStyle.PowerShell.Render(remedy));
    }

    [Fact]
    public void An_error_without_a_remedy_is_its_problem()
    {
        var error = new AmpSessionsException("AmpX", ErrorKind.InvalidArgument, "Something is wrong.");

        Assert.Equal("Something is wrong.", error.Message);
        Assert.Equal("Something is wrong.", error.Render(RemedyStyle.PowerShell));
        Assert.Null(error.RenderRemedy(RemedyStyle.PowerShell));
    }
}
