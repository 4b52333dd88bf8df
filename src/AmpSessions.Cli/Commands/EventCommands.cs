using System.CommandLine;
using AmpSessions.Core.Events;
using AmpSessions.Core.Serialization;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>`events`: what happened to sessions and batches, from any process, and (with --follow) as it happens.</summary>
internal static class EventCommands
{
    public static void AddTo(RootCommand root)
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events as any process records them, until Ctrl+C." };
        var types = new Option<string[]>("--type") { Description = $"Only events of this type (repeatable): {string.Join(", ", AmpEventTypes.All)}.", HelpName = "type" };
        var session = new Option<string?>("--session") { Description = "Only events of this session (id, unique prefix or name).", HelpName = "session" };
        var batch = new Option<string?>("--batch") { Description = "Only events of this batch id.", HelpName = "id" };
        var after = new Option<long?>("--after") { Description = "Start after this event id (each event has one), so a reader can resume without gaps.", HelpName = "id" };
        var last = new Option<int>("--last") { Description = "Without --follow or --after: how many of the newest events to print (default 50).", DefaultValueFactory = _ => 50 };
        root.Add("events", "Print what happened (sessions created, statuses, iterations, tests, conflicts, merges, budgets, batches); --follow streams new events. With --json: one JSON object per line.", async (p, output, ct) =>
        {
            var context = OpenContext(p);
            if (p.GetValue(last) < 1)
            {
                throw new Core.Errors.AmpSessionsException("AmpUsageLastInvalid", Core.Errors.ErrorKind.InvalidArgument, "--last must be 1 or more.", p.GetValue(last));
            }
            var filter = new EventFilter
            {
                Types = AmpEventTypes.Checked(p.GetValue(types)),
                SessionId = p.GetValue(session) is { } reference ? new Core.Sessions.SessionManager(context).Resolve(reference).Id : null,
                BatchId = p.GetValue(batch),
            };
            var start = p.GetValue(after);
            if (!p.GetValue(follow))
            {
                var events = start is { } from ? context.Events.After(from, filter, int.MaxValue) : context.Events.Last(p.GetValue(last), filter);
                foreach (var e in events)
                {
                    Write(e, output);
                }
                if (events.Count == 0 && !output.IsJson)
                {
                    output.Line("No events.");
                }
                return CliApplication.Success;
            }
            if (!output.IsJson)
            {
                output.Note("Following events (Ctrl+C to stop)...");
            }
            await foreach (var e in context.Events.FollowAsync(start, filter, cancellationToken: ct))
            {
                Write(e, output);
            }
            // Ctrl+C is how a follow ends: that is success, not cancellation.
            return CliApplication.Success;
        }, follow, types, session, batch, after, last);
    }

    private static void Write(AmpEvent e, Output output)
    {
        if (output.IsJson)
        {
            Console.Out.WriteLine(JsonOutput.Serialize(e, Output.CompactJsonOptions));
        }
        else
        {
            output.Line(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{e.Time.ToLocalTime():HH:mm:ss} #{e.Id,-5} {e.Type,-19} {e.Message}"));
        }
        Console.Out.Flush();
    }
}
