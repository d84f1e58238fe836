using Microsoft.Data.Sqlite;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// The standalone database: one SQLite file (WAL) under DATA_DIR. Every write commits before the
/// request that caused it is answered, so a restart loses nothing.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;

    public const string FileName = "session-voice.db";

    /// <param name="checkpointInterval">Least time between two WAL checkpoints (<see cref="SqliteCheckpointer.DefaultInterval"/>; infinite: none).</param>
    /// <param name="restartFrames">WAL length at which the writer completes a checkpoint (<see cref="SqliteCheckpointer.DefaultRestartFrames"/>).</param>
    public SqliteDatabase(string dataDir, ILogger? logger = null, TimeSpan? checkpointInterval = null, int restartFrames = SqliteCheckpointer.DefaultRestartFrames)
    {
        Directory.CreateDirectory(dataDir);
        Path = PathIn(dataDir);
        _connectionString = ConnectionString(Path);
        using (var connection = Open())
        {
            Execute(connection, "PRAGMA journal_mode = WAL;");
        }
        var writer = new SqliteConnection(_connectionString);
        writer.Open();
        // The queue's commits never checkpoint: the checkpointer does, on its own thread.
        Execute(writer, "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; " + BusyTimeout);
        Queue = new SqliteWriteQueue(writer);
        Checkpointer = new SqliteCheckpointer(OpenRead(), Queue, checkpointInterval ?? SqliteCheckpointer.DefaultInterval, restartFrames,
            logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Queue.OnCommitted(Checkpointer.Written);
    }

    public SqliteCheckpointer Checkpointer { get; }

    public string Path { get; }

    public static string PathIn(string dataDir) => System.IO.Path.GetFullPath(System.IO.Path.Combine(dataDir, FileName));

    private static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>
    /// Removes the database in <paramref name="dataDir"/> (a store that starts afresh), and the pooled connections
    /// to it: the pool is per process and would otherwise hand out a connection to the removed file.
    /// </summary>
    public static void Delete(string dataDir)
    {
        var path = PathIn(dataDir);
        using (var connection = new SqliteConnection(ConnectionString(path)))
        {
            SqliteConnection.ClearPool(connection);
        }
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }
    }

    /// <summary>
    /// Writers wait for the write lock inside SQLite (back-off from 1 ms) instead of failing with
    /// SQLITE_BUSY, which Microsoft.Data.Sqlite would retry only after sleeping 150 ms.
    /// </summary>
    private const string BusyTimeout = "PRAGMA busy_timeout = 30000;";

    /// <summary>
    /// Group-committed writes with <see cref="Durability.ProcessCrash"/> durability (sign-in records,
    /// presence, webhook events): committed before the returned task completes.
    /// </summary>
    public SqliteWriteQueue Queue { get; }

    /// <summary>
    /// A connection for reads only: no per-connection write settings to apply (two statements fewer
    /// per read). WAL readers do not wait for writers.
    /// </summary>
    public SqliteConnection OpenRead()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <param name="durability">
    /// <see cref="Durability.PowerLoss"/> (synchronous=FULL) for the money path — decisions, attestations,
    /// signed transactions: on disk before the answer, even across a power cut.
    /// <see cref="Durability.ProcessCrash"/> (synchronous=NORMAL, WAL) for sign-in replay records and
    /// presence: in the WAL before the answer, so a process crash or restart loses nothing; only an OS
    /// crash could drop the last few commits.
    /// </param>
    public SqliteConnection Open(Durability durability = Durability.PowerLoss)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, (durability == Durability.PowerLoss ? "PRAGMA synchronous = FULL; " : "PRAGMA synchronous = NORMAL; ") + BusyTimeout);
        return connection;
    }

    private readonly Lock _writeGate = new();

    /// <summary>
    /// Runs several writes as one transaction, one writer at a time in this process: one commit (one
    /// fsync) instead of several, and no SQLITE_BUSY retries between our own writers.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work, Durability durability = Durability.PowerLoss)
    {
        using var connection = Open(durability);
        lock (_writeGate)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var result = work(connection, transaction);
            transaction.Commit();
            return result;
        }
    }

    public static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Bind(command, parameters);
        return command;
    }

    /// <summary>Replaces the command's parameters (null as SQL NULL).</summary>
    public static void Bind(SqliteCommand command, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }

    /// <summary>Drains the write queue, then stops the checkpointer (the queue's last commits may still call it).</summary>
    public void Dispose()
    {
        Queue.Dispose();
        Checkpointer.Dispose();
    }
}

public enum Durability
{
    PowerLoss,
    ProcessCrash,
}
