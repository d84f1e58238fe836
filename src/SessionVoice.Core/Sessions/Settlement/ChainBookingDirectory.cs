using System.Collections.Concurrent;
using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Sessions.Settlement;

/// <summary>How request traffic may use the node for booking lookups (settlement's reads are never limited by these).</summary>
public sealed record BookingLookupOptions
{
    /// <summary>Booking reads the request path may have open at once; more wait their turn, settlement never does.</summary>
    public int RequestConcurrency { get; init; } = 16;

    /// <summary>How long an id that the contract answered "no booking" for is believed (request path only).</summary>
    public TimeSpan MissingTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many such ids are remembered; the oldest half is dropped past it.</summary>
    public int MaxMissing { get; init; } = 10_000;

    /// <summary><c>nextBookingId()</c> is read at most once per this interval, whatever the request rate.</summary>
    public TimeSpan CounterInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Ids this far or further past the last counter read are answered from it while it is younger than <see cref="FarCounterAge"/>.</summary>
    public int NearWindow { get; init; } = 1_000;

    public TimeSpan FarCounterAge { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Bookings read from SessionEscrowV1. Slot fields never change once booked, so a slot is cached for
/// good; a booking's status is cached for at most <see cref="BookingTtl"/> so a cancellation stops
/// admitting joins within that time (api.md, join rule 2).
/// <para>
/// Two lanes share the cache. Settlement's (this object) reads the node whenever a found booking's entry is
/// stale or an id is not known to exist: a false "not found" would end a booking's settlement. The request
/// lane (<see cref="Requests"/>) is what joins, renewals, stats and webhooks use: booking ids are handed out
/// in order from 1, so an id at or past <c>nextBookingId()</c> does not exist, and that counter is read at
/// most once per <see cref="BookingLookupOptions.CounterInterval"/> however many made-up ids arrive. Its
/// per-id reads are limited in concurrency on their own, so a flood never queues in front of settlement.
/// Concurrent lookups of one id share one call in either lane.
/// </para>
/// </summary>
public sealed class ChainBookingDirectory : IBookingDirectory, IDisposable
{
    public static readonly TimeSpan BookingTtl = TimeSpan.FromSeconds(15);

    private const int MaxCachedBookings = 100_000;

    private readonly EscrowClient _escrow;
    private readonly TimeProvider _time;
    private readonly BookingLookupOptions _options;
    private readonly ConcurrentDictionary<BigInteger, Slot> _slots = new();
    private readonly ConcurrentDictionary<BookingId, (Booking Booking, DateTimeOffset ReadAt)> _bookings = new();
    private readonly ConcurrentDictionary<BookingId, DateTimeOffset> _missing = new();
    private readonly SingleFlight<BookingId, BookingSnapshot?> _settlementFlights = new();
    private readonly SingleFlight<BookingId, BookingSnapshot?> _requestFlights = new();
    private readonly SemaphoreSlim _requestGate;
    private readonly BookingCounter _counter;

    public ChainBookingDirectory(EscrowClient escrow, TimeProvider time, BookingLookupOptions? options = null)
    {
        _escrow = escrow;
        _time = time;
        _options = options ?? new BookingLookupOptions();
        _requestGate = new SemaphoreSlim(Math.Max(1, _options.RequestConcurrency));
        _counter = new BookingCounter(ReadCounterAsync, _options.CounterInterval);
        Requests = new RequestLane(this);
    }

    /// <summary>The lane for request traffic (see the class summary).</summary>
    public IBookingDirectory Requests { get; }

    public void Dispose() => _requestGate.Dispose();

    /// <summary>After a reorg: slots are cached for good only because they never change on one chain.</summary>
    public void Forget()
    {
        _bookings.Clear();
        _slots.Clear();
        _missing.Clear();
        _counter.Forget();
    }

    public async Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct) =>
        Cached(id) ?? await _settlementFlights.RunAsync(id, () => ReadAsync(id, gated: false)).WaitAsync(ct);

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
        var now = _time.GetUtcNow();
        var bookings = await _escrow.GetBookingsAsync(ids, ct);
        var missingSlots = bookings.OfType<Booking>().Select(b => b.SlotId).Where(s => !_slots.ContainsKey(s)).Distinct().ToList();
        var slots = await _escrow.GetSlotsAsync(missingSlots, ct);
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

    private BookingSnapshot? Cached(BookingId id) =>
        _bookings.TryGetValue(id, out var cached) && _time.GetUtcNow() - cached.ReadAt <= BookingTtl && _slots.TryGetValue(cached.Booking.SlotId, out var slot)
            ? new BookingSnapshot(slot, cached.Booking)
            : null;

    private async Task<BookingSnapshot?> RequestGetAsync(BookingId id, CancellationToken ct)
    {
        if (Cached(id) is { } cached)
        {
            return cached;
        }
        if (_missing.TryGetValue(id, out var missingAt) && _time.GetUtcNow() - missingAt <= _options.MissingTtl)
        {
            return null;
        }
        if (!await MayExistAsync(id, ct))
        {
            return null;
        }
        return await _requestFlights.RunAsync(id, () => ReadAsync(id, gated: true)).WaitAsync(ct);
    }

    /// <summary>False when the id is at or past <c>nextBookingId()</c>: no booking has it yet.</summary>
    private async Task<bool> MayExistAsync(BookingId id, CancellationToken ct)
    {
        if (_counter.Last is { } last)
        {
            if (id.Value < last.Next)
            {
                return true;
            }
            if (id.Value >= last.Next + _options.NearWindow && BookingCounter.Age(last) < _options.FarCounterAge)
            {
                return false;
            }
        }
        // Near the counter (a booking made a moment ago) or nothing read lately: a read that starts after
        // this request arrived decides, shared with every request waiting at the time.
        return id.Value < await _counter.ReadAfterNowAsync(ct);
    }

    private async Task<BigInteger> ReadCounterAsync()
    {
        await _requestGate.WaitAsync();
        try
        {
            return await _escrow.NextBookingIdAsync();
        }
        finally
        {
            _requestGate.Release();
        }
    }

    private async Task<BookingSnapshot?> ReadAsync(BookingId id, bool gated)
    {
        if (gated)
        {
            await _requestGate.WaitAsync();
        }
        try
        {
            var now = _time.GetUtcNow();
            var booking = await _escrow.GetBookingAsync(id);
            Remember(id, booking, now);
            if (booking is null)
            {
                return null;
            }
            if (!_slots.TryGetValue(booking.SlotId, out var slot))
            {
                slot = await _escrow.GetSlotAsync(booking.SlotId) ?? throw new InvalidOperationException($"booking {id} points at missing slot {booking.SlotId}");
                _slots[booking.SlotId] = slot;
            }
            return new BookingSnapshot(slot, booking);
        }
        finally
        {
            if (gated)
            {
                _requestGate.Release();
            }
        }
    }

    private void Remember(BookingId id, Booking? booking, DateTimeOffset readAt)
    {
        if (booking is null)
        {
            _bookings.TryRemove(id, out _);
            if (_missing.Count >= _options.MaxMissing)
            {
                foreach (var old in _missing.OrderBy(m => m.Value).Take(Math.Max(1, _missing.Count / 2)).ToList())
                {
                    _missing.TryRemove(old.Key, out _);
                }
            }
            _missing[id] = readAt;
            return;
        }
        _missing.TryRemove(id, out _);
        if (_bookings.Count >= MaxCachedBookings)
        {
            _bookings.Clear();
        }
        _bookings[id] = (booking, readAt);
    }

    private sealed class RequestLane(ChainBookingDirectory directory) : IBookingDirectory
    {
        public IBookingDirectory Requests => this;

        public Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct) => directory.RequestGetAsync(id, ct);
    }
}
