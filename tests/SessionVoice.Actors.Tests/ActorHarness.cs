using Dapr.Actors;
using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using SessionVoice.Core.Sessions;
using SessionVoice.Testing;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Actors.Tests;

/// <summary>Calls the oracle actor directly, as the actor proxy would through the sidecar.</summary>
internal sealed class DirectOracleSender(OracleActor oracle) : IAttestationSender
{
    public async Task<SubmissionResult> SubmitAsync(AttestationRequest request, CancellationToken ct) =>
        (await oracle.SubmitAsync(request.ToDto())).ToResult();

    public async Task<Preflight> PreflightAsync(AttestationRequest request, CancellationToken ct) =>
        (await oracle.PreflightAsync(request.ToDto())).ToPreflight();
}

/// <summary>
/// Real actors (SDK test host) over a real anvil + escrow, with the service clock and anvil's moved
/// together. The test plays the sidecar: it fires the Decide reminder when its time has come.
/// </summary>
internal sealed class ActorHarness : IAsyncDisposable
{
    private ActorHarness(EscrowChain chain, TestBooking booking, Func<IBookingDirectory, IBookingDirectory>? directory = null)
    {
        Chain = chain;
        Booking = booking;
        var oracleSigner = AnvilAccounts.Signer(AnvilAccounts.Oracle);
        var oracleHost = ActorHost.CreateForTest<OracleActor>(new ActorTestOptions { ActorId = new ActorId(oracleSigner.Address.ToString()) });
        Oracle = new OracleActor(
            oracleHost,
            new OracleActorServices(chain.Escrow, oracleSigner, new OracleKeyLane(oracleSigner.Address), new SubmitterOptions(6343), Time, NullLoggerFactory.Instance),
            new InMemoryActorStateManager(OracleStore));
        Services = new BookingActorServices(
            directory is null ? new ChainBookingDirectory(chain.Escrow, Time) : directory(new ChainBookingDirectory(chain.Escrow, Time)),
            new ChainInfo(6343, chain.EscrowAddress),
            new SettlementOptions(PolicyParameters.Default, ObservedOnly: false),
            new SettlementCounters(),
            Time,
            NullLoggerFactory.Instance,
            () => new DirectOracleSender(Oracle));
        Actor = Activate();
    }

    public EscrowChain Chain { get; }

    public TestBooking Booking { get; }

    public ShiftedTime Time { get; } = new();

    public Dictionary<string, string> BookingStore { get; } = [];

    public Dictionary<string, string> OracleStore { get; } = [];

    public RecordingTimerManager Reminders { get; } = new();

    public OracleActor Oracle { get; }

    public BookingActorServices Services { get; }

    public BookingActor Actor { get; private set; }

    public long Start => Booking.StartTime;

    public static async Task<ActorHarness> StartAsync(uint durationMins = 10, uint graceMins = 2, uint minOverlapMins = 3, Func<IBookingDirectory, IBookingDirectory>? directory = null)
    {
        var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 120, durationMins, graceMins, minOverlapMins);
        return new ActorHarness(chain, booking, directory);
    }

    /// <summary>A fresh activation over the same persisted state: what a restart or rebalancing gives.</summary>
    public BookingActor Activate()
    {
        var host = ActorHost.CreateForTest<BookingActor>(new ActorTestOptions { ActorId = new ActorId(Booking.Id.ToString()), TimerManager = Reminders });
        Actor = new BookingActor(host, Services, new InMemoryActorStateManager(BookingStore));
        return Actor;
    }

    public Task ClaimAsync(Party party, PresenceKind kind) =>
        Actor.RecordClaimAsync(new PresenceEvent(party, kind, Time.GetUtcNow().ToUnixTimeMilliseconds(), PresenceSource.Claimed).ToDto());

    /// <summary>The sidecar's part: fire the Decide reminder if one is registered and its time has come.</summary>
    public async Task<bool> FireDueReminderAsync()
    {
        if (!Reminders.Reminders.TryGetValue(BookingActor.DecideReminder, out var reminder))
        {
            return false;
        }
        var state = await Actor.GetStateAsync();
        if (state.DueAtUnix is { } due && due > Time.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }
        await Actor.ReceiveReminderAsync(reminder.Name, reminder.State, reminder.DueTime, reminder.Period);
        return true;
    }

    /// <summary>
    /// After a decision: the attestation's checks, each a reminder a second or two later, until the booking has no
    /// reminder left (final, settled or missed). Every step of the clock mines a block, so confirmations accrue.
    /// </summary>
    public async Task PlayChecksAsync()
    {
        for (var i = 0; i < 30 && (await Actor.GetStateAsync()).DueAtUnix is { } due; i++)
        {
            await Time.AdvanceToAsync(Chain.Anvil, Math.Max(due, Time.GetUtcNow().ToUnixTimeSeconds() + 1));
            while (await FireDueReminderAsync())
            {
            }
        }
    }

    /// <summary>Fires reminders and follows them in time until <paramref name="unixSeconds"/>, as daprd would.</summary>
    public async Task PlayUntilAsync(long unixSeconds)
    {
        for (var i = 0; i < 50; i++)
        {
            while (await FireDueReminderAsync())
            {
            }
            var due = (await Actor.GetStateAsync()).DueAtUnix;
            if (due is null || due > unixSeconds)
            {
                break;
            }
            await Time.AdvanceToAsync(Chain.Anvil, due.Value);
        }
        await Time.AdvanceToAsync(Chain.Anvil, unixSeconds);
        while (await FireDueReminderAsync())
        {
        }
    }

    public async ValueTask DisposeAsync() => await Chain.DisposeAsync();
}
