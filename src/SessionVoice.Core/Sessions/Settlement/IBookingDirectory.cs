using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions.Settlement;

/// <summary>Where bookings are looked up: the chain (cached) or, for front-end work, a mock.</summary>
public interface IBookingDirectory
{
    /// <summary>Null when the booking does not exist.</summary>
    Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct);

    /// <summary>Reads many bookings at once, ahead of the <see cref="GetAsync"/> calls a sweep makes for them; nothing to do where reads are cheap.</summary>
    Task PrefetchAsync(IReadOnlyList<BookingId> ids, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// The lookups request traffic makes (joins, renewals, stats, webhooks): limited so that made-up ids cost no
    /// node call each and never hold up settlement's reads. The same object where reads are cheap.
    /// </summary>
    IBookingDirectory Requests => this;

    /// <summary>Drops everything cached: after a reorg a booking id can belong to another booking, on another slot.</summary>
    void Forget()
    {
    }
}

/// <summary>The chain this service works on, read from the RPC at startup.</summary>
public sealed record ChainInfo(ulong ChainId, Core.Ethereum.Address? Escrow);
