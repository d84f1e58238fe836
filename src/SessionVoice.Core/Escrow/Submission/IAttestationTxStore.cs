
namespace SessionVoice.Core.Escrow.Submission;

/// <summary>
/// Persistence of every transaction this key sends, written BEFORE it is sent. <see cref="InMemoryAttestationTxStore"/>
/// is the reference semantics every implementation must keep (each operation atomic per booking).
/// </summary>
public interface IAttestationTxStore
{
    Task<AttestationTxRecord?> GetAsync(BookingId bookingId, CancellationToken ct);

    /// <summary>Claims the booking for submission; false when a record already exists (another replica/attempt owns it).</summary>
    Task<bool> TryCreateAsync(AttestationTxRecord record, CancellationToken ct);

    /// <summary>
    /// Replaces the stored record. Throws <see cref="AttestationClaimLostException"/> when there is no record
    /// or the stored one carries another <see cref="AttestationTxRecord.ClaimToken"/>.
    /// </summary>
    Task UpdateAsync(AttestationTxRecord record, CancellationToken ct);

    /// <summary>Records in state Claimed or Sent.</summary>
    Task<IReadOnlyList<AttestationTxRecord>> ListUnfinishedAsync(CancellationToken ct);

    /// <summary>
    /// Deletes the record if it is still Claimed, has nothing sent and carries <paramref name="claimToken"/>,
    /// so a later submission can claim the booking again (not due yet, or a stale claim taken over).
    /// </summary>
    Task<bool> TryReleaseAsync(BookingId bookingId, string? claimToken, CancellationToken ct);
}

/// <summary>The claim this submitter worked under was released or taken over; it must not send under it.</summary>
public sealed class AttestationClaimLostException(BookingId bookingId)
    : Exception($"the claim on booking {bookingId} is no longer ours")
{
    public BookingId BookingId { get; } = bookingId;
}
