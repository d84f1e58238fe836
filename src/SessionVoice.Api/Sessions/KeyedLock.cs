namespace SessionVoice.Api.Sessions;

/// <summary>
/// One async reader/writer lock per key, forgotten when nobody holds or waits for it. Exclusive
/// holders run one at a time, like an actor's turns; shared holders (appending a presence claim)
/// run together but never while an exclusive holder runs. Waiters are served in arrival order and
/// a waiting exclusive holder stops later shared ones from overtaking it, so a stream of joins
/// cannot starve a decision.
/// </summary>
public sealed class KeyedLock<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = [];

    // TEMPORARY A/B switch for bench/load.sh (SV_KEYEDLOCK=asyncex): removed once decided.
    private static readonly bool UseAsyncEx = Environment.GetEnvironmentVariable("SV_KEYEDLOCK") == "asyncex";
    private readonly AsyncExKeyedLock<TKey>? _alt = UseAsyncEx ? new() : null;

    /// <summary>The key's turn alone.</summary>
    public Task<IDisposable> AcquireAsync(TKey key, CancellationToken ct) => _alt?.AcquireAsync(key, ct) ?? AcquireAsync(key, exclusive: true, ct);

    /// <summary>A turn shared with other shared holders of the key.</summary>
    public Task<IDisposable> AcquireSharedAsync(TKey key, CancellationToken ct) => _alt?.AcquireSharedAsync(key, ct) ?? AcquireAsync(key, exclusive: false, ct);

    private async Task<IDisposable> AcquireAsync(TKey key, bool exclusive, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry();
                _entries[key] = entry;
            }
            entry.Users++;
            if (entry.Waiters.Count == 0 && (exclusive ? !entry.Writer && entry.Readers == 0 : !entry.Writer))
            {
                entry.Take(exclusive);
                return new Releaser(this, key, exclusive);
            }
            waiter = new Waiter(exclusive);
            entry.Waiters.AddLast(waiter.Node = new LinkedListNode<Waiter>(waiter));
        }
        using (ct.Register(() => Cancel(key, waiter)))
        {
            await waiter.Granted.Task.ConfigureAwait(false);
        }
        return new Releaser(this, key, exclusive);
    }

    private void Cancel(TKey key, Waiter waiter)
    {
        List<Waiter> granted;
        lock (_entries)
        {
            var entry = _entries[key];
            if (waiter.Node!.List is null)
            {
                return; // granted already: the holder releases it
            }
            entry.Waiters.Remove(waiter.Node);
            entry.Users--;
            granted = entry.Pump();
            Forget(key, entry);
        }
        waiter.Granted.TrySetCanceled();
        Grant(granted);
    }

    private void Release(TKey key, bool exclusive)
    {
        List<Waiter> granted;
        lock (_entries)
        {
            var entry = _entries[key];
            if (exclusive)
            {
                entry.Writer = false;
            }
            else
            {
                entry.Readers--;
            }
            entry.Users--;
            granted = entry.Pump();
            Forget(key, entry);
        }
        Grant(granted);
    }

    private void Forget(TKey key, Entry entry)
    {
        if (entry.Users == 0)
        {
            _entries.Remove(key);
        }
    }

    private static void Grant(List<Waiter> granted)
    {
        foreach (var waiter in granted)
        {
            waiter.Granted.TrySetResult();
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
        public readonly LinkedList<Waiter> Waiters = new();
        public int Users;
        public int Readers;
        public bool Writer;

        public void Take(bool exclusive)
        {
            if (exclusive)
            {
                Writer = true;
            }
            else
            {
                Readers++;
            }
        }

        /// <summary>Hands the lock to the waiters at the head of the line that can have it now.</summary>
        public List<Waiter> Pump()
        {
            var granted = new List<Waiter>();
            while (Waiters.First is { } first)
            {
                var next = first.Value;
                var free = next.Exclusive ? !Writer && Readers == 0 : !Writer;
                if (!free)
                {
                    break;
                }
                Waiters.RemoveFirst();
                Take(next.Exclusive);
                granted.Add(next);
                if (next.Exclusive)
                {
                    break;
                }
            }
            return granted;
        }
    }

    private sealed class Waiter(bool exclusive)
    {
        public readonly bool Exclusive = exclusive;
        public readonly TaskCompletionSource Granted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node;
    }

    private sealed class Releaser(KeyedLock<TKey> owner, TKey key, bool exclusive) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(key, exclusive);
            }
        }
    }
}
