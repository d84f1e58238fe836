
namespace SessionVoice.Testing;

/// <summary>Wall-clock time plus an offset the test moves, in step with anvil's clock; its timestamps (elapsed-time measures) move with it.</summary>
public sealed class ShiftedTime : TimeProvider
{
    private long _offsetMs;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddMilliseconds(Interlocked.Read(ref _offsetMs));

    public override long GetTimestamp() => base.GetTimestamp() + Interlocked.Read(ref _offsetMs) * TimestampFrequency / 1000;

    public void AdvanceMs(long milliseconds) => Interlocked.Add(ref _offsetMs, milliseconds);

    /// <summary>Moves this clock and anvil's to the very start of second <paramref name="unixSeconds"/> (never backwards).</summary>
    public async Task AdvanceToAsync(Anvil anvil, long unixSeconds)
    {
        var deltaMs = unixSeconds * 1000 - GetUtcNow().ToUnixTimeMilliseconds();
        if (deltaMs <= 0)
        {
            return;
        }
        await anvil.IncreaseTimeAsync(deltaMs / 1000);
        AdvanceMs(deltaMs);
        await anvil.MineAsync();
    }
}
