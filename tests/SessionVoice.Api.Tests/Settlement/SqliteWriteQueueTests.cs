using Microsoft.Data.Sqlite;
using SessionVoice.Api.Standalone;

namespace SessionVoice.Api.Tests.Settlement;

public sealed class SqliteWriteQueueTests : IDisposable
{
    private readonly TempDatabase _temp = new();

    public SqliteWriteQueueTests()
    {
        using var connection = _temp.Db.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE items (id INTEGER PRIMARY KEY, value TEXT NOT NULL)");
    }

    public void Dispose() => _temp.Dispose();

    private Task<int> Insert(int id) =>
        _temp.Db.Queue.WriteAsync(batch => batch.Execute("INSERT OR IGNORE INTO items (id, value) VALUES ($id, $v)", ("$id", id), ("$v", $"v{id}")));

    private List<long> Ids()
    {
        using var connection = _temp.Db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT id FROM items ORDER BY id");
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }

    /// <summary>
    /// A write that keeps the queue committing until <paramref name="hold"/> is set, started on another thread (a write
    /// that finds the queue idle runs on its caller's thread); returns once it is being committed.
    /// </summary>
    private Task<bool> BlockerAsync(ManualResetEventSlim hold)
    {
        using var started = new ManualResetEventSlim();
        var blocker = Task.Run(() => _temp.Db.Queue.WriteAsync(_ =>
        {
            started.Set();
            return hold.Wait(TimeSpan.FromSeconds(10));
        }));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)), "the blocking write did not start");
        return blocker;
    }

    [Fact]
    public async Task Concurrent_writes_share_commits_and_every_one_is_on_disk_when_answered()
    {
        using var hold = new ManualResetEventSlim();
        var blocker = BlockerAsync(hold);
        var before = _temp.Db.Queue.Commits;
        var writes = Enumerable.Range(1, 2000).Select(Insert).ToArray();
        Assert.DoesNotContain(writes, w => w.IsCompleted);
        hold.Set();
        var changed = await Task.WhenAll(writes);

        Assert.True(await blocker);
        Assert.All(changed, c => Assert.Equal(1, c));
        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), Ids());
        // The blocker's own commit, then full batches of the 2000 that waited.
        var commits = _temp.Db.Queue.Commits - before;
        Assert.InRange(commits, 1 + ((2000 + SqliteWriteQueue.MaxBatch - 1) / SqliteWriteQueue.MaxBatch), 1 + 2 * ((2000 + SqliteWriteQueue.MaxBatch - 1) / SqliteWriteQueue.MaxBatch));

        // A result is the write's own: a repeated key changes nothing and says so.
        Assert.Equal(0, await Insert(5));

        // A restart (a new database object on the same file) finds everything.
        _temp.Restart();
        Assert.Equal(2000, Ids().Count);
    }

    [Fact]
    public async Task A_failing_write_is_rolled_back_alone_and_its_caller_hears_of_it()
    {
        using var hold = new ManualResetEventSlim();
        var blocker = BlockerAsync(hold); // the blocker's batch is being committed; the next three wait together
        var before = Insert(1);
        var failing = _temp.Db.Queue.WriteAsync<int>(batch =>
        {
            batch.Execute("INSERT INTO items (id, value) VALUES (2, 'half')");
            throw new InvalidOperationException("boom");
        });
        var after = Insert(3);
        hold.Set();

        Assert.True(await blocker);
        Assert.Equal(1, await before);
        Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(() => failing)).Message);
        Assert.Equal(1, await after);
        Assert.Equal([1L, 3L], Ids());
    }

    [Fact]
    public async Task When_the_transaction_cannot_commit_no_write_of_it_is_kept_or_reported_done()
    {
        using var hold = new ManualResetEventSlim();
        var blocker = BlockerAsync(hold);
        var first = Insert(1);
        // Ends the shared transaction underneath everybody: the batch cannot complete as one.
        var breaker = _temp.Db.Queue.WriteAsync(batch => batch.Execute("ROLLBACK"));
        var last = Insert(3);
        hold.Set();

        Assert.True(await blocker);
        await Assert.ThrowsAsync<SqliteException>(() => first);
        await Assert.ThrowsAsync<SqliteException>(() => breaker);
        await Assert.ThrowsAsync<SqliteException>(() => last);
        Assert.Empty(Ids());

        // The queue goes on with the next batch.
        Assert.Equal(1, await Insert(4));
        Assert.Equal([4L], Ids());
    }

    [Fact]
    public async Task A_write_to_an_idle_queue_is_committed_on_the_callers_thread_before_the_call_returns()
    {
        var thread = Environment.CurrentManagedThreadId;
        var ranOn = 0;
        var before = _temp.Db.Queue.Commits;
        var write = _temp.Db.Queue.WriteAsync(batch =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            return batch.Execute("INSERT INTO items (id, value) VALUES (7, 'seven')");
        });
        Assert.True(write.IsCompletedSuccessfully);
        Assert.Equal(thread, ranOn);
        Assert.Equal(before + 1, _temp.Db.Queue.Commits);
        Assert.Equal([7L], Ids());
        Assert.Equal(1, await write);
    }

    [Fact]
    public async Task After_shutdown_a_write_is_refused_and_queued_ones_were_committed()
    {
        var queued = Enumerable.Range(1, 300).Select(Insert).ToArray();
        _temp.Shutdown();
        await Task.WhenAll(queued);
        Assert.Throws<ObjectDisposedException>(() => { _ = Insert(9999); });
        _temp.Restart();
        Assert.Equal(300, Ids().Count);
    }
}
