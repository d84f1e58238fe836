using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Infrastructure;

namespace SessionVoice.Api.Auth;

/// <summary>
/// Service-to-service calls (attest, sweep): header X-Service-Token equal to SERVICE_TOKEN, compared
/// in constant time. Without a configured token the endpoints answer 503 and do nothing. A client address
/// that sent SERVICE_TOKEN_FAILURES_PER_MINUTE wrong tokens gets 429 on these routes for the rest of the
/// minute (<see cref="ServiceTokenFailures"/>).
/// </summary>
public static class ServiceToken
{
    public const string Header = "X-Service-Token";

    /// <summary>The header daprd puts on its calls to the app when APP_API_TOKEN is set.</summary>
    public const string DaprHeader = "dapr-api-token";

    /// <summary>The endpoint answers only calls that pass <see cref="Check"/>; the others get its refusal and the handler never runs.</summary>
    public static RouteHandlerBuilder RequireServiceToken(this RouteHandlerBuilder builder) => builder.AddEndpointFilter(async (context, next) =>
    {
        var services = context.HttpContext.RequestServices;
        return Check(context.HttpContext.Request, services.GetRequiredService<ServiceSettings>(), services.GetRequiredService<ServiceTokenFailures>()) is { } refusal
            ? refusal
            : await next(context);
    });

    /// <summary>Null when allowed: X-Service-Token = SERVICE_TOKEN, or (Dapr mode) dapr-api-token = APP_API_TOKEN.</summary>
    public static JsonHttpResult<ApiError>? Check(HttpRequest request, ServiceSettings settings, ServiceTokenFailures failures)
    {
        var appToken = settings.DaprMode ? settings.AppApiToken : null;
        if (settings.ServiceToken is null && appToken is null)
        {
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "service token not configured");
        }
        var client = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        // Once over the limit the token is not even compared: guessing gets no answer at all until the window ends.
        if (failures.IsBlocked(client))
        {
            return ApiError.Result(StatusCodes.Status429TooManyRequests, "too many requests");
        }
        var allowed = Matches(request.Headers[Header].ToString(), settings.ServiceToken)
            || Matches(request.Headers[DaprHeader].ToString(), appToken);
        if (allowed)
        {
            return null;
        }
        failures.Record(client);
        return ApiError.Unauthorized("invalid service token");
    }

    /// <summary>Constant-time whatever the lengths: both sides are hashed first.</summary>
    public static bool Matches(string given, string? expected) =>
        expected is not null && given.Length > 0
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

/// <summary>
/// Wrong service tokens per client address, in fixed one-minute windows that start at an address's first failure.
/// Only failures count: a service that sends the right token is never limited by its own calls.
/// </summary>
public sealed class ServiceTokenFailures(ServiceSettings settings, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Addresses remembered before the expired windows are dropped.</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Failures> _clients = new(StringComparer.Ordinal);

    public bool IsBlocked(string client)
    {
        if (!_clients.TryGetValue(client, out var failures))
        {
            return false;
        }
        var now = time.GetUtcNow();
        lock (failures)
        {
            return now - failures.WindowStart < Window && failures.Count >= settings.ServiceTokenFailuresPerMinute;
        }
    }

    public void Record(string client)
    {
        var now = time.GetUtcNow();
        if (_clients.Count > PruneAbove)
        {
            foreach (var (key, old) in _clients)
            {
                bool expired;
                lock (old)
                {
                    expired = now - old.WindowStart >= Window;
                }
                if (expired)
                {
                    _clients.TryRemove(KeyValuePair.Create(key, old));
                }
            }
        }
        var failures = _clients.GetOrAdd(client, static (_, start) => new Failures { WindowStart = start }, now);
        lock (failures)
        {
            if (now - failures.WindowStart >= Window)
            {
                failures.WindowStart = now;
                failures.Count = 0;
            }
            failures.Count++;
        }
    }

    private sealed class Failures
    {
        public DateTimeOffset WindowStart;

        public int Count;
    }
}
