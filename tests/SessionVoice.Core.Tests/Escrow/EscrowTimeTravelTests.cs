using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Escrow;

/// <summary>Moves chain time, so it owns its chain.</summary>
public class EscrowTimeTravelTests
{
    [Fact]
    public async Task A_booking_that_starts_in_seconds_becomes_attestable_when_chain_time_reaches_grace_end()
    {
        await using var chain = await EscrowChain.StartAsync();
        var now = await chain.NowAsync();
        var booking = await chain.CreateBookingAsync(now + 30, durationMins: 10, graceMins: 2, minOverlapMins: 5);
        var oracle = AnvilAccounts.Signer(AnvilAccounts.Oracle);
        var metrics = Keccak256.Hash("no-show"u8);

        Assert.Equal(EscrowErrorKind.GraceNotOver, (await chain.Escrow.SimulateAttestAsync(oracle.Address, booking.Id, Outcome.NoShowGuest, metrics))?.Kind);

        // G = S + 120 s: the first second a no-show is allowed.
        var graceEnd = booking.StartTime + 120;
        await chain.Anvil.SetNextBlockTimestampAsync(graceEnd);
        var tx = await EscrowClientAnvilTests.BuildAttestAsync(chain, oracle, booking.Id, Outcome.NoShowGuest, metrics, legacy: false, gasLimit: 200_000);
        var receipt = await chain.Anvil.WaitForReceiptAsync(await chain.Anvil.Eth.SendRawTransactionAsync(tx));
        Assert.True(receipt.Succeeded);
        var read = await chain.Escrow.GetBookingAsync(booking.Id);
        Assert.Equal(BookingStatus.Attested, read!.Status);
        Assert.Equal(Outcome.NoShowGuest, read.OracleOutcome);
        Assert.Equal(graceEnd, read.AttestedAt);
    }

    [Fact]
    public async Task One_second_before_grace_end_the_contract_refuses_a_no_show()
    {
        await using var chain = await EscrowChain.StartAsync();
        var now = await chain.NowAsync();
        var booking = await chain.CreateBookingAsync(now + 30, durationMins: 10, graceMins: 2, minOverlapMins: 5);
        var oracle = AnvilAccounts.Signer(AnvilAccounts.Oracle);
        var metrics = Keccak256.Hash("no-show"u8);

        await chain.Anvil.SetNextBlockTimestampAsync(booking.StartTime + 119);
        var tx = await EscrowClientAnvilTests.BuildAttestAsync(chain, oracle, booking.Id, Outcome.NoShowHost, metrics, legacy: true, gasLimit: 200_000);
        var receipt = await chain.Anvil.WaitForReceiptAsync(await chain.Anvil.Eth.SendRawTransactionAsync(tx));
        Assert.False(receipt.Succeeded);
        Assert.Equal(BookingStatus.Booked, (await chain.Escrow.GetBookingAsync(booking.Id))!.Status);
    }
}
