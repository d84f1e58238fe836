using Dapr.Actors;
using Dapr.Actors.Runtime;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Actors.Tests;

/// <summary>State that must hold across replicas and retries: claims by id, sign-in uses by wallet.</summary>
public class ClusterStateTests
{
    [Fact]
    public async Task A_claim_recorded_twice_with_the_same_id_is_stored_once()
    {
        await using var h = await ActorHarness.StartAsync();
        var claim = new PresenceEvent(Party.Host, PresenceKind.Join, h.Time.GetUtcNow().ToUnixTimeMilliseconds(), PresenceSource.Claimed).ToDto("claim-1");

        Assert.True(await h.Actor.RecordClaimAsync(claim));
        // The retry a resiliency policy sends, on a fresh activation over the same state.
        Assert.False(await h.Activate().RecordClaimAsync(claim));
        Assert.True(await h.Actor.RecordClaimAsync(claim with { ClaimId = "claim-2" }));

        Assert.Equal(["claim-1", "claim-2"], (await h.Actor.GetStateAsync()).Claims.Select(c => c.ClaimId));
    }

    private static SignInActor SignIn(Dictionary<string, string> store) =>
        new(ActorHost.CreateForTest<SignInActor>(new ActorTestOptions { ActorId = new ActorId("0x70997970c51812dc3a010c7d01b50e0d17dc79c8") }), new InMemoryActorStateManager(store));

    [Fact]
    public async Task A_nonce_or_message_used_through_one_activation_is_refused_through_another_over_the_same_state()
    {
        Dictionary<string, string> store = [];
        var nonce = new SignInUseDto(null, new string('a', 80), 1_000_300, 1_000_000);
        var message = new SignInUseDto(1_000_000, null, 1_000_300, 1_000_000);

        Assert.True(await SignIn(store).TryUseAsync(nonce));
        Assert.True(await SignIn(store).TryUseAsync(message));
        Assert.False(await SignIn(store).TryUseAsync(nonce));
        Assert.False(await SignIn(store).TryUseAsync(message with { NowUnix = 1_000_100 }));
        Assert.True(await SignIn(store).TryUseAsync(nonce with { Nonce = new string('b', 80) }));
        await Assert.ThrowsAsync<ArgumentException>(() => SignIn(store).TryUseAsync(new SignInUseDto(1, "x", 2, 1)));
    }
}
