using SessionVoice.Core.Escrow;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// Agora's observed presence, stored as received (uid, clientSeq, event time), keyed by booking.
/// De-duplicated by noticeId and by (booking, uid, clientSeq); ordering happens when it is read.
/// Notice ids are kept for WEBHOOK_NOTICE_RETENTION_HOURS (<see cref="PruneNoticesAsync"/>); the events themselves
/// are kept, so a resend of a notice whose id was pruned is still recognised by its (booking, uid, clientSeq).
/// </summary>
public sealed class SqliteObservedStore
{
    private const string InsertNotice = "INSERT OR IGNORE INTO webhook_notices (notice_id, received_at_ms) VALUES ($n, $at)";
    private const string InsertEvent =
        "INSERT OR IGNORE INTO observed (booking_id, uid, client_seq, ts, is_join, reason, notice_id) VALUES ($b, $u, $seq, $ts, $j, $r, $n)";

    private readonly SqliteDatabase _db;

    public SqliteObservedStore(SqliteDatabase db)
    {
        _db = db;
        using var connection = db.Open();
        SqliteDatabase.Execute(connection,
            "CREATE TABLE IF NOT EXISTS webhook_notices (notice_id TEXT PRIMARY KEY, received_at_ms INTEGER NOT NULL) WITHOUT ROWID;" +
            "CREATE TABLE IF NOT EXISTS observed (booking_id TEXT NOT NULL, uid INTEGER NOT NULL, client_seq INTEGER NOT NULL, ts INTEGER NOT NULL," +
            " is_join INTEGER NOT NULL, reason INTEGER NULL, notice_id TEXT NOT NULL, PRIMARY KEY (booking_id, uid, client_seq)) WITHOUT ROWID;" +
            "CREATE INDEX IF NOT EXISTS webhook_notices_received ON webhook_notices (received_at_ms);");
    }

    /// <summary>Notice ids deleted per write: one prune step holds the writer for a few milliseconds, never long.</summary>
    public const int PruneBatch = 500;

    private const string DeleteOldNotices =
        "DELETE FROM webhook_notices WHERE notice_id IN (SELECT notice_id FROM webhook_notices WHERE received_at_ms < $cutoff ORDER BY received_at_ms LIMIT $n)";

    /// <summary>
    /// Forgets notice ids received before <paramref name="receivedBeforeMs"/>, <see cref="PruneBatch"/> rows per queued
    /// write: other writes (sign-ins, presence, webhooks) queued meanwhile go between two steps. The number deleted.
    /// </summary>
    public async Task<long> PruneNoticesAsync(long receivedBeforeMs, CancellationToken ct)
    {
        long deleted = 0;
        while (!ct.IsCancellationRequested)
        {
            var step = await _db.Queue.WriteAsync(batch => batch.Execute(DeleteOldNotices, ("$cutoff", receivedBeforeMs), ("$n", PruneBatch)));
            deleted += step;
            if (step < PruneBatch)
            {
                break;
            }
        }
        return deleted;
    }

    /// <summary>Notice ids held (for tests and figures).</summary>
    public long CountNotices()
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT COUNT(*) FROM webhook_notices");
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// One webhook in one transaction: the notice id (a resend is not stored twice), the event (a
    /// repeated (uid, clientSeq) neither), and the booking tracked and woken so the next tick decides it.
    /// </summary>
    public Task<bool> IngestAsync(BookingId booking, ObservedEvent e, long receivedAtMs) => _db.Queue.WriteAsync(batch =>
    {
        if (batch.Execute(InsertNotice, ("$n", e.NoticeId), ("$at", receivedAtMs)) != 1)
        {
            return false;
        }
        var stored = batch.Execute(InsertEvent,
            ("$b", booking.ToString()), ("$u", (long)e.Uid), ("$seq", e.ClientSeq), ("$ts", e.TsSeconds), ("$j", e.IsJoin ? 1 : 0), ("$r", e.Reason), ("$n", e.NoticeId)) == 1;
        if (stored)
        {
            SqliteSettlementStore.TrackAndWake(batch, booking, receivedAtMs / 1000);
        }
        return stored;
    });

    public IReadOnlyList<ObservedEvent> List(BookingId booking)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection,
            "SELECT notice_id, uid, client_seq, ts, is_join, reason FROM observed WHERE booking_id = $b ORDER BY uid, client_seq", ("$b", booking.ToString()));
        using var reader = command.ExecuteReader();
        var events = new List<ObservedEvent>();
        while (reader.Read())
        {
            events.Add(new ObservedEvent(reader.GetString(0), (uint)reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4) == 1, reader.IsDBNull(5) ? null : reader.GetInt32(5)));
        }
        return events;
    }
}
