using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace SessionVoice.Api.Configuration;

/// <summary>
/// What an operator reads when the service cannot start: one line on stderr that names the setting to fix,
/// never its value, and exit code 1 (docs/operations.md, "Start-up failures").
/// </summary>
public static class StartupFailure
{
    public const string ConfigurationPrefix = "session-voice: configuration error: ";

    public const string UnexpectedPrefix = "session-voice: start-up failed: ";

    /// <param name="listenSetting">The setting that chose the listening address: PORT, or ASPNETCORE_URLS / urls when set.</param>
    public static string Describe(Exception failure, string listenSetting = "PORT")
    {
        if (Find<ConfigurationException>(failure) is { } configuration)
        {
            return ConfigurationPrefix + configuration.Message;
        }
        if (Find<AddressInUseException>(failure) is not null)
        {
            return ConfigurationPrefix + $"{listenSetting} is already in use by another process (stop it, or choose another {listenSetting})";
        }
        if (Find<SocketException>(failure) is { } socket)
        {
            switch (socket.SocketErrorCode)
            {
                case SocketError.AddressNotAvailable:
                    return ConfigurationPrefix + (listenSetting == "PORT"
                        ? "BIND_ADDRESS is not an address of this machine"
                        : $"{listenSetting} names an address that is not this machine's");
                case SocketError.AccessDenied:
                    return ConfigurationPrefix + $"{listenSetting} needs privileges this process does not have (a port under 1024)";
                case SocketError.AddressAlreadyInUse:
                    return ConfigurationPrefix + $"{listenSetting} is already in use by another process (stop it, or choose another {listenSetting})";
            }
        }
        // Anything else is a bug or an environment this service does not know: its type only, as a message may
        // quote a value (a URL, a path).
        var root = Unwrap(failure);
        return UnexpectedPrefix + root.GetType().FullName;
    }

    private static T? Find<T>(Exception failure)
        where T : Exception
    {
        var pending = new Stack<Exception>();
        pending.Push(failure);
        while (pending.TryPop(out var e))
        {
            if (e is T match)
            {
                return match;
            }
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (e.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
        return null;
    }

    private static Exception Unwrap(Exception failure)
    {
        while (failure is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            failure = aggregate.InnerExceptions[0];
        }
        return failure;
    }
}

/// <summary>
/// Until the start-up sequence has finished, the framework's own Error logs (the host's "Hosting failed to start" with
/// its stack trace, Kestrel's bind failure) are held back: the failure is reported once, as the one line of
/// <see cref="StartupFailure"/>. From then on every log passes as configured.
/// </summary>
public sealed class StartupLogGate
{
    private volatile bool _started;

    public void Open() => _started = true;

    public bool Allows(string? category, LogLevel level) =>
        _started || level < LogLevel.Error || category is null || !category.StartsWith("Microsoft.", StringComparison.Ordinal);
}
