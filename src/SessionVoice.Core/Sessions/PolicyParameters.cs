
namespace SessionVoice.Core.Sessions;

/// <summary>
/// The tunable parts of <see cref="OutcomePolicy"/> (escrow-and-attestation.md, "The decision"):
/// <paramref name="Settle"/> is how long to wait for late webhooks before trusting a time,
/// <paramref name="Margin"/> the time kept in hand to get a transaction mined before a window closes,
/// <paramref name="Early"/> how long before the start presence already counts.
/// </summary>
public sealed record PolicyParameters(TimeSpan Settle, TimeSpan Margin, TimeSpan Early)
{
    public static PolicyParameters Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(300));

    private readonly TimeSpan _settle = NotNegative(Settle, nameof(Settle));
    private readonly TimeSpan _margin = NotNegative(Margin, nameof(Margin));
    private readonly TimeSpan _early = NotNegative(Early, nameof(Early));

    // A negative settle would trust times that have not happened yet; a negative margin would aim past a window's end.
    public TimeSpan Settle { get => _settle; init => _settle = NotNegative(value, nameof(Settle)); }

    public TimeSpan Margin { get => _margin; init => _margin = NotNegative(value, nameof(Margin)); }

    public TimeSpan Early { get => _early; init => _early = NotNegative(value, nameof(Early)); }

    /// <summary>
    /// Settle in whole seconds, capped at D/4 (spec: "so short sessions still have a reachable no-show
    /// window"). Rounded up, because the contract and every rule boundary count whole seconds and a
    /// fraction of settle must not shorten the wait it stands for.
    /// </summary>
    internal long SettleSecondsFor(long durationSeconds) => Math.Min(CeilingSeconds(Settle), durationSeconds / 4);

    /// <summary>Margin in whole seconds, capped at D/4 (spec); rounded up so no less than the configured time is kept in hand.</summary>
    internal long MarginSecondsFor(long durationSeconds) => Math.Min(CeilingSeconds(Margin), durationSeconds / 4);

    /// <summary>Early only clips presence, which is counted in milliseconds, so it needs no rounding to seconds.</summary>
    internal long EarlyMs => Early.Ticks / TimeSpan.TicksPerMillisecond;

    private static long CeilingSeconds(TimeSpan span) => (span.Ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;

    private static TimeSpan NotNegative(TimeSpan value, string name) =>
        value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, "policy times cannot be negative");
}
