
namespace SessionVoice.Core.Escrow.Submission;

/// <summary>Thread-safe, process-local <see cref="IAttestationTxStore"/>: for tests and as the reference semantics.</summary>
public sealed class InMemoryAttestationTxStore : IAttestationTxStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<BookingId, AttestationTxRecord> _records = [];

    public Task<AttestationTxRecord?> GetAsync(BookingId bookingId, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_records.GetValueOrDefault(bookingId));
        }
    }

    public Task<bool> TryCreateAsync(AttestationTxRecord record, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_records.TryAdd(record.BookingId, Snapshot(record)));
        }
    }

    public Task UpdateAsync(AttestationTxRecord record, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_records.TryGetValue(record.BookingId, out var stored) || stored.ClaimToken != record.ClaimToken)
            {
                throw new AttestationClaimLostException(record.BookingId);
            }
            _records[record.BookingId] = Snapshot(record);
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<AttestationTxRecord>> ListUnfinishedAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<AttestationTxRecord>>([.. _records.Values.Where(r => r.IsInFlight)]);
        }
    }

    public Task<bool> TryReleaseAsync(BookingId bookingId, string? claimToken, CancellationToken ct)
    {
        lock (_gate)
        {
            var releasable = _records.TryGetValue(bookingId, out var stored)
                && stored is { State: AttestationTxState.Claimed, Sent.Count: 0 }
                && stored.ClaimToken == claimToken;
            return Task.FromResult(releasable && _records.Remove(bookingId));
        }
    }

    // A caller holding on to its list must not change what is stored.
    private static AttestationTxRecord Snapshot(AttestationTxRecord record) => record with { Sent = [.. record.Sent] };
}
