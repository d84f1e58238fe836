using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Tests;

/// <summary>Presence wakes a booking for its next decision, at most once per second after the last one.</summary>
public sealed class PresenceWakeTests : IDisposable
{
    private readonly TempDatabase _temp = new();
    private readonly SqliteSettlementStore _schedule;
    private readonly SqliteStore _presence;
    private static readonly Address Host = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

    public PresenceWakeTests()
    {
        _schedule = new SqliteSettlementStore(_temp.Db);
        _presence = new SqliteStore(_temp.Db);
    }

    public void Dispose() => _temp.Dispose();

    private Task Join(BookingId id, long atMs) =>
        _presence.AppendAsync(id, Host, new PresenceEvent(Party.Host, PresenceKind.Join, atMs, PresenceSource.Claimed), atMs, default);

    [Fact]
    public async Task A_first_claim_makes_an_untracked_booking_due_at_once()
    {
        var id = BookingId.Parse("11");
        await Join(id, 1_000_500);
        Assert.Equal([id], _schedule.Due(1_000, 10));
    }

    [Fact]
    public async Task Claims_right_after_a_decision_make_it_due_the_next_second_not_again_and_again()
    {
        var id = BookingId.Parse("12");
        _schedule.Schedule(id, 5_000, "wait until 5000", 1_000); // decided at 1000: wait until 5000
        await Join(id, 1_000_200);
        await Join(id, 1_000_900);
        Assert.Empty(_schedule.Due(1_000, 10));
        Assert.Equal([id], _schedule.Due(1_001, 10));

        // Later claims bring it forward to their own second.
        _schedule.Schedule(id, 5_000, "wait until 5000", 1_001);
        await Join(id, 1_010_000);
        Assert.Empty(_schedule.Due(1_009, 10));
        Assert.Equal([id], _schedule.Due(1_010, 10));
    }

    [Fact]
    public async Task A_finished_booking_stays_finished()
    {
        var id = BookingId.Parse("13");
        _schedule.Schedule(id, null, "attested", 1_000);
        await Join(id, 1_005_000);
        Assert.Empty(_schedule.Due(10_000, 10));
    }
}
