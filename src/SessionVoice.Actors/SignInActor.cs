using Dapr.Actors.Runtime;
using SessionVoice.Actors.Interfaces;

namespace SessionVoice.Actors;

/// <summary>
/// Sign-in single use for one wallet (id = lowercase address) across every replica. A nonce is bound to its wallet
/// by its MAC, so the wallet's actor is the one place both kinds of use are recorded. Each use is a state key with
/// an actor-state TTL: the store forgets it once the message or nonce could not be accepted anyway.
/// </summary>
public sealed class SignInActor : Actor, ISignInActor
{
    /// <summary>Kept this long past its expiry: replicas' clocks may disagree by a little.</summary>
    public static readonly TimeSpan ClockMargin = TimeSpan.FromSeconds(60);

    /// <summary>A nonce is 80 lowercase hex characters (SignInNonces); anything else never reaches this actor.</summary>
    private const int MaxNonceLength = 128;

    public SignInActor(ActorHost host, IActorStateManager? stateManager = null)
        : base(host)
    {
        if (stateManager is not null)
        {
            StateManager = stateManager;
        }
    }

    public static string MessageKey(long timestamp) => $"message:{timestamp}";

    public static string NonceKey(string nonce) => $"nonce:{nonce}";

    public async Task<bool> TryUseAsync(SignInUseDto use)
    {
        ArgumentNullException.ThrowIfNull(use);
        string key;
        if (use.MessageTimestamp is { } timestamp && use.Nonce is null)
        {
            key = MessageKey(timestamp);
        }
        else if (use.Nonce is { Length: > 0 and <= MaxNonceLength } nonce && use.MessageTimestamp is null)
        {
            key = NonceKey(nonce);
        }
        else
        {
            throw new ArgumentException("a sign-in use is one message timestamp or one nonce", nameof(use));
        }
        if (await StateManager.ContainsStateAsync(key))
        {
            return false;
        }
        var ttl = TimeSpan.FromSeconds(Math.Max(0, use.ExpiresAtUnix - use.NowUnix)) + ClockMargin;
        await StateManager.SetStateAsync(key, use.NowUnix, ttl);
        // Saved before the answer: a sign-in is never granted on a use that was not stored.
        await StateManager.SaveStateAsync();
        return true;
    }
}
