using System.Collections.Concurrent;
using System.Numerics;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions;

/// <summary>
/// Bookings read from SessionEscrowV1. Slot fields never change once booked, so a slot is cached for
/// good; a booking's status is cached for at most <see cref="BookingTtl"/> so a cancellation stops
/// admitting joins within that time (api.md, join rule 2).
/// </summary>
public sealed class ChainBookingDirectory(EscrowClient escrow, TimeProvider time) : IBookingDirectory
{
    public static readonly TimeSpan BookingTtl = TimeSpan.FromSeconds(15);

    /// <summary>Unknown ids are remembered briefly so a flood of made-up ids does not become a flood of RPC calls.</summary>
    public static readonly TimeSpan MissingTtl = TimeSpan.FromSeconds(5);

    private const int MaxCachedBookings = 100_000;

    private readonly ConcurrentDictionary<BigInteger, Slot> _slots = new();
    private readonly ConcurrentDictionary<BookingId, (Booking? Booking, DateTimeOffset ReadAt)> _bookings = new();

    /// <summary>After a reorg: slots are cached for good only because they never change on one chain.</summary>
    public void Forget()
    {
        _bookings.Clear();
        _slots.Clear();
    }

    public async Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (!_bookings.TryGetValue(id, out var cached) || now - cached.ReadAt > (cached.Booking is null ? MissingTtl : BookingTtl))
        {
            cached = Remember(id, await escrow.GetBookingAsync(id, ct), now);
        }
        if (cached.Booking is not { } booking)
        {
            return null;
        }
        if (!_slots.TryGetValue(booking.SlotId, out var slot))
        {
            slot = await escrow.GetSlotAsync(booking.SlotId, ct) ?? throw new InvalidOperationException($"booking {id} points at missing slot {booking.SlotId}");
            _slots[booking.SlotId] = slot;
        }
        return new BookingSnapshot(slot, booking);
    }

    /// <summary>
    /// Reads the bookings afresh in one JSON-RPC batch, and the slots not cached yet in a second one, and
    /// caches them as <see cref="GetAsync"/> would: a sweep's evaluations then find them instead of
    /// sending two eth_calls per booking.
    /// </summary>
    public async Task PrefetchAsync(IReadOnlyList<BookingId> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var bookings = await escrow.GetBookingsAsync(ids, ct);
        var missingSlots = bookings.OfType<Booking>().Select(b => b.SlotId).Where(s => !_slots.ContainsKey(s)).Distinct().ToList();
        var slots = await escrow.GetSlotsAsync(missingSlots, ct);
        for (var i = 0; i < missingSlots.Count; i++)
        {
            if (slots[i] is { } slot)
            {
                _slots[missingSlots[i]] = slot;
            }
        }
        for (var i = 0; i < ids.Count; i++)
        {
            Remember(ids[i], bookings[i], now);
        }
    }

    private (Booking? Booking, DateTimeOffset ReadAt) Remember(BookingId id, Booking? booking, DateTimeOffset readAt)
    {
        if (_bookings.Count >= MaxCachedBookings)
        {
            _bookings.Clear();
        }
        return _bookings[id] = (booking, readAt);
    }
}
