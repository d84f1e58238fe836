using Nito.AsyncEx;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// One async reader/writer lock per key (Nito.AsyncEx's <see cref="AsyncReaderWriterLock"/>),
/// forgotten when nobody holds or waits for it. Exclusive holders run one at a time, like an actor's
/// turns; shared holders (appending a presence claim) run together but never while an exclusive
/// holder runs. A waiting exclusive holder stops later shared ones from overtaking it, so a stream
/// of joins cannot starve a decision.
/// </summary>
public sealed class KeyedLock<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = [];

    /// <summary>The key's turn alone.</summary>
    public Task<IDisposable> AcquireAsync(TKey key, CancellationToken ct) => AcquireAsync(key, exclusive: true, ct);

    /// <summary>A turn shared with other shared holders of the key.</summary>
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

    /// <summary>Keys with a holder or a waiter (for tests: entries are forgotten when unused).</summary>
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

    private sealed class Releaser(KeyedLock<TKey> owner, TKey key, Entry entry, IDisposable held) : IDisposable
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
