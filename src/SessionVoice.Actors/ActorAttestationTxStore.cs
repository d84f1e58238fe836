using Dapr.Actors.Runtime;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Actors;

/// <summary>
/// The oracle actor's <see cref="IAttestationTxStore"/>: each booking's transaction record under its
/// own key, saved at once (persist-before-send must hold mid-turn, not only at the turn's end).
/// </summary>
public sealed class ActorAttestationTxStore(IActorStateManager state) : IAttestationTxStore
{
    private const string IndexKey = "Unfinished";

    private static string Key(BookingId id) => "Tx:" + id;

    public async Task<AttestationTxRecord?> GetAsync(BookingId bookingId, CancellationToken ct) =>
        (await state.TryGetStateAsync<AttestationTxRecordDto>(Key(bookingId), ct)) is { HasValue: true } r ? r.Value.ToRecord() : null;

    public async Task<bool> TryCreateAsync(AttestationTxRecord record, CancellationToken ct)
    {
        if (await state.ContainsStateAsync(Key(record.BookingId), ct))
        {
            return false;
        }
        await WriteAsync(record, ct);
        return true;
    }

    public async Task UpdateAsync(AttestationTxRecord record, CancellationToken ct)
    {
        if (await GetAsync(record.BookingId, ct) is not { } stored || stored.ClaimToken != record.ClaimToken)
        {
            throw new AttestationClaimLostException(record.BookingId);
        }
        await WriteAsync(record, ct);
    }

    public async Task<IReadOnlyList<AttestationTxRecord>> ListUnfinishedAsync(CancellationToken ct)
    {
        var records = new List<AttestationTxRecord>();
        foreach (var id in await IndexAsync(ct))
        {
            if (await GetAsync(BookingId.Parse(id), ct) is { IsInFlight: true } record)
            {
                records.Add(record);
            }
        }
        return records;
    }

    public async Task<bool> TryReleaseAsync(BookingId bookingId, string? claimToken, CancellationToken ct)
    {
        if (await GetAsync(bookingId, ct) is not { State: AttestationTxState.Claimed, Sent.Count: 0 } stored || stored.ClaimToken != claimToken)
        {
            return false;
        }
        await state.RemoveStateAsync(Key(bookingId), ct);
        await state.SetStateAsync(IndexKey, (await IndexAsync(ct)).Where(i => i != bookingId.ToString()).ToList(), ct);
        await state.SaveStateAsync(ct);
        return true;
    }

    private async Task<List<string>> IndexAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<List<string>>(IndexKey, ct)) is { HasValue: true } index ? index.Value : [];

    private async Task WriteAsync(AttestationTxRecord record, CancellationToken ct)
    {
        await state.SetStateAsync(Key(record.BookingId), AttestationTxRecordDto.From(record), ct);
        var index = await IndexAsync(ct);
        var id = record.BookingId.ToString();
        var listed = index.Contains(id);
        if (record.IsFinished && listed)
        {
            index.Remove(id);
            await state.SetStateAsync(IndexKey, index, ct);
        }
        else if (!record.IsFinished && !listed)
        {
            index.Add(id);
            await state.SetStateAsync(IndexKey, index, ct);
        }
        await state.SaveStateAsync(ct);
    }
}
