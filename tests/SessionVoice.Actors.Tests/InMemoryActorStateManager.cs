using System.Text.Json;
using Dapr.Actors.Runtime;

namespace SessionVoice.Actors.Tests;

/// <summary>
/// A real in-memory actor state manager with the SDK's semantics: Set/Remove change a per-turn cache;
/// SaveStateAsync commits the cache to the "store" as JSON (Web options, as the SDK serialises);
/// ClearCacheAsync drops uncommitted changes. A new manager over the same store is a reactivated actor.
/// A TTL given with a set is recorded in <paramref name="ttls"/> when saved (the store itself never expires a key).
/// </summary>
public sealed class InMemoryActorStateManager(Dictionary<string, string> store, Dictionary<string, TimeSpan>? ttls = null) : IActorStateManager
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, (object? Value, bool Removed)> _cache = [];
    /// <summary>Keys set this turn: with their TTL, or null when set without one (a key only read is not here).</summary>
    private readonly Dictionary<string, TimeSpan?> _pendingTtls = [];

    public Dictionary<string, string> Store => store;

    public int Saves { get; private set; }

    private bool TryRead<T>(string name, out T value)
    {
        if (_cache.TryGetValue(name, out var cached))
        {
            value = cached.Removed ? default! : (T)cached.Value!;
            return !cached.Removed;
        }
        if (store.TryGetValue(name, out var json))
        {
            value = JsonSerializer.Deserialize<T>(json, Json)!;
            _cache[name] = (value, false);
            return true;
        }
        value = default!;
        return false;
    }

    public Task AddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        TryRead<T>(stateName, out _) ? throw new InvalidOperationException($"state {stateName} exists") : SetStateAsync(stateName, value, cancellationToken);

    public Task AddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default) => AddStateAsync(stateName, value, cancellationToken);

    public Task<T> GetStateAsync<T>(string stateName, CancellationToken cancellationToken = default) =>
        TryRead<T>(stateName, out var value) ? Task.FromResult(value) : throw new KeyNotFoundException(stateName);

    public Task SetStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        _cache[stateName] = (value, false);
        _pendingTtls[stateName] = null;
        return Task.CompletedTask;
    }

    public Task SetStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        _cache[stateName] = (value, false);
        _pendingTtls[stateName] = ttl;
        return Task.CompletedTask;
    }

    public Task RemoveStateAsync(string stateName, CancellationToken cancellationToken = default) =>
        ContainsState(stateName) ? TryRemoveStateAsync(stateName, cancellationToken) : throw new KeyNotFoundException(stateName);

    public Task<bool> TryAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        if (ContainsState(stateName))
        {
            return Task.FromResult(false);
        }
        _cache[stateName] = (value, false);
        return Task.FromResult(true);
    }

    public Task<bool> TryAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default) => TryAddStateAsync(stateName, value, cancellationToken);

    public Task<ConditionalValue<T>> TryGetStateAsync<T>(string stateName, CancellationToken cancellationToken = default) =>
        Task.FromResult(TryRead<T>(stateName, out var value) ? new ConditionalValue<T>(true, value) : new ConditionalValue<T>(false, default!));

    public Task<bool> TryRemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        var existed = ContainsState(stateName);
        _cache[stateName] = (null, true);
        return Task.FromResult(existed);
    }

    public Task<bool> ContainsStateAsync(string stateName, CancellationToken cancellationToken = default) => Task.FromResult(ContainsState(stateName));

    private bool ContainsState(string name) => _cache.TryGetValue(name, out var c) ? !c.Removed : store.ContainsKey(name);

    public async Task<T> GetOrAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        if (TryRead<T>(stateName, out var existing))
        {
            return existing;
        }
        await SetStateAsync(stateName, value, cancellationToken);
        return value;
    }

    public Task<T> GetOrAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default) => GetOrAddStateAsync(stateName, value, cancellationToken);

    public async Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, CancellationToken cancellationToken = default)
    {
        var next = TryRead<T>(stateName, out var existing) ? updateValueFactory(stateName, existing) : addValue;
        await SetStateAsync(stateName, next, cancellationToken);
        return next;
    }

    public Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        AddOrUpdateStateAsync(stateName, addValue, updateValueFactory, cancellationToken);

    public Task ClearCacheAsync(CancellationToken cancellationToken = default)
    {
        _cache.Clear();
        return Task.CompletedTask;
    }

    public Task SaveStateAsync(CancellationToken cancellationToken = default)
    {
        foreach (var (name, (value, removed)) in _cache)
        {
            if (removed)
            {
                store.Remove(name);
                ttls?.Remove(name);
            }
            else
            {
                store[name] = JsonSerializer.Serialize(value, value?.GetType() ?? typeof(object), Json);
                if (ttls is not null && _pendingTtls.TryGetValue(name, out var ttl))
                {
                    if (ttl is { } t)
                    {
                        ttls[name] = t;
                    }
                    else
                    {
                        ttls.Remove(name);
                    }
                }
            }
        }
        _cache.Clear();
        _pendingTtls.Clear();
        Saves++;
        return Task.CompletedTask;
    }

    public Task UnloadStateAsync(string stateName, UnloadStateOptions options, CancellationToken cancellationToken = default)
    {
        _cache.Remove(stateName);
        return Task.CompletedTask;
    }
}
