using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// The hashes of blocks the escrow watcher has read (number → hash), newest <see cref="Window"/> heights only.
/// The cursor alone cannot tell that a reorg replaced blocks it already read: the watcher compares these with
/// the chain's hashes to find the common ancestor and read again from there.
/// </summary>
/// <remarks>
/// Written with <see cref="Durability.ProcessCrash"/>: the watcher records a page's hash before it moves the
/// cursor, and the cursor's commit (synchronous=FULL) makes the hash durable with it. A hash lost anyway only
/// makes the next reorg check skip one comparison, or rewind further than needed.
/// </remarks>
public sealed class SqliteWatcherBlocks
{
    /// <summary>Heights kept when nothing else is said: a reorg deeper than this many recorded heights rewinds to the oldest one.</summary>
    public const int DefaultWindow = 128;

    private readonly SqliteDatabase _db;

    public SqliteWatcherBlocks(SqliteDatabase db, int window = DefaultWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _db = db;
        Window = window;
        using var connection = db.Open();
        SqliteDatabase.Execute(connection, "CREATE TABLE IF NOT EXISTS watcher_blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL)");
    }

    /// <summary>How many recorded heights are kept (the newest ones).</summary>
    public int Window { get; }

    /// <summary>
    /// Records the hash read at <paramref name="number"/>. Anything recorded above it is dropped: it belongs to
    /// a branch read before a rewind (or before a crash between this write and the cursor's), and a stale
    /// height above the cursor must never be taken for a common ancestor.
    /// </summary>
    public void Record(ulong number, Hash32 hash) => _db.Write((connection, transaction) =>
    {
        Run(connection, transaction, "DELETE FROM watcher_blocks WHERE number >= $n", ("$n", (long)number));
        Run(connection, transaction, "INSERT INTO watcher_blocks (number, hash) VALUES ($n, $h)", ("$n", (long)number), ("$h", hash.ToString()));
        Run(connection, transaction,
            "DELETE FROM watcher_blocks WHERE number <= (SELECT number FROM watcher_blocks ORDER BY number DESC LIMIT 1 OFFSET $w)", ("$w", Window));
        return 0;
    }, Durability.ProcessCrash);

    /// <summary>The hash recorded at <paramref name="number"/>, if any.</summary>
    public Hash32? Get(ulong number)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT hash FROM watcher_blocks WHERE number = $n", ("$n", (long)number));
        return command.ExecuteScalar() is string hash ? Hash32.Parse(hash) : null;
    }

    /// <summary>The recorded heights below <paramref name="belowNumber"/>, newest first: where a walk back for the common ancestor looks.</summary>
    public IReadOnlyList<(ulong Number, Hash32 Hash)> Below(ulong belowNumber)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT number, hash FROM watcher_blocks WHERE number < $n ORDER BY number DESC",
            ("$n", (long)Math.Min(belowNumber, long.MaxValue)));
        using var reader = command.ExecuteReader();
        var blocks = new List<(ulong, Hash32)>();
        while (reader.Read())
        {
            blocks.Add(((ulong)reader.GetInt64(0), Hash32.Parse(reader.GetString(1))));
        }
        return blocks;
    }

    /// <summary>Forgets the heights from <paramref name="number"/> up: after a rewind they are to be read again.</summary>
    public void DeleteFrom(ulong number)
    {
        using var connection = _db.Open(Durability.ProcessCrash);
        SqliteDatabase.Execute(connection, "DELETE FROM watcher_blocks WHERE number >= $n", ("$n", (long)Math.Min(number, long.MaxValue)));
    }

    private static void Run(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = SqliteDatabase.Command(connection, sql, parameters);
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
