using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow;
using SessionVoice.Testing;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests.Sessions;

public class BookingCacheTests
{
    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task A_cancellation_is_seen_within_15_seconds_and_slots_are_read_once()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 3600);
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddYears(50));
        var directory = new ChainBookingDirectory(chain.Escrow, time);

        Assert.Equal(BookingStatus.Booked, (await directory.GetAsync(booking.Id, default))!.Booking.Status);
        await chain.CancelAsync(booking.Id, booking.Guest);

        time.Now += TimeSpan.FromSeconds(10);
        var cached = await directory.GetAsync(booking.Id, default);
        Assert.Equal(BookingStatus.Booked, cached!.Booking.Status);

        time.Now += TimeSpan.FromSeconds(5.5);
        var fresh = await directory.GetAsync(booking.Id, default);
        Assert.Equal(BookingStatus.Cancelled, fresh!.Booking.Status);
        // The slot was cached for good: the same instance, though the slot's status moved on chain.
        Assert.Same(cached.Slot, fresh.Slot);
    }

    private static (ChainBookingDirectory Directory, RpcCounter Counter, HttpClient Http) Counted(EscrowChain chain, TimeProvider time)
    {
        var counter = new RpcCounter();
        var http = new HttpClient(counter);
        var escrow = new EscrowClient(new EthClient(new JsonRpcClient(http, chain.Anvil.RpcUrl)), chain.EscrowAddress);
        return (new ChainBookingDirectory(escrow, time), counter, http);
    }

    [Fact]
    public async Task Settlement_sees_a_booking_made_after_its_id_was_asked_for()
    {
        await using var chain = await EscrowChain.StartAsync();
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddYears(50));
        using var directory = new ChainBookingDirectory(chain.Escrow, time);
        Assert.Null(await directory.GetAsync(new BookingId(1), default));
        Assert.Null(await directory.Requests.GetAsync(new BookingId(1), default));
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 3600);
        Assert.Equal(new BookingId(1), booking.Id);
        // No "missing" answer is cached for settlement: a false "not found" would end the booking's settlement.
        Assert.NotNull(await directory.GetAsync(booking.Id, default));
        Assert.NotNull(await directory.Requests.GetAsync(booking.Id, default));
    }

    [Fact]
    public async Task A_freshly_made_booking_is_found_by_the_request_lane_right_away()
    {
        await using var chain = await EscrowChain.StartAsync();
        var (directory, _, http) = Counted(chain, TimeProvider.System);
        using var _d = directory;
        using var _h = http;
        Assert.Null(await directory.Requests.GetAsync(new BookingId(1), default));
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 3600);
        // Within the counter's interval of the read above: the lane waits for a read that starts after this request.
        Assert.NotNull(await directory.Requests.GetAsync(booking.Id, default));
    }

    [Fact]
    public async Task One_hundred_thousand_lookups_of_unknown_ids_cost_under_one_percent_in_node_calls()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 3600);
        var (directory, counter, http) = Counted(chain, TimeProvider.System);
        using var _d = directory;
        using var _h = http;
        const int Lookups = 100_000;
        var random = new Random(7);
        // Half just past the last booking (where a new booking would appear), half anywhere in uint256.
        var ids = Enumerable.Range(0, Lookups).Select(i => i % 2 == 0
            ? new BookingId(booking.Id.Value + 1 + random.Next(0, 500))
            : new BookingId(new System.Numerics.BigInteger(random.NextInt64(1_000_000, long.MaxValue)))).ToArray();
        var found = 0;
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (id, ct) =>
        {
            if (await directory.Requests.GetAsync(id, ct) is not null)
            {
                Interlocked.Increment(ref found);
            }
        });
        var rpc = counter.Snapshot();
        Assert.Equal(0, found);
        Assert.True(rpc.Requests <= Lookups / 100, $"{rpc.Requests} node calls for {Lookups} lookups");
        // Concurrent lookups of one existing id share one read.
        var before = counter.Snapshot();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => directory.Requests.GetAsync(booking.Id, default)));
        Assert.True(counter.Snapshot().Since(before).Requests <= 3, counter.Snapshot().Since(before).Requests.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
