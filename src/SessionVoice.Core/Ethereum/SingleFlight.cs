using System.Collections.Concurrent;

namespace SessionVoice.Core.Ethereum;

/// <summary>
/// Concurrent callers asking for the same key share one read: a thousand lookups of one id in the same
/// moment cost one RPC call. The read is not bound to one caller's token (each caller waits with its own);
/// once it ends, the next caller starts a new one.
/// </summary>
public sealed class SingleFlight<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _flights = new();

    /// <summary>Reads in flight now (for tests and bounds).</summary>
    public int Count => _flights.Count;

    public Task<TValue> RunAsync(TKey key, Func<Task<TValue>> read)
    {
        var flight = _flights.GetOrAdd(key, static (_, read) => new Lazy<Task<TValue>>(read), read);
        var task = flight.Value;
        if (task.IsCompleted)
        {
            _flights.TryRemove(new KeyValuePair<TKey, Lazy<Task<TValue>>>(key, flight));
        }
        else
        {
            _ = task.ContinueWith(
                static (_, state) =>
                {
                    var (flights, key, flight) = ((ConcurrentDictionary<TKey, Lazy<Task<TValue>>>, TKey, Lazy<Task<TValue>>))state!;
                    flights.TryRemove(new KeyValuePair<TKey, Lazy<Task<TValue>>>(key, flight));
                },
                (_flights, key, flight), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return task;
    }
}
