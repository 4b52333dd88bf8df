using AmpSessions.Core.Display;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Cli.Commands;

/// <summary>`list`'s output: a page with a count of the rest, or every session streamed (text or JSON).</summary>
internal static class SessionList
{
    /// <summary>Rows a default `list` shows: a screenful.</summary>
    public const int DefaultPageSize = 20;

    /// <summary>With --all the columns are sized by this many rows, and the rest stream.</summary>
    private const int WidthSample = 100;

    private static readonly string[] Headers = ["ID", "NAME", "STATUS", "BRANCH", "CREATED"];

    public static void WritePage(SessionPage page, Output output)
    {
        output.Result(page.Sessions, list =>
        {
            if (list.Count == 0)
            {
                output.Line(page.Total == 0 ? NoSessions : $"{DisplayFormat.Count(page.Total)} sessions match; none is shown.");
                return;
            }
            output.Table(Headers, list.Select(Row));
            if (page.Rest > 0)
            {
                output.Line($"... and {DisplayFormat.Count(page.Rest)} more (the newest {DisplayFormat.Count(list.Count)} of {DisplayFormat.Count(page.Total)} shown): amp-sessions list --all, or --first <n>.");
            }
        });
    }

    public static void WriteAll(IEnumerable<Session> sessions, Output output, CancellationToken cancellationToken)
    {
        var rows = sessions.Select(s =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return s;
        });
        if (output.IsJson)
        {
            Output.JsonArray(rows);
            return;
        }
        using var remaining = rows.GetEnumerator();
        if (!remaining.MoveNext())
        {
            output.Line(NoSessions);
            return;
        }
        output.Table(Headers, Rest(remaining).Select(Row), WidthSample);
    }

    private const string NoSessions = "No sessions. Create one with: amp-sessions new --repo <path> --name <name> --prompt <prompt>";

    private static IEnumerable<T> Rest<T>(IEnumerator<T> started)
    {
        do
        {
            yield return started.Current;
        }
        while (started.MoveNext());
    }

    private static IReadOnlyList<string> Row(Session s) => [s.Id, s.Name, s.Status.ToString(), s.BranchName, DisplayFormat.Time(s.CreatedAt)];
}
