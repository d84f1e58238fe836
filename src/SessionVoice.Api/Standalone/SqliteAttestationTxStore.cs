using System.Text.Json;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// Every oracle transaction, persisted before it is sent (raw bytes included), so a restart resumes
/// waiting on the same hashes instead of signing again. Keeps <see cref="InMemoryAttestationTxStore"/>'s semantics.
/// </summary>
public sealed class SqliteAttestationTxStore : IAttestationTxStore
{
    private readonly SqliteDatabase _db;

    public SqliteAttestationTxStore(SqliteDatabase db)
    {
        _db = db;
        using var connection = db.Open();
        SqliteDatabase.Execute(connection, """
            CREATE TABLE IF NOT EXISTS attestation_txs (
                booking_id TEXT PRIMARY KEY, claim_token TEXT NULL, state TEXT NOT NULL, sent_count INTEGER NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
            """);
    }

    public Task<AttestationTxRecord?> GetAsync(BookingId bookingId, CancellationToken ct)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT record FROM attestation_txs WHERE booking_id = $b", ("$b", bookingId.ToString()));
        return Task.FromResult(command.ExecuteScalar() is string json ? Decode(json) : null);
    }

    public Task<bool> TryCreateAsync(AttestationTxRecord record, CancellationToken ct)
    {
        using var connection = _db.Open();
        var inserted = SqliteDatabase.Execute(connection,
            "INSERT OR IGNORE INTO attestation_txs (booking_id, claim_token, state, sent_count, record) VALUES ($b, $t, $s, $n, $r)",
            ("$b", record.BookingId.ToString()), ("$t", record.ClaimToken), ("$s", record.State.ToString()), ("$n", record.Sent.Count), ("$r", Encode(record)));
        return Task.FromResult(inserted == 1);
    }

    public Task UpdateAsync(AttestationTxRecord record, CancellationToken ct)
    {
        using var connection = _db.Open();
        var updated = SqliteDatabase.Execute(connection,
            "UPDATE attestation_txs SET state = $s, sent_count = $n, record = $r WHERE booking_id = $b AND claim_token IS $t",
            ("$b", record.BookingId.ToString()), ("$t", record.ClaimToken), ("$s", record.State.ToString()), ("$n", record.Sent.Count), ("$r", Encode(record)));
        return updated == 1 ? Task.CompletedTask : throw new AttestationClaimLostException(record.BookingId);
    }

    public Task<IReadOnlyList<AttestationTxRecord>> ListUnfinishedAsync(CancellationToken ct)
    {
        using var connection = _db.OpenRead();
        using var command = SqliteDatabase.Command(connection, "SELECT record FROM attestation_txs WHERE state IN ('Claimed', 'Sent')");
        using var reader = command.ExecuteReader();
        var records = new List<AttestationTxRecord>();
        while (reader.Read())
        {
            records.Add(Decode(reader.GetString(0)));
        }
        return Task.FromResult<IReadOnlyList<AttestationTxRecord>>(records);
    }

    public Task<bool> TryReleaseAsync(BookingId bookingId, string? claimToken, CancellationToken ct)
    {
        using var connection = _db.Open();
        var deleted = SqliteDatabase.Execute(connection,
            "DELETE FROM attestation_txs WHERE booking_id = $b AND state = 'Claimed' AND sent_count = 0 AND claim_token IS $t",
            ("$b", bookingId.ToString()), ("$t", claimToken));
        return Task.FromResult(deleted == 1);
    }

    private static string Encode(AttestationTxRecord r) => JsonSerializer.Serialize(AttestationTxRecordDto.From(r), AttestationTxJson.Default.AttestationTxRecordDto);

    private static AttestationTxRecord Decode(string json) => JsonSerializer.Deserialize(json, AttestationTxJson.Default.AttestationTxRecordDto)!.ToRecord();
}
