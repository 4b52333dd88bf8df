using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// Prices through the module as a user sets and sees them: Set-AmpConfig writes one, New-AmpSession
/// -BudgetCost is refused without one (with PowerShell's words, nothing made), and with one the
/// session's cost shows in Get-AmpSessionState after a turn of the fake agent.
/// </summary>
public sealed class PricesCmdletTests : IDisposable
{
    private readonly HostedPowerShell host = new();

    public void Dispose() => host.Dispose();

    [Fact]
    public void A_cost_budget_is_refused_until_Set_AmpConfig_gives_a_price_then_the_cost_shows_in_the_state()
    {
        var repo = host.NewRepository("web-app");
        var variables = new (string, object?)[] { ("Repo", repo) };

        var (_, errors) = host.InvokeWithErrors("New-AmpSession -Name 'Capped' -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $FakeAgent -BudgetCost 2 -DataPath $Data", variables);

        var error = Assert.Single(errors);
        Assert.StartsWith("AmpBudgetCostUnpriced,", error.FullyQualifiedErrorId);
        var text = string.Join("\n", error.Exception.Message, error.ErrorDetails?.RecommendedAction ?? "");
        Assert.Contains("A cost budget needs a price", text);
        // The fake runs as amp:<program>: priced as amp.
        Assert.Contains("Set-AmpConfig -Key prices.amp.input -Value 3", text);
        Assert.Contains("-BudgetTokens", text);
        Assert.DoesNotContain("amp-sessions ", text);
        Assert.Empty(host.Invoke("Get-AmpSession -DataPath $Data"));
        Assert.Equal("main", host.Invoke("git -C $Repo branch --format '%(refname:short)'", variables).Single().ToString());

        var setting = host.Invoke("""
            Set-AmpConfig prices.default.input 1000 -DataPath $Data
            Set-AmpConfig prices.default.output 1000 -DataPath $Data -PassThru
            """).Single();
        Assert.Equal("prices.default.output", setting.Properties["Key"].Value);
        var state = host.Invoke("""
            $session = New-AmpSession -Name 'Capped' -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $FakeAgent -BudgetCost 2 -DataPath $Data
            Invoke-AmpIteration -Id $session.Id -DataPath $Data | Out-Null
            Get-AmpSessionState -Id $session.Id -DataPath $Data
            """, variables).Single();

        // The fake's turn reports 21 input and 218 output tokens (and cache, priced at 0 here): 239 at $1,000 per million.
        Assert.Equal(0.239m, (decimal)state.Properties["CostUsd"].Value);
        var shown = host.Render("$State | Format-List", 120, ("State", state));
        Assert.Matches(@"Cost\s+: \$0\.24", shown);
        Assert.Matches(@"Budget\s+: \$2\.00 \(spent 46,501 tokens with cache, \$0\.24", shown);
    }
}
