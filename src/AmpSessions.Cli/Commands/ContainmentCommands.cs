using System.CommandLine;
using AmpSessions.Core.Containment;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>Containment of the agent: `ack` (a person has looked at a main-checkout change).</summary>
internal static class ContainmentCommands
{
    public static void AddTo(RootCommand root)
    {
        var session = SessionArgument();
        root.Add("ack", "Acknowledge that a Blocked session's agent changed the main checkout (after checking it): the session can iterate and merge again.", async (p, output, ct) =>
        {
            var result = await new Acknowledgement(OpenContext(p)).AcknowledgeAsync(p.GetValue(session)!, ct);
            output.Result(result, r =>
            {
                output.Line($"Session {r.Session.Id} is {r.Session.Status} again.");
                foreach (var iteration in r.Iterations)
                {
                    output.Line($"  acknowledged iteration {iteration.Number}: {string.Join(", ", iteration.MainCheckoutTouched ?? [])}");
                }
            });
            return CliApplication.Success;
        }, session);
    }
}
