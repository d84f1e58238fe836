using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Sessions;

/// <summary>Single-use bookkeeping for sign-in: used seed messages and issued nonces.</summary>
public interface IAuthStore
{
    /// <summary>Records (wallet, timestamp) as used; false when it was used before (a replay).</summary>
    Task<bool> TryUseSignInMessageAsync(Address wallet, long timestamp, long nowUnix, CancellationToken ct);

    /// <summary>Marks the nonce (issued to <paramref name="wallet"/>, its MAC says so) used; false when another request used it first.</summary>
    Task<bool> TryUseNonceAsync(Address wallet, string nonce, long expiresAtUnix, long nowUnix, CancellationToken ct);

    /// <summary>For readiness: throws when the store cannot take a write now.</summary>
    Task CheckWritableAsync(long nowUnix, CancellationToken ct);
}

/// <summary>Presence events per booking, persisted in arrival order.</summary>
public interface IPresenceStore
{
    Task AppendAsync(BookingId booking, Address wallet, PresenceEvent e, long recordedAtMs, CancellationToken ct);

    Task<IReadOnlyList<PresenceEvent>> ListAsync(BookingId booking, CancellationToken ct);
}
