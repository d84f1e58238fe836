using Microsoft.Data.Sqlite;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// Copies the WAL back into the database file off the commit path. SQLite's automatic checkpoint would run on
/// the write queue's connection inside the commit that crossed 1000 WAL pages, with its page copies and two
/// fsyncs, while every write that arrives meanwhile waits: under load those stalls were the join and sign-in
/// p99. Here a thread of its own checkpoints (PASSIVE: it never blocks a reader or the writer) at most every
/// <see cref="Interval"/> after a commit, each page once however often it was written since.
/// </summary>
/// <remarks>
/// A checkpoint running beside the writer can copy all the WAL only if no commit lands meanwhile, and SQLite
/// starts the WAL over only after such a complete one. Under writes that never pause, the WAL would grow without
/// end; so once it holds <see cref="RestartFrames"/> frames, the write queue is asked to checkpoint on its own
/// connection between two batches (<see cref="SqliteWriteQueue.RequestCheckpoint"/>), where no commit can land:
/// the rest is copied (most of it is already), and the next commit starts the WAL over. That stall comes once per
/// <see cref="RestartFrames"/> frames under sustained load instead of once per 1000, and never when writes pause.
/// Durability is not touched: a commit is as durable in the WAL as its synchronous setting made it.
/// </remarks>
public sealed class SqliteCheckpointer : IDisposable
{
    /// <summary>Least time between two checkpoints: bounds their cost (two fsyncs each) under load.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>WAL frames (pages, 4 KiB each) after which the writer completes a checkpoint: 16 MiB.</summary>
    public const int DefaultRestartFrames = 4096;

    private readonly SqliteConnection _connection;
    private readonly SqliteWriteQueue _queue;
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _written = new();
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private bool _failing;
    private int _disposed;

    public SqliteCheckpointer(SqliteConnection connection, SqliteWriteQueue queue, TimeSpan interval, int restartFrames, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(restartFrames, 1);
        _connection = connection;
        _queue = queue;
        Interval = interval;
        RestartFrames = restartFrames;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "SQLite checkpoint" };
        _thread.Start();
    }

    public TimeSpan Interval { get; }

    public int RestartFrames { get; }

    /// <summary>Checkpoints run so far (for tests and figures).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    private long _checkpoints;

    /// <summary>
    /// The write queue's commit count when the last successful checkpoint began: the frames of every commit up to it
    /// are in the database file, unless a reader held an older snapshot meanwhile (for tests and figures).
    /// </summary>
    public long CopiedThrough => Interlocked.Read(ref _copiedThrough);

    private long _copiedThrough;

    /// <summary>Called after each commit of the write queue: a checkpoint is due within <see cref="Interval"/>.</summary>
    public void Written()
    {
        if (!_written.IsSet)
        {
            _written.Set();
        }
    }

    private void Run()
    {
        var handles = new[] { _written.WaitHandle, _stop.WaitHandle };
        while (WaitHandle.WaitAny(handles) == 0)
        {
            // Let a burst of commits gather: one checkpoint copies each page once, however often it was written.
            if (_stop.Wait(Interval))
            {
                return;
            }
            _written.Reset();
            Checkpoint();
        }
    }

    private void Checkpoint()
    {
        var commits = _queue.Commits;
        try
        {
            using var command = SqliteDatabase.Command(_connection, "PRAGMA wal_checkpoint(PASSIVE)");
            using var reader = command.ExecuteReader();
            // One row: busy (always 0 for PASSIVE), frames in the WAL, frames copied into the database file.
            var frames = reader.Read() ? reader.GetInt64(1) : 0;
            Interlocked.Exchange(ref _copiedThrough, commits);
            Interlocked.Increment(ref _checkpoints);
            if (frames >= RestartFrames)
            {
                _queue.RequestCheckpoint();
            }
            if (_failing)
            {
                _failing = false;
                _logger.LogInformation("SQLite checkpoints succeed again");
            }
        }
        catch (SqliteException e)
        {
            // The WAL keeps every commit meanwhile; the next commit brings another attempt.
            if (!_failing)
            {
                _failing = true;
                _logger.LogWarning(e, "SQLite checkpoint failed; the WAL grows until one succeeds");
            }
            _written.Set();
        }
    }

    /// <summary>Stops the thread (a checkpoint under way finishes first) and closes its connection.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stop.Set();
        _thread.Join();
        _connection.Dispose();
        _written.Dispose();
        _stop.Dispose();
    }
}
