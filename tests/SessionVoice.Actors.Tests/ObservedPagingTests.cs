using System.Text.Json;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Actors.Tests;

/// <summary>Webhook events in a booking actor's state: bounded pages and one marker per key, so an ingest costs the same at any count.</summary>
public class ObservedPagingTests
{
    private static readonly BookingId Booking = BookingId.Parse("7");

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static ObservedEvent Event(int i) => new($"notice-{i}", (uint)(1000 + (i % 2)), i, 1_800_000_000 + i, i % 4 < 2, null);

    /// <summary>Bytes written to the store by one ingest: every value that is new or changed.</summary>
    private static async Task<long> WrittenAsync(Dictionary<string, string> store, ObservedEvent e, bool expectStored = true)
    {
        var before = new Dictionary<string, string>(store);
        var stored = await new ActorBookingStore(new InMemoryActorStateManager(store), Booking).TryAppendObservedAsync(e, default);
        Assert.Equal(expectStored, stored);
        return store.Where(kv => !before.TryGetValue(kv.Key, out var old) || old != kv.Value).Sum(kv => (long)kv.Key.Length + kv.Value.Length);
    }

    [Fact]
    public async Task An_ingest_writes_the_same_few_hundred_bytes_whether_the_booking_has_ten_events_or_five_thousand()
    {
        var store = new Dictionary<string, string>();
        var written = new List<long>();
        for (var i = 0; i < 5_000; i++)
        {
            written.Add(await WrittenAsync(store, Event(i)));
        }

        // A page holds at most 256 events; what one ingest writes is bounded by a page, not by the history.
        var page = ActorBookingStore.ObservedPageSize;
        Assert.True(written.Max() < 2 * written.Skip(page - 10).Take(10).Max(), $"largest write {written.Max()} bytes");
        Assert.True(written.Skip(4_990).Max() <= written.Skip(page - 10).Take(10).Max() + 64, $"{written.Skip(4_990).Max()} bytes at 5 000 events");
        Assert.All(store.Where(kv => kv.Key.StartsWith("Observed:page:", StringComparison.Ordinal)),
            kv => Assert.InRange(JsonDocument.Parse(kv.Value).RootElement.GetArrayLength(), 1, page));

        var all = await new ActorBookingStore(new InMemoryActorStateManager(store), Booking).ObservedEventsAsync(default);
        Assert.Equal(Enumerable.Range(0, 5_000).Select(i => $"notice-{i}"), all.Select(e => e.NoticeId));
        Assert.Equal(0, await WrittenAsync(store, Event(1234), expectStored: false));
        Assert.Equal(0, await WrittenAsync(store, Event(1234) with { NoticeId = "another notice, same uid and clientSeq" }, expectStored: false));
        Assert.Equal(0, await WrittenAsync(store, Event(99_999) with { NoticeId = "notice-17" }, expectStored: false));
    }

    [Fact]
    public async Task Events_stored_in_one_list_before_paging_are_kept_and_still_deduplicate()
    {
        var store = new Dictionary<string, string>
        {
            [ActorBookingStore.ObservedKey] = JsonSerializer.Serialize(new List<ObservedEvent> { Event(0), Event(1) }, Web),
        };
        await WrittenAsync(store, Event(1), expectStored: false);
        await WrittenAsync(store, Event(2));

        Assert.False(store.ContainsKey(ActorBookingStore.ObservedKey));
        var all = await new ActorBookingStore(new InMemoryActorStateManager(store), Booking).ObservedEventsAsync(default);
        Assert.Equal(["notice-0", "notice-1", "notice-2"], all.Select(e => e.NoticeId));
    }

    [Fact]
    public async Task Notice_markers_carry_the_retention_as_their_ttl_and_a_resend_after_they_expired_is_still_not_stored()
    {
        var store = new Dictionary<string, string>();
        var ttls = new Dictionary<string, TimeSpan>();
        var retention = TimeSpan.FromHours(72);
        Task<bool> IngestAsync(ObservedEvent e) => new ActorBookingStore(new InMemoryActorStateManager(store, ttls), Booking, retention).TryAppendObservedAsync(e, default);

        Assert.True(await IngestAsync(Event(0)));
        Assert.True(await IngestAsync(Event(1)));
        // Only the notice markers expire: the events, the count and the (uid, clientSeq) markers are the booking's record.
        Assert.Equal(["Observed:notice:notice-0", "Observed:notice:notice-1"], ttls.Keys.Order(StringComparer.Ordinal));
        Assert.All(ttls.Values, ttl => Assert.Equal(retention, ttl));
        Assert.Contains("Observed:seq:1000:0", store.Keys);

        // The state store drops the expired markers; Agora resends the very same notices.
        store.Remove("Observed:notice:notice-0");
        store.Remove("Observed:notice:notice-1");
        Assert.False(await IngestAsync(Event(0)));
        Assert.False(await IngestAsync(Event(1)));
        var all = await new ActorBookingStore(new InMemoryActorStateManager(store), Booking).ObservedEventsAsync(default);
        Assert.Equal(["notice-0", "notice-1"], all.Select(e => e.NoticeId));

        // Without a retention (an actor built before it was configured) the markers are kept forever, as before.
        var plain = new Dictionary<string, TimeSpan>();
        Assert.True(await new ActorBookingStore(new InMemoryActorStateManager(store, plain), Booking).TryAppendObservedAsync(Event(2), default));
        Assert.Empty(plain);
    }
}
