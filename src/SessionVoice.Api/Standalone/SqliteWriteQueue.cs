using Microsoft.Data.Sqlite;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// Group commit for the frequent small writes (sign-in records, presence claims, webhook events):
/// one connection and one writer at a time; whatever arrives while a transaction commits goes into
/// the next one, so a burst of N writes costs one commit instead of N, and writers never contend for
/// the database lock among themselves. Each write runs in its own savepoint: a write that throws is
/// rolled back alone and its caller gets the exception. A caller's task completes only after the
/// transaction holding its write has committed — persisted before the request is answered.
/// </summary>
/// <remarks>
/// No thread of its own: a write that finds nobody committing is committed right away on the
/// caller's thread (no hand-off, no wake-up), and its task is complete when <see cref="WriteAsync"/>
/// returns. Writes arriving meanwhile wait in line; the committing caller hands them to a
/// thread-pool worker that commits batch after batch until the line is empty. So a write may run on the thread that calls
/// <see cref="WriteAsync"/>: the work given must not wait for anything but the database.
/// The connection never checkpoints by itself (wal_autocheckpoint = 0): <see cref="SqliteCheckpointer"/> does,
/// on its own thread, and asks for one here only to let the WAL start over (<see cref="RequestCheckpoint"/>).
/// </remarks>
public sealed class SqliteWriteQueue : IDisposable
{
    /// <summary>Most writes in one transaction: bounds the latency the first write of a batch waits.</summary>
    public const int MaxBatch = 256;

    private readonly Lock _gate = new();
    private readonly Queue<IQueuedWrite> _waiting = new();
    private readonly List<IQueuedWrite> _pending = new(MaxBatch);
    private readonly ManualResetEventSlim _idle = new(true);
    private readonly SqliteConnection _connection;
    private readonly SqliteWriteBatch _batch;

    /// <summary>Somebody is committing (a caller or the worker): arriving writes wait in line.</summary>
    private bool _busy;

    private bool _closed;

    /// <summary>The worker checkpoints on this connection before it next goes idle.</summary>
    private volatile bool _checkpointRequested;

    private Action? _committed;

    public SqliteWriteQueue(SqliteConnection connection)
    {
        _connection = connection;
        _batch = new SqliteWriteBatch(connection);
    }

    /// <summary>Called after every commit (<see cref="SqliteCheckpointer.Written"/>); set once, before the first write.</summary>
    internal void OnCommitted(Action committed) => _committed = committed;

    /// <summary>
    /// Asks for a checkpoint on the writer's connection between two batches, where no commit can land beside it,
    /// so that it copies all the WAL and the next commit starts the WAL over. Run by the worker, never on a
    /// caller's thread: a caller whose write finds the queue idle gets its answer first.
    /// </summary>
    public void RequestCheckpoint() => _checkpointRequested = true;

    /// <summary>Checkpoints run on the writer's connection (for tests and figures).</summary>
    public long WriterCheckpoints => Interlocked.Read(ref _writerCheckpoints);

    private long _writerCheckpoints;

    /// <summary>Batches committed so far (for tests and figures).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    private long _commits;

    /// <summary>Queues <paramref name="work"/>; completes with its result once its transaction committed.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteWriteBatch, T> work)
    {
        var item = new QueuedWrite<T>(work);
        lock (_gate)
        {
            if (_closed)
            {
                throw new ObjectDisposedException(nameof(SqliteWriteQueue), "the database is shutting down");
            }
            if (_busy)
            {
                _waiting.Enqueue(item);
                return item.Task;
            }
            _busy = true;
            _idle.Reset();
        }
        // Nobody was committing: this caller does, its own write alone; those that came meanwhile go to the worker.
        _pending.Add(item);
        Commit(_pending);
        _pending.Clear();
        if (TakeWaiting())
        {
            ThreadPool.UnsafeQueueUserWorkItem(static queue => queue.Drain(), this, preferLocal: false);
        }
        return item.Task;
    }

    /// <summary>
    /// Moves up to a batch of waiting writes to <see cref="_pending"/>; false, and no longer busy, when there is
    /// nothing for the worker to do: no write waiting and no checkpoint requested.
    /// </summary>
    private bool TakeWaiting()
    {
        lock (_gate)
        {
            while (_pending.Count < MaxBatch && _waiting.TryDequeue(out var next))
            {
                _pending.Add(next);
            }
            if (_pending.Count > 0 || _checkpointRequested)
            {
                return true;
            }
            _busy = false;
            _idle.Set();
            return false;
        }
    }

    /// <summary>The worker: batch after batch until nobody waits, and a requested checkpoint after a batch.</summary>
    private void Drain()
    {
        while (TakeWaiting())
        {
            if (_pending.Count > 0)
            {
                Commit(_pending);
                _pending.Clear();
            }
            if (_checkpointRequested)
            {
                _checkpointRequested = false;
                CheckpointHere();
            }
        }
    }

    private void CheckpointHere()
    {
        try
        {
            _batch.Run("PRAGMA wal_checkpoint(PASSIVE)");
            Interlocked.Increment(ref _writerCheckpoints);
        }
        catch (SqliteException)
        {
            // The checkpointer asks again while the WAL stays long.
        }
    }

    private void Commit(List<IQueuedWrite> pending)
    {
        try
        {
            _batch.Run("BEGIN IMMEDIATE");
        }
        catch (Exception e)
        {
            foreach (var item in pending)
            {
                item.Fail(e);
            }
            return;
        }
        var succeeded = new List<IQueuedWrite>(pending.Count);
        try
        {
            foreach (var item in pending)
            {
                _batch.Run("SAVEPOINT w");
                try
                {
                    item.Execute(_batch);
                    _batch.Run("RELEASE w");
                    succeeded.Add(item);
                }
                catch (Exception e)
                {
                    _batch.Run("ROLLBACK TO w");
                    _batch.Run("RELEASE w");
                    item.Fail(e);
                }
            }
            _batch.Run("COMMIT");
            Interlocked.Increment(ref _commits);
        }
        catch (Exception e)
        {
            // Nothing of this batch is on disk: every caller not yet answered hears of it.
            try
            {
                if (!_connection.AutoCommit())
                {
                    _batch.Run("ROLLBACK");
                }
            }
            catch (SqliteException)
            {
                // The connection reports the failure below; the next batch starts with BEGIN again.
            }
            foreach (var item in pending)
            {
                item.Fail(e);
            }
            return;
        }
        foreach (var item in succeeded)
        {
            item.Complete();
        }
        _committed?.Invoke();
    }

    /// <summary>Refuses new writes, waits until the queued ones are committed, closes the connection.</summary>
    public void Dispose()
    {
        bool closedBefore;
        lock (_gate)
        {
            closedBefore = _closed;
            _closed = true;
        }
        _idle.Wait();
        if (closedBefore)
        {
            return;
        }
        _batch.Dispose();
        _connection.Dispose();
    }

    private interface IQueuedWrite
    {
        void Execute(SqliteWriteBatch batch);

        void Complete();

        void Fail(Exception e);
    }

    private sealed class QueuedWrite<T>(Func<SqliteWriteBatch, T> work) : IQueuedWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _done.Task;

        public void Execute(SqliteWriteBatch batch) => _result = work(batch);

        public void Complete() => _done.TrySetResult(_result!);

        public void Fail(Exception e) => _done.TrySetException(e);
    }
}

/// <summary>The writer's connection with its statements prepared once and reused for every write.</summary>
public sealed class SqliteWriteBatch(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>Executes one statement with named parameters; the number of rows it changed.</summary>
    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = Prepared(sql);
        SqliteDatabase.Bind(command, parameters);
        return command.ExecuteNonQuery();
    }

    internal void Run(string sql) => Prepared(sql).ExecuteNonQuery();

    private SqliteCommand Prepared(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
    }
}

internal static class SqliteConnectionState
{
    /// <summary>True when no transaction is open on the connection (sqlite3_get_autocommit).</summary>
    public static bool AutoCommit(this SqliteConnection connection) => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0;
}
