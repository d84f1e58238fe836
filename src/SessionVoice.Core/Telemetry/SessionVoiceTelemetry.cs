using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionVoice.Core.Telemetry;

/// <summary>The service's telemetry names: meter and activity source "SessionVoice".</summary>
public static class SessionVoiceTelemetry
{
    public const string Name = "SessionVoice";

    public static readonly ActivitySource Source = new(Name);
}

/// <summary>
/// The service's own instruments, on a meter from the host's <see cref="IMeterFactory"/> (so each host, and each
/// test's host, counts apart). Tags are low cardinality only (outcome, result, method): never booking ids,
/// addresses or tokens.
/// </summary>
public sealed class SessionVoiceMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public SessionVoiceMetrics(IMeterFactory meters)
        : this(meters.Create(SessionVoiceTelemetry.Name), ownsMeter: false)
    {
    }

    private SessionVoiceMetrics(Meter meter, bool ownsMeter)
    {
        _meter = meter;
        _ownsMeter = ownsMeter;
        SignIns = meter.CreateCounter<long>("sessionvoice.signins", description: "Sign-in attempts by flow and result");
        Joins = meter.CreateCounter<long>("sessionvoice.joins", description: "Join requests by result");
        WebhookEvents = meter.CreateCounter<long>("sessionvoice.webhook.events", description: "Agora NCS notices by result");
        Decisions = meter.CreateCounter<long>("sessionvoice.decisions", description: "Outcome policy evaluations by kind");
        Attestations = meter.CreateCounter<long>("sessionvoice.attestations", description: "Attestations by result: submitted, mined, settled, window_missed, failed");
        RpcDuration = meter.CreateHistogram<double>("sessionvoice.rpc.duration", unit: "ms", description: "JSON-RPC round trips by method");
    }

    /// <summary>Instruments on a meter of their own, for code outside a host (tools, benches, tests that do not count).</summary>
    public static SessionVoiceMetrics Detached() => new(new Meter(SessionVoiceTelemetry.Name), ownsMeter: true);

    public Counter<long> SignIns { get; }

    public Counter<long> Joins { get; }

    public Counter<long> WebhookEvents { get; }

    public Counter<long> Decisions { get; }

    public Counter<long> Attestations { get; }

    public Histogram<double> RpcDuration { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
