namespace SessionVoice.Core.Ethereum;

/// <summary>
/// A value read from the node at most once per <c>maxAge</c>, shared by every caller of that time: a burst of
/// thousands of checks or late decisions costs one call, not one each. A failed read is not kept. Ages are
/// measured on <paramref name="time"/>'s timestamps (the system's when none is given).
/// </summary>
public sealed class SharedRead<T>(Func<Task<T>> read, TimeSpan maxAge, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private readonly Lock _gate = new();
    private (Task<T> Read, long At)? _last;

    public Task<T> GetAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_last is not { } last || last.Read.IsFaulted || last.Read.IsCanceled || _time.GetElapsedTime(last.At, now) > maxAge)
            {
                // Not bound to one caller's token: every caller of this interval shares the read.
                _last = (read(), now);
            }
            return _last.Value.Read.WaitAsync(ct);
        }
    }
}
