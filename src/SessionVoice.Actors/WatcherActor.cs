using Dapr.Actors;
using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Actors;

/// <summary>What the watcher actor needs: the escrow, where to start, the booking cache to drop after a reorg, the clock.</summary>
public sealed record WatcherActorServices(EscrowClient Escrow, WatcherOptions Options, TimeProvider Time, ILoggerFactory LoggerFactory, IBookingDirectory? Directory = null);

/// <summary>An unfinished booking the watcher handed over: when it may be tracked again, and when its windows close (null: not known yet).</summary>
public sealed record WatchedBookingDto(long HealAtUnix, long? WindowClosesAtUnix, long SeenAtUnix);

/// <summary>
/// The cluster's one escrow watcher (id = the escrow's lowercase address). Every replica's cron sweep asks it to
/// poll; the actor's turn serialises them, so logs are read once and each booking is handed over once, and a
/// later sweep of the same minute finds nothing new. A turn reads at most <see cref="MaxPagesPerTurn"/> pages
/// and heals at most <see cref="MaxHealsPerTurn"/> bookings, so it stays well inside the actor call timeout.
/// </summary>
/// <remarks>
/// Reminders heal: the watcher remembers the unfinished bookings it handed over and tracks each again once per
/// <see cref="HealInterval"/>; <see cref="IBookingActor.TrackAsync"/> re-arms a booking's reminder, so a reminder
/// the Scheduler dropped costs at most that long. Only this actor calls booking actors, never the reverse (no
/// call cycle, which would deadlock without reentrancy).
/// </remarks>
public sealed class WatcherActor : Actor, IWatcherActor
{
    public const int MaxPagesPerTurn = 20;
    public const int MaxHealsPerTurn = 64;

    /// <summary>Bookings remembered at most; past it the ones whose windows close first are dropped.</summary>
    public const int MaxRemembered = 10_000;

    public static readonly TimeSpan HealInterval = TimeSpan.FromMinutes(1);

    /// <summary>A booking is forgotten this long after its last window closed, finished or not (nothing can be attested then).</summary>
    public static readonly TimeSpan ForgetAfterClose = TimeSpan.FromDays(1);

    /// <summary>A booking whose windows are not known (not readable when seen) is forgotten this long after it was seen.</summary>
    public static readonly TimeSpan ForgetUnknownAfter = TimeSpan.FromDays(60);

    public const string BookingsKey = "Bookings";

    private readonly WatcherActorServices _services;
    private readonly ILogger<WatcherActor> _logger;

    public WatcherActor(ActorHost host, WatcherActorServices services, IActorStateManager? stateManager = null)
        : base(host)
    {
        _services = services;
        _logger = services.LoggerFactory.CreateLogger<WatcherActor>();
        if (stateManager is not null)
        {
            StateManager = stateManager;
        }
    }

    private long Now => _services.Time.GetUtcNow().ToUnixTimeSeconds();

    private IBookingActor Booking(BookingId id) => ProxyFactory.CreateActorProxy<IBookingActor>(new ActorId(id.ToString()), nameof(BookingActor));

    public async Task<WatchResultDto> PollAsync(int maxPages)
    {
        if (!string.Equals(Id.GetId(), _services.Escrow.Address.ToString(), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"watcher actor {Id.GetId()} does not watch this escrow");
        }
        var pages = Math.Clamp(maxPages, 1, MaxPagesPerTurn);
        using var watcher = new EscrowWatcher(
            _services.Escrow, new ActorWatcherStore(StateManager), new Handover(this), _services.Options,
            _services.LoggerFactory.CreateLogger<EscrowWatcher>(), _services.Directory);
        var watch = await watcher.PollAsync(pages, CancellationToken.None);
        var healed = await HealAsync();
        // Saved before the answer, not left to the end of the turn: the remembered bookings are what heals reminders.
        await StateManager.SaveStateAsync();
        return new WatchResultDto(watch.Pages, watch.Booked, watch.Cancelled, watch.Attested, watch.NextBlock, watch.Rewound, healed, watch.Pages < pages);
    }

    private async Task<Dictionary<string, WatchedBookingDto>> RememberedAsync() =>
        (await StateManager.TryGetStateAsync<Dictionary<string, WatchedBookingDto>>(BookingsKey)) is { HasValue: true } known ? known.Value : [];

    /// <summary>Hands the booking to its actor and remembers it until its actor says it is finished.</summary>
    private async Task TrackAsync(BookingId id)
    {
        var result = await Booking(id).TrackAsync();
        var remembered = await RememberedAsync();
        var key = id.ToString();
        if (result.Finished)
        {
            remembered.Remove(key);
        }
        else
        {
            var seen = remembered.TryGetValue(key, out var known) ? known.SeenAtUnix : Now;
            remembered[key] = new WatchedBookingDto(Now + (long)HealInterval.TotalSeconds, result.WindowClosesAtUnix, seen);
        }
        await StateManager.SetStateAsync(BookingsKey, Bounded(remembered));
    }

    /// <summary>Tracks again the remembered bookings whose time has come (the oldest first), at most <see cref="MaxHealsPerTurn"/>.</summary>
    private async Task<int> HealAsync()
    {
        var now = Now;
        var due = (await RememberedAsync()).Where(b => b.Value.HealAtUnix <= now).OrderBy(b => b.Value.HealAtUnix).Take(MaxHealsPerTurn).Select(b => b.Key).ToList();
        foreach (var key in due)
        {
            await TrackAsync(BookingId.Parse(key));
        }
        if (due.Count > 0)
        {
            _logger.LogInformation("Watcher tracked {Count} unfinished bookings again", due.Count);
        }
        return due.Count;
    }

    private Dictionary<string, WatchedBookingDto> Bounded(Dictionary<string, WatchedBookingDto> remembered)
    {
        var now = Now;
        var kept = remembered.Where(b => b.Value.WindowClosesAtUnix is { } closes
            ? closes + (long)ForgetAfterClose.TotalSeconds >= now
            : b.Value.SeenAtUnix + (long)ForgetUnknownAfter.TotalSeconds >= now);
        if (remembered.Count > MaxRemembered)
        {
            kept = kept.OrderByDescending(b => b.Value.WindowClosesAtUnix ?? long.MaxValue).Take(MaxRemembered);
        }
        return kept.ToDictionary();
    }

    /// <summary>Where the watcher hands bookings over: their actors, remembered here. A wake is a track (it decides again soon).</summary>
    private sealed class Handover(WatcherActor watcher) : IBookingTracker
    {
        public Task TrackAsync(BookingId id, CancellationToken ct) => watcher.TrackAsync(id);

        public Task WakeAsync(BookingId id, CancellationToken ct) => watcher.TrackAsync(id);
    }
}
