using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions;

/// <summary>Where bookings are looked up: the chain (cached) or, for front-end work, a mock.</summary>
public interface IBookingDirectory
{
    /// <summary>Null when the booking does not exist.</summary>
    Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct);
}

/// <summary>The chain this service works on, read from the RPC at startup.</summary>
public sealed record ChainInfo(ulong ChainId, Core.Ethereum.Address? Escrow);
