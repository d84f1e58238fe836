using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// Agora's observed presence, stored as received (uid, clientSeq, event time), keyed by booking.
/// De-duplicated by noticeId and by (booking, uid, clientSeq); ordering happens when it is read.
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
            " is_join INTEGER NOT NULL, reason INTEGER NULL, notice_id TEXT NOT NULL, PRIMARY KEY (booking_id, uid, client_seq)) WITHOUT ROWID;");
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
