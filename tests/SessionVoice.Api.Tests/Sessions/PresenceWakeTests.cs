using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests.Sessions;

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

    private Task Join(BookingId id, long atMs) => Join(_presence, id, atMs);

    /// <summary>The host's join claim at <paramref name="atMs"/>, recorded as it arrives.</summary>
    internal static Task Join(SqliteStore presence, BookingId id, long atMs) =>
        presence.AppendAsync(id, Host, new PresenceEvent(Party.Host, PresenceKind.Join, atMs, PresenceSource.Claimed), atMs, default);

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

/// <summary>A booking whose decisions are costly is woken by presence less often; its deadlines are kept.</summary>
public sealed class WakeGapTests : IDisposable
{
    private readonly TempDatabase _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Task Join(SqliteStore presence, BookingId id, long atMs) => PresenceWakeTests.Join(presence, id, atMs);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(50, 1)]
    [InlineData(51, 2)]
    [InlineData(300, 6)]
    [InlineData(1_499, 30)]
    [InlineData(60_000, 30)]
    public void The_gap_keeps_a_booking_under_5_percent_of_a_core(int decidingMs, int gapSeconds) =>
        Assert.Equal(gapSeconds, PresenceWakes.GapSeconds(TimeSpan.FromMilliseconds(decidingMs)));

    [Fact]
    public async Task Presence_wakes_a_costly_booking_a_gap_after_its_decision_but_never_after_its_deadline()
    {
        var schedule = new SqliteSettlementStore(_temp.Db);
        var presence = new SqliteStore(_temp.Db);
        var id = BookingId.Parse("21");
        schedule.Schedule(id, 5_000, "wait until 5000", 1_000);
        schedule.SetWakeGap(id, 6);
        await Join(presence, id, 1_001_000);
        Assert.Empty(schedule.Due(1_005, 10));
        Assert.Equal([id], schedule.Due(1_006, 10));

        // A deadline the policy set before the gap ends still comes first.
        schedule.Schedule(id, 2_003, "wait until 2003", 2_000);
        await Join(presence, id, 2_001_000);
        Assert.Empty(schedule.Due(2_002, 10));
        Assert.Equal([id], schedule.Due(2_003, 10));

        // Back to one second once it is cheap again.
        schedule.Schedule(id, 5_000, "wait until 5000", 3_000);
        schedule.SetWakeGap(id, 1);
        await Join(presence, id, 3_000_500);
        Assert.Equal([id], schedule.Due(3_001, 10));
    }

    [Fact]
    public async Task Gaps_are_measured_again_by_each_process()
    {
        var id = BookingId.Parse("22");
        var first = new SqliteSettlementStore(_temp.Db);
        first.Schedule(id, 5_000, "wait until 5000", 1_000);
        first.SetWakeGap(id, 30);

        var reopened = new SqliteSettlementStore(_temp.Db);
        await Join(new SqliteStore(_temp.Db), id, 1_000_100);
        Assert.Equal([id], reopened.Due(1_001, 10));
    }

    [Fact]
    public async Task A_schedule_written_before_wake_gaps_existed_gets_the_column()
    {
        using (var connection = _temp.Db.Open())
        {
            SqliteDatabase.Execute(connection, """
                CREATE TABLE tracked (
                    booking_id TEXT PRIMARY KEY, due_at INTEGER NULL, last_decision TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO tracked VALUES ('23', 5000, 'wait until 5000', 1000);
                """);
        }
        var schedule = new SqliteSettlementStore(_temp.Db);
        var id = BookingId.Parse("23");
        await Join(new SqliteStore(_temp.Db), id, 1_000_100);
        Assert.Equal([id], schedule.Due(1_001, 10));
        schedule.SetWakeGap(id, 4);
        schedule.Schedule(id, 5_000, "wait until 5000", 2_000);
        await Join(new SqliteStore(_temp.Db), id, 2_000_100);
        Assert.Empty(schedule.Due(2_003, 10));
        Assert.Equal([id], schedule.Due(2_004, 10));
    }
}
