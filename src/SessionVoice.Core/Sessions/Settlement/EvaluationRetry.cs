namespace SessionVoice.Core.Sessions.Settlement;

/// <summary>
/// How soon a booking whose evaluation failed is tried again, in both runtimes (the standalone loop, the booking
/// actor's reminder). Soon, because a booking is decided as of the time it was due whenever its evaluation
/// succeeds (<see cref="BookingSettlement"/>): what a retry must not do is wait past the contract's window.
/// </summary>
public static class EvaluationRetry
{
    /// <summary>Seconds after <paramref name="failures"/> failures in a row: 0 (at once), 1, 2, 4, then every 5.</summary>
    public static long DelaySeconds(int failures) => failures <= 1 ? 0 : Math.Min(5, 1L << Math.Min(failures - 2, 3));
}
