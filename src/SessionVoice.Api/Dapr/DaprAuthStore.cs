using Dapr.Actors;
using Dapr.Actors.Client;
using SessionVoice.Actors;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Api.Apis;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Dapr;

/// <summary>
/// Dapr mode's sign-in single use: one <see cref="SignInActor"/> per wallet holds what it has used, so a captured
/// signature is accepted once across every replica and after restarts (the state is in the actor state store).
/// Readiness asks the sidecar whether its components are up; nothing is written to a local disk.
/// </summary>
public sealed class DaprAuthStore(IActorProxyFactory proxies, HttpClient sidecar) : IAuthStore
{
    public const string ActorType = nameof(SignInActor);

    private ISignInActor Actor(Address wallet) => proxies.CreateActorProxy<ISignInActor>(new ActorId(wallet.ToString()), ActorType);

    public Task<bool> TryUseSignInMessageAsync(Address wallet, long timestamp, long nowUnix, CancellationToken ct) =>
        // A signed timestamp is accepted within ±MessageWindowSeconds of now: it cannot be used again after that.
        Actor(wallet).TryUseAsync(new SignInUseDto(timestamp, null, timestamp + AuthApi.MessageWindowSeconds, nowUnix));

    public Task<bool> TryUseNonceAsync(Address wallet, string nonce, long expiresAtUnix, long nowUnix, CancellationToken ct) =>
        Actor(wallet).TryUseAsync(new SignInUseDto(null, nonce, expiresAtUnix, nowUnix));

    /// <summary>daprd answers its outbound health 204 once its components (the actor state store among them) are ready.</summary>
    public async Task CheckWritableAsync(long nowUnix, CancellationToken ct)
    {
        using var response = await sidecar.GetAsync(new Uri("/v1.0/healthz/outbound", UriKind.Relative), ct);
        response.EnsureSuccessStatusCode();
    }
}
