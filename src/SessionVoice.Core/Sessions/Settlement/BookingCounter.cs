using System.Diagnostics;
using System.Numerics;

namespace SessionVoice.Core.Sessions.Settlement;

/// <summary>
/// <c>nextBookingId()</c> as the request lane sees it: read at most once per interval, and a caller that
/// needs a value no older than its own arrival gets the next read that starts after it (waiting for the
/// interval if need be) — never one per caller.
/// </summary>
internal sealed class BookingCounter(Func<Task<BigInteger>> read, TimeSpan interval)
{
    internal sealed record Reading(BigInteger Next, long ReadAt);

    private readonly Lock _gate = new();
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
    private (Task<BigInteger> Read, long StartsAt)? _scheduled;
    private volatile Reading? _last;

    public Reading? Last => _last;

    public static TimeSpan Age(Reading reading) => Stopwatch.GetElapsedTime(reading.ReadAt);

    public void Forget()
    {
        lock (_gate)
        {
            _last = null;
            _scheduled = null;
        }
    }

    public Task<BigInteger> ReadAfterNowAsync(CancellationToken ct)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_scheduled is { } scheduled && scheduled.StartsAt >= now)
            {
                return scheduled.Read.WaitAsync(ct);
            }
            var startsAt = _scheduled is { } previous ? Math.Max(now, previous.StartsAt + _intervalTicks) : now;
            var next = RunAsync(startsAt - now);
            _scheduled = (next, startsAt);
            return next.WaitAsync(ct);
        }
    }

    private async Task<BigInteger> RunAsync(long delayTicks)
    {
        if (delayTicks > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)delayTicks / Stopwatch.Frequency)).ConfigureAwait(false);
        }
        var value = await read().ConfigureAwait(false);
        _last = new Reading(value, Stopwatch.GetTimestamp());
        return value;
    }
}
