using AmpSessions.Core.Storage;
using AmpSessions.Testing;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Tests.Storage;

/// <summary>A pipeline's shared connection: one open connection reused while the scope lasts, closed when it ends.</summary>
public sealed class SharedConnectionTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-db-shared");
    private readonly Database database;

    public SharedConnectionTests() => database = Database.Open(temp.Combine("amp-sessions.db"));

    public void Dispose() => temp.Dispose();

    private SqliteConnection Used() => database.Execute(connection => connection);

    [Fact]
    public void Inside_a_scope_every_query_reuses_one_open_connection_and_the_scope_closes_it()
    {
        SqliteConnection first, second;
        using (database.ShareConnection())
        {
            first = Used();
            second = Used();
            Assert.Equal(System.Data.ConnectionState.Open, first.State);
        }

        Assert.Same(first, second);
        Assert.Equal(System.Data.ConnectionState.Closed, first.State);
    }

    [Fact]
    public void Outside_a_scope_each_query_has_a_connection_of_its_own_closed_after_it()
    {
        var first = Used();
        var second = Used();

        Assert.NotSame(first, second);
        Assert.Equal(System.Data.ConnectionState.Closed, first.State);
    }

    [Fact]
    public void Work_running_at_the_same_time_gets_another_connection_and_a_failed_one_is_not_kept()
    {
        using (database.ShareConnection())
        {
            var outer = Used();
            var (inside, nested) = database.Execute(connection => (connection, Used()));
            Assert.Same(outer, inside);
            Assert.NotSame(inside, nested);

            Assert.ThrowsAny<Exception>(() => database.Execute<int>(connection => throw new InvalidOperationException("the work failed")));
            Assert.NotSame(outer, Used());
        }
    }

    [Fact]
    public void Nested_scopes_keep_the_connection_until_the_last_ends()
    {
        SqliteConnection kept;
        using (database.ShareConnection())
        {
            using (database.ShareConnection())
            {
                kept = Used();
            }
            Assert.Same(kept, Used());
        }

        Assert.Equal(System.Data.ConnectionState.Closed, kept.State);
    }
}
