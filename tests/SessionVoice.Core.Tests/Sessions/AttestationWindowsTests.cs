using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;
using static SessionVoice.Core.Tests.Sessions.SessionFixture;

namespace SessionVoice.Core.Tests.Sessions;

public class AttestationWindowsTests
{
    // 45 min, 10 min grace, 20 min overlap: E = S + 2700, G = S + 600, O = 1200.
    private static readonly AttestationWindows Windows = AttestationWindows.For(Booking(45, 10, 20).Slot);

    [Fact]
    public void Exposes_the_contract_times()
    {
        Assert.Equal((S, 2700L, S + 2700, S + 600, 1200L), (Windows.S, Windows.D, Windows.E, Windows.G, Windows.O));
        Assert.Equal((S + 600, S + 3300), (Windows.NoShowOpens, Windows.NoShowCloses));
        Assert.Equal((S + 1200, S + 2700 + 7200), (Windows.CompletedOpens, Windows.CompletedCloses));
    }

    [Theory]
    [InlineData(Outcome.NoShowHost, S + 599, false)] // GRACE_NOT_OVER
    [InlineData(Outcome.NoShowHost, S + 600, true)]
    [InlineData(Outcome.NoShowGuest, S + 3300, true)]
    [InlineData(Outcome.NoShowGuest, S + 3301, false)] // NO_SHOW_TOO_LATE
    [InlineData(Outcome.Completed, S + 1199, false)] // OVERLAP_NOT_MET
    [InlineData(Outcome.Completed, S + 1200, true)]
    [InlineData(Outcome.Completed, S + 9900, true)]
    [InlineData(Outcome.Completed, S + 9901, false)] // TOO_LATE
    [InlineData(Outcome.None, S + 1200, false)] // BAD_OUTCOME
    [InlineData((Outcome)4, S + 1200, false)]
    [InlineData((Outcome)5, S + 1200, false)]
    public void Accepts_exactly_the_contract_windows(Outcome outcome, long at, bool accepted) =>
        Assert.Equal(accepted, Windows.Accepts(outcome, at));

    [Fact]
    public void Grace_may_run_past_the_end()
    {
        var windows = AttestationWindows.For(Booking(30, 600, 30).Slot);
        Assert.True(windows.Accepts(Outcome.NoShowHost, S + 36000));
        Assert.False(windows.Accepts(Outcome.NoShowHost, S + 35999));
        Assert.True(windows.Accepts(Outcome.NoShowGuest, S + 37800));
        Assert.False(windows.Accepts(Outcome.NoShowGuest, S + 37801));
    }
}
