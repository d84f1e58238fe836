using Microsoft.Data.Sqlite;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Standalone;

/// <summary>Sign-in bookkeeping and presence in the standalone database.</summary>
public sealed class SqliteStore : IAuthStore, IPresenceStore
{
    private readonly SqliteDatabase _db;

    public SqliteStore(SqliteDatabase db)
    {
        _db = db;
        using var connection = Open();
        SqliteSettlementStore.CreateTracked(connection);
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS auth_messages (
                wallet TEXT NOT NULL, ts INTEGER NOT NULL, used_at INTEGER NOT NULL,
                PRIMARY KEY (wallet, ts)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS used_nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
            -- The periodic clean-ups below read only the expired rows: without these indexes each one scanned the whole
            -- table inside the write queue's transaction, and every write queued meanwhile waited for it.
            CREATE INDEX IF NOT EXISTS auth_messages_ts ON auth_messages (ts);
            CREATE INDEX IF NOT EXISTS used_nonces_expiry ON used_nonces (expires_at);
            CREATE TABLE IF NOT EXISTS presence (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                booking_id TEXT NOT NULL, party TEXT NOT NULL, wallet TEXT NOT NULL, kind TEXT NOT NULL,
                source INTEGER NOT NULL, at_ms INTEGER NOT NULL, recorded_at_ms INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS presence_booking ON presence (booking_id, at_ms);
            CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY, checked_at INTEGER NOT NULL);
            """);
    }

    public string Path => _db.Path;

    private SqliteConnection Open() => _db.Open(Durability.ProcessCrash);

    private int _writes;

    /// <summary>Sign-in writes between two clean-ups of the records no sign-in can match again.</summary>
    internal const int CleanUpEvery = 1000;

    internal const string ForgetOldMessages = "DELETE FROM auth_messages WHERE ts < $cutoff";

    internal const string ForgetExpiredNonces = "DELETE FROM used_nonces WHERE expires_at < $now";

    private static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters) =>
        SqliteDatabase.Execute(connection, sql, parameters);

    public Task<bool> TryUseSignInMessageAsync(Address wallet, long timestamp, long nowUnix, CancellationToken ct) => _db.Queue.WriteAsync(batch =>
    {
        // Timestamps older than the ±300 s window can never be accepted again: forget them now and then.
        if (Interlocked.Increment(ref _writes) % CleanUpEvery == 0)
        {
            batch.Execute(ForgetOldMessages, ("$cutoff", nowUnix - 3600));
        }
        return batch.Execute("INSERT OR IGNORE INTO auth_messages (wallet, ts, used_at) VALUES ($w, $ts, $now)",
            ("$w", wallet.ToString()), ("$ts", timestamp), ("$now", nowUnix)) == 1;
    });

    public Task<bool> TryUseNonceAsync(Address wallet, string nonce, long expiresAtUnix, long nowUnix, CancellationToken ct) => _db.Queue.WriteAsync(batch =>
    {
        // An expired nonce is refused by its own expiry: its row is no longer needed.
        if (Interlocked.Increment(ref _writes) % CleanUpEvery == 0)
        {
            batch.Execute(ForgetExpiredNonces, ("$now", nowUnix));
        }
        return batch.Execute("INSERT OR IGNORE INTO used_nonces (nonce, expires_at) VALUES ($n, $e)", ("$n", nonce), ("$e", expiresAtUnix)) == 1;
    });

    /// <summary>The claim and the booking's wake-up in one transaction, committed before the task completes.</summary>
    public Task AppendAsync(BookingId booking, Address wallet, PresenceEvent e, long recordedAtMs, CancellationToken ct) => _db.Queue.WriteAsync(batch =>
    {
        batch.Execute("""
            INSERT INTO presence (booking_id, party, wallet, kind, source, at_ms, recorded_at_ms)
            VALUES ($b, $p, $w, $k, $s, $at, $rec)
            """,
            ("$b", booking.ToString()), ("$p", e.Party.ToString()), ("$w", wallet.ToString()), ("$k", e.Kind.ToString()),
            ("$s", (int)e.Source), ("$at", e.AtMs), ("$rec", recordedAtMs));
        SqliteSettlementStore.TrackAndWake(batch, booking, recordedAtMs / 1000);
        return 0;
    });

    public Task<IReadOnlyList<PresenceEvent>> ListAsync(BookingId booking, CancellationToken ct)
    {
        using var connection = _db.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT party, kind, at_ms, source FROM presence WHERE booking_id = $b ORDER BY at_ms, id";
        command.Parameters.AddWithValue("$b", booking.ToString());
        using var reader = command.ExecuteReader();
        var events = new List<PresenceEvent>();
        while (reader.Read())
        {
            events.Add(new PresenceEvent(
                Enum.Parse<Party>(reader.GetString(0)),
                Enum.Parse<PresenceKind>(reader.GetString(1)),
                reader.GetInt64(2),
                (PresenceSource)reader.GetInt32(3)));
        }
        return Task.FromResult<IReadOnlyList<PresenceEvent>>(events);
    }

    /// <summary>A real write, for readiness: a read-only or full disk shows up here.</summary>
    public Task CheckWritableAsync(long nowUnix, CancellationToken ct)
    {
        using var connection = Open();
        Execute(connection, "INSERT OR REPLACE INTO health (id, checked_at) VALUES (1, $now)", ("$now", nowUnix));
        return Task.CompletedTask;
    }
}
