using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Escrow;

/// <summary>
/// MOCK_ESCROW=1: the seed's synthetic booking 1 between MOCK_HOST and MOCK_GUEST, started a minute
/// before the service and 30 minutes long. For front-end work without a chain; never for money.
/// </summary>
public sealed class MockBookingDirectory : IBookingDirectory
{
    private readonly BookingSnapshot _booking;

    public MockBookingDirectory(Address host, Address guest, TimeProvider time)
    {
        var start = time.GetUtcNow().ToUnixTimeSeconds() - 60;
        var slot = new Slot(1, host, start, 30, new Wei(0), 5, 10, 0, SlotStatus.Booked);
        var booking = new Booking(new BookingId(1), 1, guest, new Wei(0), BookingStatus.Booked, Outcome.None, Hash32.Zero, 0, 0, Address.Zero, new Wei(0), 0);
        _booking = new BookingSnapshot(slot, booking);
    }

    public Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct) =>
        Task.FromResult(id.Value.IsOne ? _booking : null);
}
