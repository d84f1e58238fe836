using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Standalone;

/// <summary>The persisted schedule, the decided attestations, the watcher's cursor and the audit log.</summary>
public sealed class SqliteSettlementStore
{
    private readonly SqliteDatabase _db;

    public SqliteSettlementStore(SqliteDatabase db)
    {
        _db = db;
        using var connection = db.Open();
        CreateTracked(connection);
        // Wake gaps measure this process's evaluations; a new process measures again.
        SqliteDatabase.Execute(connection, "UPDATE tracked SET wake_gap = 1 WHERE wake_gap <> 1");
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS attestations (
                booking_id TEXT PRIMARY KEY, outcome INTEGER NOT NULL, source INTEGER NOT NULL, preimage BLOB NOT NULL,
                metrics_hash TEXT NOT NULL, tx_hash TEXT NULL, status TEXT NOT NULL, detail TEXT NULL,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS watcher (id INTEGER PRIMARY KEY CHECK (id = 1), next_block INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                booking_id TEXT NOT NULL, detail TEXT NULL);
            """);
    }

    /// <summary>
    /// The persisted schedule; created by every store that writes to it. <c>wake_gap</c>: seconds after a
    /// decision before presence may wake the booking again (<see cref="SetWakeGap"/>,
    /// <see cref="PresenceWakes.GapSeconds"/>); files from before it get the column with its default.
    /// </summary>
    internal static void CreateTracked(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS tracked (
                booking_id TEXT PRIMARY KEY, due_at INTEGER NULL, last_decision TEXT NOT NULL, updated_at INTEGER NOT NULL,
                wake_gap INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS tracked_due ON tracked (due_at);
            """);
        using var probe = SqliteDatabase.Command(connection, "SELECT COUNT(*) FROM pragma_table_info('tracked') WHERE name = 'wake_gap'");
        if (Convert.ToInt64(probe.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            SqliteDatabase.Execute(connection, "ALTER TABLE tracked ADD COLUMN wake_gap INTEGER NOT NULL DEFAULT 1");
        }
    }

    /// <summary>
    /// The schedule is a hint, not the money path: a wake-up lost to an OS crash leaves an earlier one in place,
    /// which only decides again (decisions and transactions are written with <see cref="Durability.PowerLoss"/>,
    /// and their commits make every earlier schedule write durable too). Sweeping 10 000 bookings at one fsync
    /// each took longer than deciding them.
    /// </summary>
    private Microsoft.Data.Sqlite.SqliteConnection OpenSchedule() => _db.Open(Durability.ProcessCrash);

    /// <summary>
    /// Starts tracking (due now) unless the booking is already tracked and not finished; true when it was new or
    /// woken again. A finished booking without a recorded attestation is woken again: the watcher only tracks
    /// what it saw on chain, so a booking decided "not found" (evaluated in a reorg's gap) or done on a cancellation
    /// that a reorg removed exists again and must be decided again. One with an attestation stays as it is.
    /// </summary>
    public bool Track(BookingId id, long dueAtUnix)
    {
        using var connection = OpenSchedule();
        return SqliteDatabase.Execute(connection, """
            INSERT INTO tracked (booking_id, due_at, last_decision, updated_at) VALUES ($b, $due, 'tracked', $due)
            ON CONFLICT (booking_id) DO UPDATE SET due_at = excluded.due_at, last_decision = 'tracked', updated_at = excluded.updated_at
            WHERE tracked.due_at IS NULL AND NOT EXISTS (SELECT 1 FROM attestations WHERE booking_id = excluded.booking_id)
            """, ("$b", id.ToString()), ("$due", dueAtUnix)) == 1;
    }

    /// <summary>The next wake-up (null: finished), with the decision that set it.</summary>
    public void Schedule(BookingId id, long? dueAtUnix, string decision, long nowUnix)
    {
        using var connection = OpenSchedule();
        SqliteDatabase.Execute(connection, """
            INSERT INTO tracked (booking_id, due_at, last_decision, updated_at) VALUES ($b, $due, $d, $now)
            ON CONFLICT (booking_id) DO UPDATE SET due_at = excluded.due_at, last_decision = excluded.last_decision, updated_at = excluded.updated_at
            """, ("$b", id.ToString()), ("$due", dueAtUnix), ("$d", decision), ("$now", nowUnix));
    }

    /// <summary>Tracks the booking if new and makes it due now unless finished (inside the caller's transaction).</summary>
    internal static void TrackAndWake(SqliteWriteBatch batch, BookingId id, long nowUnix)
    {
        var booking = id.ToString();
        batch.Execute("INSERT OR IGNORE INTO tracked (booking_id, due_at, last_decision, updated_at) VALUES ($b, $now, 'tracked', $now)",
            ("$b", booking), ("$now", nowUnix));
        // At most one decision per booking per wake gap (one second, unless deciding it is costly) from
        // presence: a burst of joins or webhooks makes the booking due once, the gap after its last
        // decision. MIN keeps an earlier wake-up the policy asked for.
        batch.Execute("UPDATE tracked SET due_at = MIN(due_at, MAX($now, updated_at + wake_gap)) WHERE booking_id = $b AND due_at IS NOT NULL",
            ("$b", booking), ("$now", nowUnix));
    }

    public void SetWakeGap(BookingId id, int seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        using var connection = OpenSchedule();
        SqliteDatabase.Execute(connection, "UPDATE tracked SET wake_gap = $g WHERE booking_id = $b", ("$b", id.ToString()), ("$g", seconds));
    }

    /// <summary>Wakes a tracked booking now (presence changed), unless it is finished.</summary>
    public void Wake(BookingId id, long nowUnix)
    {
        using var connection = OpenSchedule();
        SqliteDatabase.Execute(connection, "UPDATE tracked SET due_at = MIN(due_at, $now) WHERE booking_id = $b AND due_at IS NOT NULL",
            ("$b", id.ToString()), ("$now", nowUnix));
    }

    public IReadOnlyList<BookingId> Due(long nowUnix, int limit)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT booking_id FROM tracked WHERE due_at IS NOT NULL AND due_at <= $now ORDER BY due_at LIMIT $limit",
            ("$now", nowUnix), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var ids = new List<BookingId>();
        while (reader.Read())
        {
            ids.Add(BookingId.Parse(reader.GetString(0)));
        }
        return ids;
    }

    /// <summary>Of these bookings, the ones with a recorded decision (their evaluations only check the submission).</summary>
    public HashSet<BookingId> WithDecision(IReadOnlyList<BookingId> ids)
    {
        var decided = new HashSet<BookingId>();
        if (ids.Count == 0)
        {
            return decided;
        }
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT booking_id FROM attestations WHERE booking_id IN (SELECT value FROM json_each($ids))",
            ("$ids", "[" + string.Join(',', ids.Select(i => "\"" + i + "\"")) + "]"));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            decided.Add(BookingId.Parse(reader.GetString(0)));
        }
        return decided;
    }

    public TrackedBooking? GetTracked(BookingId id)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT due_at, last_decision FROM tracked WHERE booking_id = $b", ("$b", id.ToString()));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new TrackedBooking(id, reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetString(1)) : null;
    }

    public (int Tracking, int Finished) CountTracked()
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT COUNT(*) FILTER (WHERE due_at IS NOT NULL), COUNT(*) FILTER (WHERE due_at IS NULL) FROM tracked");
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    /// <summary>Where the tracked bookings stand and how many decisions are recorded, by status (for the sweep's figures).</summary>
    public SettlementProgress Progress()
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, """
            SELECT COUNT(*) FILTER (WHERE last_decision = 'tracked'), COUNT(*) FILTER (WHERE last_decision <> 'tracked' AND due_at IS NOT NULL),
                   COUNT(*) FILTER (WHERE due_at IS NULL) FROM tracked;
            SELECT status, COUNT(*) FROM attestations GROUP BY status;
            """);
        using var reader = command.ExecuteReader();
        reader.Read();
        var (undecided, waiting, finished) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        reader.NextResult();
        var attestations = new Dictionary<AttestationStatus, int>();
        while (reader.Read())
        {
            attestations[Enum.Parse<AttestationStatus>(reader.GetString(0))] = reader.GetInt32(1);
        }
        return new SettlementProgress(undecided, waiting, finished, attestations);
    }

    public StoredAttestation? GetAttestation(BookingId id)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection,
            "SELECT outcome, source, preimage, metrics_hash, tx_hash, status, detail, created_at, updated_at FROM attestations WHERE booking_id = $b", ("$b", id.ToString()));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        return new StoredAttestation(
            id,
            (Outcome)reader.GetInt32(0),
            (byte)reader.GetInt32(1),
            (byte[])reader.GetValue(2),
            Hash32.Parse(reader.GetString(3)),
            reader.IsDBNull(4) ? null : Hash32.Parse(reader.GetString(4)),
            Enum.Parse<AttestationStatus>(reader.GetString(5)),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetInt64(7),
            reader.GetInt64(8));
    }

    /// <summary>Records the decision before any transaction; false when one is already recorded (it stands).</summary>
    public bool TryRecordDecision(StoredAttestation attestation)
    {
        using var connection = _db.Open();
        return SqliteDatabase.Execute(connection, """
            INSERT OR IGNORE INTO attestations (booking_id, outcome, source, preimage, metrics_hash, tx_hash, status, detail, created_at, updated_at)
            VALUES ($b, $o, $s, $p, $h, $tx, $st, $d, $c, $u)
            """,
            ("$b", attestation.BookingId.ToString()), ("$o", (int)attestation.Outcome), ("$s", (int)attestation.Source), ("$p", attestation.Preimage),
            ("$h", attestation.MetricsHash.ToString()), ("$tx", attestation.TxHash?.ToString()), ("$st", attestation.Status.ToString()),
            ("$d", attestation.Detail), ("$c", attestation.CreatedAtUnix), ("$u", attestation.UpdatedAtUnix)) == 1;
    }

    /// <summary>Overwrites the recorded decision (an operator's force replacing an earlier force that nothing was sent for).</summary>
    public void ReplaceDecision(StoredAttestation attestation)
    {
        using var connection = _db.Open();
        SqliteDatabase.Execute(connection, """
            INSERT INTO attestations (booking_id, outcome, source, preimage, metrics_hash, tx_hash, status, detail, created_at, updated_at)
            VALUES ($b, $o, $s, $p, $h, $tx, $st, $d, $c, $u)
            ON CONFLICT (booking_id) DO UPDATE SET outcome = excluded.outcome, source = excluded.source, preimage = excluded.preimage,
                metrics_hash = excluded.metrics_hash, tx_hash = excluded.tx_hash, status = excluded.status, detail = excluded.detail,
                updated_at = excluded.updated_at
            """,
            ("$b", attestation.BookingId.ToString()), ("$o", (int)attestation.Outcome), ("$s", (int)attestation.Source), ("$p", attestation.Preimage),
            ("$h", attestation.MetricsHash.ToString()), ("$tx", attestation.TxHash?.ToString()), ("$st", attestation.Status.ToString()),
            ("$d", attestation.Detail), ("$c", attestation.CreatedAtUnix), ("$u", attestation.UpdatedAtUnix));
    }

    /// <summary>Decided attestations not yet on chain (Pending): what the oracle still has to pay for.</summary>
    public int CountPendingAttestations()
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT COUNT(*) FROM attestations WHERE status = 'Pending'");
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void UpdateAttestation(BookingId id, AttestationStatus status, Hash32? txHash, string? detail, long nowUnix)
    {
        using var connection = _db.Open();
        SqliteDatabase.Execute(connection,
            "UPDATE attestations SET status = $st, tx_hash = COALESCE($tx, tx_hash), detail = $d, updated_at = $u WHERE booking_id = $b",
            ("$b", id.ToString()), ("$st", status.ToString()), ("$tx", txHash?.ToString()), ("$d", detail), ("$u", nowUnix));
    }

    public ulong? WatcherCursor()
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT next_block FROM watcher WHERE id = 1");
        var value = command.ExecuteScalar();
        return value is long block ? (ulong)block : null;
    }

    public void SetWatcherCursor(ulong nextBlock)
    {
        using var connection = _db.Open();
        SqliteDatabase.Execute(connection, "INSERT INTO watcher (id, next_block) VALUES (1, $n) ON CONFLICT (id) DO UPDATE SET next_block = excluded.next_block",
            ("$n", (long)nextBlock));
    }

    public void Audit(string actor, string action, BookingId id, string? detail, long nowUnix)
    {
        using var connection = _db.Open();
        SqliteDatabase.Execute(connection, "INSERT INTO audit (at, actor, action, booking_id, detail) VALUES ($at, $a, $act, $b, $d)",
            ("$at", nowUnix), ("$a", actor), ("$act", action), ("$b", id.ToString()), ("$d", detail));
    }

    public IReadOnlyList<(long At, string Actor, string Action, string Detail)> AuditFor(BookingId id)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT at, actor, action, COALESCE(detail, '') FROM audit WHERE booking_id = $b ORDER BY id", ("$b", id.ToString()));
        using var reader = command.ExecuteReader();
        var rows = new List<(long, string, string, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return rows;
    }
}
