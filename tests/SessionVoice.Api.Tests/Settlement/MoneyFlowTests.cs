using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Settlement;

/// <summary>
/// Where the money goes after the service has decided: the service attests by itself, the challenge window
/// passes, and <c>finalize</c> (or, when nobody attested in time, <c>claimIfUnattested</c>) pays host, guest and
/// treasury exactly as the escrow's rules say, leaving nothing held. The attestation is only worth something if
/// this last step moves the right wei, so the balances are checked to the wei. The calls that settle are sent by
/// a third account (anvil's "stranger" for finalize, the host for a claim that refunds the guest), so nobody
/// whose balance is checked pays gas in between.
/// </summary>
public class MoneyFlowTests
{
    /// <summary>Short enough to move the clocks past it; the production default is 24 h.</summary>
    private static readonly EscrowParameters ShortChallengeWindow = new(ChallengeWindowSeconds: 60);

    private static readonly BigInteger Price = BigInteger.Pow(10, 16);

    private static readonly Address Stranger = AnvilAccounts.Address(AnvilAccounts.Stranger);

    [Fact]
    public async Task A_completed_session_pays_the_host_less_the_fee_and_the_treasury_the_fee_at_finalize()
    {
        await using var s = await SettlementScenario.StartAsync(escrow: ShortChallengeWindow);
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 4 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);

        var fee = Price * 300 / 10_000;
        await FinalizeAndAssertAsync(s, hostGets: Price - fee, guestGets: 0, treasuryGets: fee, Outcome.Completed);
    }

    [Fact]
    public async Task A_guest_no_show_pays_the_host_less_the_fee_at_finalize()
    {
        await using var s = await SettlementScenario.StartAsync(escrow: ShortChallengeWindow);
        await s.JoinAsync(s.HostToken);
        await s.AdvanceToAsync(s.Start + 2 * 60 + 31);
        await s.AssertAttestedAsync(Outcome.NoShowGuest);

        var fee = Price * 300 / 10_000;
        await FinalizeAndAssertAsync(s, hostGets: Price - fee, guestGets: 0, treasuryGets: fee, Outcome.NoShowGuest);
    }

    [Fact]
    public async Task A_host_no_show_refunds_the_guest_in_full_at_finalize()
    {
        await using var s = await SettlementScenario.StartAsync(escrow: ShortChallengeWindow);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 2 * 60 + 31);
        await s.AssertAttestedAsync(Outcome.NoShowHost);

        await FinalizeAndAssertAsync(s, hostGets: 0, guestGets: Price, treasuryGets: 0, Outcome.NoShowHost);
    }

    [Fact]
    public async Task A_window_missed_booking_is_refunded_to_the_guest_by_claim_after_the_no_attest_buffer()
    {
        // A session that ended hours ago: the service records WindowMissed and sends nothing.
        await using var s = await SettlementScenario.StartAsync(startsInSeconds: -3 * 3600, escrow: ShortChallengeWindow);
        await WaitForWindowMissedAsync(s);
        var before = await BalancesAsync(s);
        var claimOpens = s.Booking.StartTime + s.Booking.DurationMins * 60L + s.Chain.Parameters.NoAttestBufferSeconds;
        await AdvancePastAsync(s, claimOpens);

        var receipt = await s.Chain.ClaimIfUnattestedAsync(s.Booking.Id, s.Booking.Host);

        var refunded = receipt.Logs.Single(l => l.Topics[0] == Abi.EventTopic("UnattestedRefunded(uint256,uint256)"));
        Assert.Equal(Price, new AbiDecoder(refunded.Data).UInt(0));
        var after = await BalancesAsync(s);
        Assert.Equal(Price, after.Guest - before.Guest);
        Assert.Equal(-Gas(receipt), after.Host - before.Host);
        Assert.Equal(BigInteger.Zero, after.Treasury - before.Treasury);
        Assert.Equal(BookingStatus.Finalized, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.Status);
        Assert.Equal(SlotStatus.Cancelled, (await s.Chain.Escrow.GetSlotAsync(s.Booking.SlotId))!.Status);
        Assert.Equal(BigInteger.Zero, await s.Chain.TotalHeldAsync());
        Assert.Equal(BigInteger.Zero, await s.Chain.Anvil.Eth.GetBalanceAsync(s.Chain.EscrowAddress));
    }

    /// <summary>Moves both clocks to finalizableAt, finalizes as the stranger and checks every balance and the escrow's books.</summary>
    private static async Task FinalizeAndAssertAsync(SettlementScenario s, BigInteger hostGets, BigInteger guestGets, BigInteger treasuryGets, Outcome outcome)
    {
        var attested = (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!;
        Assert.Equal(Price, await s.Chain.TotalHeldAsync());
        await AdvancePastAsync(s, attested.FinalizableAt);
        var before = await BalancesAsync(s);

        var receipt = await s.Chain.FinalizeAsync(s.Booking.Id, Stranger);

        var after = await BalancesAsync(s);
        Assert.Equal(hostGets, after.Host - before.Host);
        Assert.Equal(guestGets, after.Guest - before.Guest);
        Assert.Equal(treasuryGets, after.Treasury - before.Treasury);
        Assert.Equal(-Gas(receipt), after.Stranger - before.Stranger);
        var finalized = receipt.Logs.Single(l => l.Topics[0] == Abi.EventTopic("Finalized(uint256,uint8,uint256,uint256,uint256)"));
        var data = new AbiDecoder(finalized.Data);
        Assert.Equal((byte)outcome, (byte)data.UInt(0, 8));
        Assert.Equal([hostGets, guestGets, treasuryGets], [data.UInt(1), data.UInt(2), data.UInt(3)]);
        Assert.Equal(BookingStatus.Finalized, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.Status);
        Assert.Equal(SlotStatus.Settled, (await s.Chain.Escrow.GetSlotAsync(s.Booking.SlotId))!.Status);
        Assert.Equal(BigInteger.Zero, await s.Chain.TotalHeldAsync());
        Assert.Equal(BigInteger.Zero, await s.Chain.Anvil.Eth.GetBalanceAsync(s.Chain.EscrowAddress));
    }

    /// <summary>
    /// Moves both clocks until the chain's time is at least <paramref name="unixSeconds"/>: AdvanceToAsync moves
    /// anvil in whole seconds from the service's clock, so the chain can trail it by a second or two.
    /// </summary>
    private static async Task AdvancePastAsync(SettlementScenario s, long unixSeconds)
    {
        await s.AdvanceToAsync(unixSeconds);
        var behind = unixSeconds - await s.Chain.NowAsync();
        if (behind > 0)
        {
            await s.Chain.Anvil.IncreaseTimeAsync(behind);
            s.Time.AdvanceMs(behind * 1000);
            await s.Chain.NowAsync();
        }
    }

    private static BigInteger Gas(TransactionReceipt receipt) => receipt.GasUsed * (receipt.EffectiveGasPrice ?? throw new InvalidOperationException("no effectiveGasPrice"));

    private sealed record Balances(BigInteger Host, BigInteger Guest, BigInteger Treasury, BigInteger Stranger);

    private static async Task<Balances> BalancesAsync(SettlementScenario s)
    {
        var eth = s.Chain.Anvil.Eth;
        return new Balances(
            await eth.GetBalanceAsync(s.Booking.Host, BlockTag.Latest),
            await eth.GetBalanceAsync(s.Booking.Guest, BlockTag.Latest),
            await eth.GetBalanceAsync(EscrowChain.Treasury, BlockTag.Latest),
            await eth.GetBalanceAsync(Stranger, BlockTag.Latest));
    }

    private static async Task WaitForWindowMissedAsync(SettlementScenario s)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var attestation = (await s.StatsAsync()).GetProperty("attestation");
            if (attestation.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                Assert.Equal("window-missed", attestation.GetProperty("status").GetString());
                Assert.Equal(BookingStatus.Booked, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.Status);
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail("the service recorded no decision for the old booking");
    }
}
