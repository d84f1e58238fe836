namespace SessionVoice.Api.Sessions;

/// <summary>One async lock per key, released when nobody holds or waits for it: turn-based, like an actor.</summary>
public sealed class KeyedLock<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, (SemaphoreSlim Gate, int Users)> _locks = [];

    public async Task<IDisposable> AcquireAsync(TKey key, CancellationToken ct)
    {
        SemaphoreSlim gate;
        lock (_locks)
        {
            var entry = _locks.TryGetValue(key, out var existing) ? existing : (Gate: new SemaphoreSlim(1, 1), Users: 0);
            gate = entry.Gate;
            _locks[key] = (gate, entry.Users + 1);
        }
        try
        {
            await gate.WaitAsync(ct);
        }
        catch
        {
            Release(key, held: false);
            throw;
        }
        return new Releaser(this, key);
    }

    private void Release(TKey key, bool held)
    {
        lock (_locks)
        {
            var (gate, users) = _locks[key];
            if (held)
            {
                gate.Release();
            }
            if (users == 1)
            {
                _locks.Remove(key);
                gate.Dispose();
            }
            else
            {
                _locks[key] = (gate, users - 1);
            }
        }
    }

    private sealed class Releaser(KeyedLock<TKey> owner, TKey key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(key, held: true);
            }
        }
    }
}
