using System.Diagnostics;
using SessionVoice.Api.Standalone;

namespace SessionVoice.Api.Tests.Settlement;

/// <summary>
/// The WAL is copied back into the database file by the checkpointer's thread, not inside the write queue's
/// commits, and it still starts over under writes that never pause. Observed from outside, by the sizes of the
/// database file and of the WAL file (which never shrinks: its length is the most frames it ever held).
/// </summary>
public sealed class SqliteCheckpointerTests
{
    private const int PageSize = 4096;

    /// <summary>A row larger than half a page: every write adds at least one page to the WAL.</summary>
    private const int RowBytes = 3000;

    private static void CreateTable(TempDatabase temp)
    {
        using var connection = temp.Db.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE items (id INTEGER PRIMARY KEY, value BLOB NOT NULL)");
    }

    private static Task<int> Insert(TempDatabase temp, int id) =>
        temp.Db.Queue.WriteAsync(batch => batch.Execute("INSERT INTO items (id, value) VALUES ($id, randomblob($n))", ("$id", id), ("$n", RowBytes)));

    private static long DatabaseFileBytes(TempDatabase temp) => new FileInfo(temp.Db.Path).Length;

    private static long WalFrames(TempDatabase temp) => Math.Max(0, (new FileInfo(temp.Db.Path + "-wal").Length - 32) / (PageSize + 24));

    private static long Count(TempDatabase temp)
    {
        using var connection = temp.Db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT count(*) FROM items");
        return (long)command.ExecuteScalar()!;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Commits_of_the_write_queue_do_not_checkpoint()
    {
        using var temp = new TempDatabase(checkpointInterval: Timeout.InfiniteTimeSpan);
        CreateTable(temp);
        for (var i = 1; i <= 1500; i++)
        {
            await Insert(temp, i);
        }

        // SQLite's own automatic checkpoint would have copied the WAL into the database file at 1000 frames.
        Assert.Equal(1500, Count(temp));
        Assert.True(WalFrames(temp) >= 1500, $"WAL frames {WalFrames(temp)}");
        Assert.True(DatabaseFileBytes(temp) < 100 * PageSize, $"database file {DatabaseFileBytes(temp)} bytes");
        Assert.Equal(0, temp.Db.Checkpointer.Checkpoints);
        Assert.Equal(0, temp.Db.Queue.WriterCheckpoints);
    }

    [Fact]
    public async Task The_checkpointer_copies_the_wal_into_the_database_file_and_the_wal_starts_over()
    {
        using var temp = new TempDatabase(checkpointInterval: TimeSpan.FromMilliseconds(20));
        CreateTable(temp);
        for (var i = 1; i <= 1500; i++)
        {
            await Insert(temp, i);
        }

        await UntilAsync(() => temp.Db.Checkpointer.CopiedThrough == temp.Db.Queue.Commits, "every commit is checkpointed");
        Assert.True(DatabaseFileBytes(temp) >= 1500L * PageSize, $"database file {DatabaseFileBytes(temp)} bytes"); // a page per row
        Assert.Equal(0, temp.Db.Queue.WriterCheckpoints); // the WAL stayed far below the length that asks the writer

        // Copied completely: the next writes go to the start of the WAL, not its end.
        var longest = WalFrames(temp);
        for (var i = 1501; i <= 1600; i++)
        {
            await Insert(temp, i);
        }
        Assert.Equal(longest, WalFrames(temp));

        // And a restart finds everything.
        temp.Restart();
        Assert.Equal(1600, Count(temp));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public async Task Under_writes_that_never_pause_the_wal_still_starts_over(int writers)
    {
        const int Rows = 6000;
        const int RestartFrames = 200;
        using var temp = new TempDatabase(checkpointInterval: TimeSpan.FromMilliseconds(2), restartFrames: RestartFrames);
        CreateTable(temp);
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int id;
            while ((id = Interlocked.Increment(ref next)) <= Rows)
            {
                await Insert(temp, id);
            }
        })));

        Assert.Equal(Rows, Count(temp));
        // A row's commit writes about three frames (its page, the parent page, the first page): ~18 000 in all. A WAL
        // that never started over held 12 000–18 000 of them here; one started over by the writer held 1 400–3 100.
        Assert.True(WalFrames(temp) < Rows, $"the WAL grew to {WalFrames(temp)} frames for {Rows} rows");
        temp.Restart();
        Assert.Equal(Rows, Count(temp));
    }
}
