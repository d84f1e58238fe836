namespace SessionVoice.Core.Sessions.Settlement;

/// <summary>How soon presence may wake a booking again after a decision, in both runtimes.</summary>
public static class PresenceWakes
{
    /// <summary>Longest wait between a presence change and the decision it wakes (<see cref="GapSeconds"/>).</summary>
    public const int MaxGapSeconds = 30;

    /// <summary>
    /// How long presence leaves a booking alone after a decision that took <paramref name="deciding"/> to
    /// read and decide: at most 5 % of a core per booking, so a channel flooded with events (each
    /// decision reads them all) cannot take the service's CPU. One second for any real session (tens
    /// of events decide in well under 50 ms); at most <see cref="MaxGapSeconds"/>, far inside the
    /// policy's margin. Scheduled wake-ups (the policy's deadlines) are never delayed by it.
    /// </summary>
    public static int GapSeconds(TimeSpan deciding) =>
        (int)Math.Clamp(Math.Ceiling(deciding.TotalSeconds * 20), 1, MaxGapSeconds);
}
