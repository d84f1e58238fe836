using Dapr.Actors;
using Dapr.Actors.Client;
using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Watching;

namespace SessionVoice.Actors.Tests;

/// <summary>
/// The cluster's one escrow watcher on the SDK's actor test host over a real anvil escrow. The booking actors it
/// hands bookings to are recorded behind the proxy factory (the sidecar's place), so a test sees every call.
/// </summary>
public class WatcherActorTests
{
    /// <summary>Booking actors as the watcher reaches them through its proxy factory: every TrackAsync is counted.</summary>
    private sealed class RecordedBookings : IActorProxyFactory
    {
        public Dictionary<string, int> Tracked { get; } = [];

        public HashSet<string> Finished { get; } = [];

        public Func<string, long?> WindowCloses { get; set; } = _ => null;

        public TProxy CreateActorProxy<TProxy>(ActorId actorId, string actorType, ActorProxyOptions? options = null)
            where TProxy : IActor
        {
            Assert.Equal(nameof(BookingActor), actorType);
            return (TProxy)(IBookingActor)new Recorded(this, actorId.GetId());
        }

        public object CreateActorProxy(ActorId actorId, Type actorInterfaceType, string actorType, ActorProxyOptions? options = null) =>
            throw new NotSupportedException();

        public ActorProxy Create(ActorId actorId, string actorType, ActorProxyOptions? options = null) => throw new NotSupportedException();

        private sealed class Recorded(RecordedBookings owner, string id) : IBookingActor
        {
            public Task<TrackResultDto> TrackAsync()
            {
                owner.Tracked[id] = owner.Tracked.GetValueOrDefault(id) + 1;
                return Task.FromResult(new TrackResultDto(owner.Finished.Contains(id), owner.WindowCloses(id)));
            }

            public Task<bool> RecordClaimAsync(PresenceDto claim) => throw new NotSupportedException();

            public Task<bool> RecordObservedAsync(ObservedEvent observed) => throw new NotSupportedException();

            public Task<BookingStateDto> GetStateAsync() => throw new NotSupportedException();

            public Task<AttestResultDto> AttestAsync(AttestRequestDto request) => throw new NotSupportedException();
        }
    }

    private sealed class Watcher(EscrowChain chain, string? actorId = null)
    {
        public Dictionary<string, string> Store { get; } = [];

        public RecordedBookings Bookings { get; } = new();

        public ShiftedTime Time { get; } = new();

        /// <summary>A fresh activation over the same state: another replica's turn, or the same one after a restart.</summary>
        public WatcherActor Activate() => new(
            ActorHost.CreateForTest<WatcherActor>(new ActorTestOptions { ActorId = new ActorId(actorId ?? chain.EscrowAddress.ToString()), ProxyFactory = Bookings }),
            new WatcherActorServices(chain.Escrow, new WatcherOptions(chain.DeploymentBlock), Time, NullLoggerFactory.Instance),
            new InMemoryActorStateManager(Store));

        public async Task<Dictionary<string, WatchedBookingDto>> RememberedAsync() =>
            (await new InMemoryActorStateManager(Store).TryGetStateAsync<Dictionary<string, WatchedBookingDto>>(WatcherActor.BookingsKey)) is { HasValue: true } known
                ? known.Value
                : [];
    }

    [Fact]
    public async Task Each_booked_booking_is_handed_to_its_actor_once_and_a_later_poll_from_another_activation_reads_nothing_new()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booked = await chain.CreateBookingsAsync(3, await chain.NowAsync() + 600);
        var watcher = new Watcher(chain);

        var first = await watcher.Activate().PollAsync(WatcherActor.MaxPagesPerTurn);
        Assert.Equal(3, first.Booked);
        Assert.True(first.CaughtUp);
        Assert.Equal(booked.Select(b => b.Id.ToString()).Order(), watcher.Bookings.Tracked.Keys.Order());
        Assert.All(watcher.Bookings.Tracked.Values, n => Assert.Equal(1, n));

        var second = await watcher.Activate().PollAsync(WatcherActor.MaxPagesPerTurn);
        Assert.Equal(0, second.Booked);
        Assert.Equal(0, second.Healed);
        Assert.True(second.NextBlock >= first.NextBlock);
        Assert.All(watcher.Bookings.Tracked.Values, n => Assert.Equal(1, n));
        Assert.Equal(3, (await watcher.RememberedAsync()).Count);
    }

    [Fact]
    public async Task Unfinished_bookings_are_tracked_again_once_a_heal_interval_passed_and_finished_ones_are_forgotten()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booked = await chain.CreateBookingsAsync(3, await chain.NowAsync() + 600);
        var watcher = new Watcher(chain);
        await watcher.Activate().PollAsync(WatcherActor.MaxPagesPerTurn);

        watcher.Time.AdvanceMs((long)WatcherActor.HealInterval.TotalMilliseconds - 5_000);
        Assert.Equal(0, (await watcher.Activate().PollAsync(1)).Healed);

        var done = booked[0].Id.ToString();
        watcher.Bookings.Finished.Add(done);
        watcher.Time.AdvanceMs(5_000);
        Assert.Equal(3, (await watcher.Activate().PollAsync(1)).Healed);
        Assert.All(watcher.Bookings.Tracked.Values, n => Assert.Equal(2, n));
        Assert.DoesNotContain(done, (await watcher.RememberedAsync()).Keys);

        watcher.Time.AdvanceMs((long)WatcherActor.HealInterval.TotalMilliseconds);
        Assert.Equal(2, (await watcher.Activate().PollAsync(1)).Healed);
        Assert.Equal(2, watcher.Bookings.Tracked[done]);
        Assert.All(booked.Skip(1), b => Assert.Equal(3, watcher.Bookings.Tracked[b.Id.ToString()]));
    }

    [Fact]
    public async Task A_booking_is_forgotten_a_day_after_its_windows_closed_even_if_its_actor_never_finished()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booked = await chain.CreateBookingsAsync(2, await chain.NowAsync() + 600);
        var watcher = new Watcher(chain);
        var closes = watcher.Time.GetUtcNow().ToUnixTimeSeconds() + 3_600;
        var stale = booked[0].Id.ToString();
        watcher.Bookings.WindowCloses = id => id == stale ? closes : closes + 7 * 86_400;
        await watcher.Activate().PollAsync(WatcherActor.MaxPagesPerTurn);
        Assert.Equal(closes, (await watcher.RememberedAsync())[stale].WindowClosesAtUnix);

        watcher.Time.AdvanceMs((3_600 + (long)WatcherActor.ForgetAfterClose.TotalSeconds - 120) * 1000);
        await watcher.Activate().PollAsync(1);
        Assert.Contains(stale, (await watcher.RememberedAsync()).Keys);

        watcher.Time.AdvanceMs(240_000);
        await watcher.Activate().PollAsync(1);
        Assert.Equal([booked[1].Id.ToString()], (await watcher.RememberedAsync()).Keys);
    }

    [Fact]
    public async Task At_most_a_bounded_number_of_bookings_is_healed_per_turn_the_longest_waiting_first()
    {
        await using var chain = await EscrowChain.StartAsync();
        var watcher = new Watcher(chain);
        var now = watcher.Time.GetUtcNow().ToUnixTimeSeconds();
        var state = new InMemoryActorStateManager(watcher.Store);
        var remembered = Enumerable.Range(1, WatcherActor.MaxHealsPerTurn + 6)
            .ToDictionary(i => i.ToString(), i => new WatchedBookingDto(now - 1_000 + i, now + 86_400, now - 2_000));
        await state.SetStateAsync(WatcherActor.BookingsKey, remembered);
        await state.SaveStateAsync();

        Assert.Equal(WatcherActor.MaxHealsPerTurn, (await watcher.Activate().PollAsync(1)).Healed);
        Assert.Equal(Enumerable.Range(1, WatcherActor.MaxHealsPerTurn).Select(i => i.ToString()).Order(), watcher.Bookings.Tracked.Keys.Order());

        Assert.Equal(6, (await watcher.Activate().PollAsync(1)).Healed);
        Assert.Equal(WatcherActor.MaxHealsPerTurn + 6, watcher.Bookings.Tracked.Count);
        Assert.All(watcher.Bookings.Tracked.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task A_watcher_activated_for_another_escrow_refuses_to_poll()
    {
        await using var chain = await EscrowChain.StartAsync();
        var watcher = new Watcher(chain, actorId: Address.Parse("0x00000000000000000000000000000000000000aa").ToString());
        await Assert.ThrowsAsync<InvalidOperationException>(() => watcher.Activate().PollAsync(1));
        Assert.Empty(watcher.Store);
    }

    [Fact]
    public async Task The_block_memory_keeps_the_newest_window_and_is_saved_with_the_cursor()
    {
        Dictionary<string, string> store = [];
        var blocks = new ActorWatcherStore(new InMemoryActorStateManager(store), window: 4);
        static Hash32 H(ulong n) => Hash32.Parse("0x" + n.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));
        for (ulong n = 10; n < 16; n++)
        {
            await blocks.RecordBlockAsync(n, H(n), default);
        }
        Assert.Empty(store);
        await blocks.SetCursorAsync(16, default);

        var reread = new ActorWatcherStore(new InMemoryActorStateManager(store), window: 4);
        Assert.Equal(16UL, await reread.CursorAsync(default));
        Assert.Equal([15UL, 14, 13, 12], (await reread.BlocksBelowAsync(16, default)).Select(b => b.Number));
        Assert.Null(await reread.BlockAsync(11, default));
        Assert.Equal(H(13), await reread.BlockAsync(13, default));

        // A reorg at 14: the hashes from there on go, and a block recorded again replaces the ones at and above it.
        await reread.DeleteBlocksFromAsync(14, default);
        await reread.RecordBlockAsync(13, H(99), default);
        await reread.SetCursorAsync(14, default);
        var after = new ActorWatcherStore(new InMemoryActorStateManager(store), window: 4);
        Assert.Equal([(13UL, H(99)), (12UL, H(12))], await after.BlocksBelowAsync(20, default));
    }
}
