using SessionVoice.Core.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests;

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

    [Fact]
    public async Task Unknown_ids_are_remembered_briefly()
    {
        await using var chain = await EscrowChain.StartAsync();
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddYears(50));
        var directory = new ChainBookingDirectory(chain.Escrow, time);
        Assert.Null(await directory.GetAsync(new BookingId(1), default));
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 3600);
        Assert.Equal(new BookingId(1), booking.Id);
        Assert.Null(await directory.GetAsync(booking.Id, default));
        time.Now += TimeSpan.FromSeconds(6);
        Assert.NotNull(await directory.GetAsync(booking.Id, default));
    }
}
