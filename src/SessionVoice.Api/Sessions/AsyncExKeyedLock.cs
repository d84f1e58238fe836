using Nito.AsyncEx;

namespace SessionVoice.Api.Sessions;

/// <summary>
/// KeyedLock's contract on Nito.AsyncEx's AsyncReaderWriterLock: one lock per key, reference
/// counted and forgotten when nobody holds or waits for it (measurement candidate).
/// </summary>
internal sealed class AsyncExKeyedLock<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = [];

    public Task<IDisposable> AcquireAsync(TKey key, CancellationToken ct) => AcquireAsync(key, exclusive: true, ct);

    public Task<IDisposable> AcquireSharedAsync(TKey key, CancellationToken ct) => AcquireAsync(key, exclusive: false, ct);

    private async Task<IDisposable> AcquireAsync(TKey key, bool exclusive, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                _entries[key] = entry = new Entry();
            }
            entry.Users++;
        }
        try
        {
            var held = exclusive ? await entry.Lock.WriterLockAsync(ct) : await entry.Lock.ReaderLockAsync(ct);
            return new Releaser(this, key, entry, held);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }
    }

    private void Leave(TKey key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
            }
        }
    }

    internal int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    private sealed class Entry
    {
        public readonly AsyncReaderWriterLock Lock = new();
        public int Users;
    }

    private sealed class Releaser(AsyncExKeyedLock<TKey> owner, TKey key, Entry entry, IDisposable held) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                held.Dispose();
                owner.Leave(key, entry);
            }
        }
    }
}
