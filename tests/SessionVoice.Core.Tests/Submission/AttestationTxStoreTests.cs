using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Core.Tests.Submission;

/// <summary>The reference semantics of <see cref="IAttestationTxStore"/>.</summary>
public class AttestationTxStoreTests
{
    private static readonly BookingId Id = new(7);

    private static AttestationTxRecord Claim(string token) =>
        new(Id, Outcome.Completed, Hash32.Zero, AttestationTxState.Claimed, [], null, null) { ClaimToken = token };

    private static SentTransaction Tx(byte b) => new(Keccak256.Hash([b]), [0x02, b], 3, 10, 1, 0) { GasLimit = 100_000 };

    [Fact]
    public async Task Only_the_first_claim_wins()
    {
        var store = new InMemoryAttestationTxStore();
        var wins = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => store.TryCreateAsync(Claim($"t{i}"), default))));
        Assert.Single(wins, w => w);
    }

    [Fact]
    public async Task An_update_under_another_claim_is_refused()
    {
        var store = new InMemoryAttestationTxStore();
        Assert.True(await store.TryCreateAsync(Claim("a"), default));

        await Assert.ThrowsAsync<AttestationClaimLostException>(() => store.UpdateAsync(Claim("b") with { State = AttestationTxState.Sent, Sent = [Tx(1)] }, default));
        await Assert.ThrowsAsync<AttestationClaimLostException>(() => store.UpdateAsync(Claim("a") with { BookingId = new BookingId(8) }, default));
        await store.UpdateAsync(Claim("a") with { State = AttestationTxState.Sent, Sent = [Tx(1)] }, default);
        Assert.Equal(AttestationTxState.Sent, (await store.GetAsync(Id, default))!.State);
    }

    [Fact]
    public async Task Only_an_unsent_claim_is_released_and_only_by_its_token()
    {
        var store = new InMemoryAttestationTxStore();
        await store.TryCreateAsync(Claim("a"), default);

        Assert.False(await store.TryReleaseAsync(Id, "b", default));
        Assert.True(await store.TryReleaseAsync(Id, "a", default));
        Assert.Null(await store.GetAsync(Id, default));

        await store.TryCreateAsync(Claim("c"), default);
        await store.UpdateAsync(Claim("c") with { State = AttestationTxState.Sent, Sent = [Tx(1)] }, default);
        Assert.False(await store.TryReleaseAsync(Id, "c", default));
        Assert.NotNull(await store.GetAsync(Id, default));
    }

    [Fact]
    public async Task Unfinished_means_claimed_or_sent()
    {
        var store = new InMemoryAttestationTxStore();
        AttestationTxState[] states = [AttestationTxState.Claimed, AttestationTxState.Sent, AttestationTxState.Mined, AttestationTxState.Settled, AttestationTxState.Failed];
        for (var i = 0; i < states.Length; i++)
        {
            await store.TryCreateAsync(Claim("t") with { BookingId = new BookingId(i + 1), State = states[i] }, default);
        }
        var unfinished = await store.ListUnfinishedAsync(default);
        Assert.Equal([1, 2], unfinished.Select(r => (int)r.BookingId.Value).Order().ToList());
    }

    [Fact]
    public void The_transaction_type_is_read_from_the_raw_envelope()
    {
        Assert.Equal(TransactionType.Eip1559, Tx(1).Type);
        Assert.Equal(TransactionType.Legacy, Tx(1) with { Raw = [0xf8, 0x6b] } is { Type: var t } ? t : default);
    }

    [Theory]
    [InlineData(8, 1, 9, 2)]
    [InlineData(1_000_000, 1_000_000, 1_125_000, 1_125_000)]
    [InlineData(2_000_000_001, 1_000_000_001, 2_250_000_002, 1_125_000_002)]
    public void A_replacement_raises_both_fees_by_an_eighth_rounded_up(long maxFee, long tip, long bumpedMaxFee, long bumpedTip)
    {
        var bumped = new AttestationFees(maxFee, tip).BumpedAtLeastTo(new AttestationFees(0, 0));
        Assert.Equal(new AttestationFees(bumpedMaxFee, bumpedTip), bumped);
    }

    [Fact]
    public void A_replacement_never_goes_below_the_market()
    {
        var bumped = new AttestationFees(100, 10).BumpedAtLeastTo(new AttestationFees(500, 50));
        Assert.Equal(new AttestationFees(500, 50), bumped);
    }
}
