using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Escrow;

/// <summary>
/// The test escrow's rules that the service and its tests lean on, checked against the contract itself: the
/// minute of lead a slot and a booking need, the attest windows and their revert reasons (the service classifies
/// them), and the event order of an accepted request (the watcher tracks a booking from SessionBooked). Each check
/// is an eth_call against the latest block, whose timestamp the test sets by mining, so every boundary is exact.
/// Moves chain time, so each test owns its chain.
/// </summary>
public class EscrowContractRulesTests
{
    private static readonly Address Host = AnvilAccounts.Address(AnvilAccounts.Host);
    private static readonly Address Guest = AnvilAccounts.Address(AnvilAccounts.Guest);
    private static readonly BigInteger Price = BigInteger.Pow(10, 16);
    private static readonly Hash32 Metrics = Keccak256.Hash("metrics"u8);

    private static byte[] CreateSlot(long start, uint duration = 30, uint grace = 5, uint overlap = 10, uint cutoff = 0) =>
        new AbiEncoder().UInt(start, 48).UInt(duration, 32).UInt(grace, 32).UInt(overlap, 32).UInt(cutoff, 32)
            .ToCall(Abi.Selector("createSlot(uint48,uint32,uint32,uint32,uint32)"));

    private static byte[] Attest(BookingId id, byte outcome) =>
        new AbiEncoder().UInt(id.Value).UInt(outcome, 8).Bytes32(Metrics).ToCall(EscrowAbi.AttestSelector);

    /// <summary>The revert string of the call against the latest block, or null when it would succeed.</summary>
    private static async Task<string?> ReasonAsync(EscrowChain chain, Address from, byte[] data, BigInteger? value = null)
    {
        try
        {
            await chain.Anvil.Eth.CallAsync(new CallRequest(chain.EscrowAddress, data, from, value), BlockTag.Latest);
            return null;
        }
        catch (RpcException e) when (e.Kind == RpcErrorKind.Reverted)
        {
            return Assert.IsType<RevertReason.ErrorString>(e.Error.Revert).Message;
        }
    }

    private static async Task<TransactionReceipt> SendAsync(EscrowChain chain, Address from, byte[] data, BigInteger? value = null)
    {
        var receipt = await chain.Anvil.SendAsync(from, chain.EscrowAddress, data, value);
        Assert.True(receipt.Succeeded);
        return receipt;
    }

    private static Task<TransactionReceipt> SetBasePriceAsync(EscrowChain chain) =>
        SendAsync(chain, Host, new AbiEncoder().UInt(Price).ToCall(Abi.Selector("setHostBasePrice(uint256)")));

    [Fact]
    public async Task A_slot_needs_a_base_price_and_a_start_more_than_a_minute_after_its_block()
    {
        await using var chain = await EscrowChain.StartAsync();
        var now = await chain.NowAsync();
        Assert.Equal("NO_BASE_PRICE", await ReasonAsync(chain, Host, CreateSlot(now + 3600)));
        await SetBasePriceAsync(chain);
        var t = await chain.Anvil.MineAsync(await chain.NowAsync() + 10);

        Assert.Equal("START_TOO_SOON", await ReasonAsync(chain, Host, CreateSlot(t + 60)));
        Assert.Null(await ReasonAsync(chain, Host, CreateSlot(t + 61)));
        // The start is checked before the shape of the slot.
        Assert.Equal("START_TOO_SOON", await ReasonAsync(chain, Host, CreateSlot(t, duration: 0)));
        Assert.Equal("BAD_DURATION", await ReasonAsync(chain, Host, CreateSlot(t + 600, duration: 241)));
        Assert.Equal("BAD_OVERLAP", await ReasonAsync(chain, Host, CreateSlot(t + 600, duration: 30, overlap: 31)));
        Assert.Equal("BAD_CUTOFF", await ReasonAsync(chain, Host, CreateSlot(t + 600, cutoff: 10081)));
    }

    [Fact]
    public async Task Booking_closes_a_minute_before_the_start_and_wants_the_exact_price()
    {
        await using var chain = await EscrowChain.StartAsync();
        await SetBasePriceAsync(chain);
        var start = await chain.NowAsync() + 600;
        var created = await SendAsync(chain, Host, CreateSlot(start));
        var slotId = new BigInteger(created.Logs.Single().Topics[1].ToArray(), isUnsigned: true, isBigEndian: true);
        var book = new AbiEncoder().UInt(slotId).ToCall(Abi.Selector("book(uint256)"));

        Assert.Equal("NOT_AVAILABLE", await ReasonAsync(chain, Guest, new AbiEncoder().UInt(slotId + 1).ToCall(Abi.Selector("book(uint256)")), Price));
        Assert.Equal("WRONG_AMOUNT", await ReasonAsync(chain, Guest, book, Price - 1));
        await chain.Anvil.MineAsync(start - 61);
        Assert.Null(await ReasonAsync(chain, Guest, book, Price));
        await chain.Anvil.MineAsync(start - 60);
        Assert.Equal("TOO_LATE", await ReasonAsync(chain, Guest, book, Price));
    }

    [Fact]
    public async Task Attest_is_checked_for_sender_status_and_outcome_before_its_windows()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 3600);
        var oracle = EscrowChain.Oracle;

        Assert.Equal("NOT_ORACLE", await ReasonAsync(chain, Host, Attest(booking.Id, 1)));
        Assert.Equal("NOT_BOOKED", await ReasonAsync(chain, oracle, Attest(new BookingId(booking.Id.Value + 1), 1)));
        Assert.Equal("BAD_OUTCOME", await ReasonAsync(chain, oracle, Attest(booking.Id, 0)));
        Assert.Equal("BAD_ATTEST_OUTCOME", await ReasonAsync(chain, oracle, Attest(booking.Id, 4)));
        Assert.Equal("BAD_ATTEST_OUTCOME", await ReasonAsync(chain, oracle, Attest(booking.Id, 5)));
    }

    [Fact]
    public async Task Attest_windows_open_and_close_on_the_documented_seconds()
    {
        await using var chain = await EscrowChain.StartAsync();
        // S, D = 30 min, G = S + 5 min, O = 10 min.
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 3600, durationMins: 30, graceMins: 5, minOverlapMins: 10);
        var (s, oracle) = (booking.StartTime, EscrowChain.Oracle);
        async Task<string?> At(long t, byte outcome)
        {
            await chain.Anvil.MineAsync(t);
            return await ReasonAsync(chain, oracle, Attest(booking.Id, outcome));
        }

        Assert.Equal("GRACE_NOT_OVER", await At(s + 5 * 60 - 1, 2));
        Assert.Null(await At(s + 5 * 60, 2));
        Assert.Null(await At(s + 5 * 60, 3));
        Assert.Equal("OVERLAP_NOT_MET", await At(s + 10 * 60 - 1, 1));
        Assert.Null(await At(s + 10 * 60, 1));
        Assert.Null(await At(s + 5 * 60 + 30 * 60, 3));
        Assert.Equal("NO_SHOW_TOO_LATE", await At(s + 5 * 60 + 30 * 60 + 1, 3));
        Assert.Null(await At(s + 30 * 60 + 7200, 1));
        Assert.Equal("TOO_LATE", await At(s + 30 * 60 + 7200 + 1, 1));
    }

    [Fact]
    public async Task An_accepted_request_books_the_guest_and_emits_session_booked_before_request_accepted()
    {
        await using var chain = await EscrowChain.StartAsync();
        await SetBasePriceAsync(chain);
        var now = await chain.NowAsync();
        var (windowStart, windowEnd, expiry) = (now + 3600, now + 3 * 3600, now + 1800);
        var create = new AbiEncoder().Address(Host).UInt(windowStart, 48).UInt(windowEnd, 48).UInt(30, 32).UInt(expiry, 48)
            .ToCall(Abi.Selector("createRequest(address,uint48,uint48,uint32,uint48)"));
        Assert.Equal("LOW_OFFER", await ReasonAsync(chain, Guest, create, Price - 1));
        await SendAsync(chain, Guest, create, Price);

        var start = windowStart + 600;
        var accept = new AbiEncoder().UInt(1).UInt(start, 48).UInt(5, 32).UInt(10, 32).UInt(0, 32)
            .ToCall(Abi.Selector("acceptRequest(uint256,uint48,uint32,uint32,uint32)"));
        var receipt = await SendAsync(chain, Host, accept);

        // The service's topics: SessionBooked (decoded by the watcher), then SessionRequestAccepted, nothing else.
        Assert.Equal([EscrowAbi.SessionBookedTopic, EscrowAbi.SessionRequestAcceptedTopic], receipt.Logs.Select(l => l.Topics[0]));
        var booked = Assert.IsType<SessionBooked>(EscrowAbi.DecodeLog(receipt.Logs[0]));
        Assert.Equal(Guest, booked.Guest);
        Assert.Equal(new Wei(Price), booked.Amount);
        var accepted = new AbiDecoder(receipt.Logs[1].Data);
        Assert.Equal((booked.SlotId, booked.BookingId.Value, (BigInteger)start), (accepted.UInt(0), accepted.UInt(1), accepted.UInt(2)));
        var booking = (await chain.Escrow.GetBookingAsync(booked.BookingId))!;
        Assert.Equal(BookingStatus.Booked, booking.Status);
        var slot = (await chain.Escrow.GetSlotAsync(booking.SlotId))!;
        Assert.Equal((Host, start, SlotStatus.Booked), (slot.Host, slot.StartTime, slot.Status));
        Assert.Equal("NOT_OPEN", await ReasonAsync(chain, Host, accept));
    }
}
