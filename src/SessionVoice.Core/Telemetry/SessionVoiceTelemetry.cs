using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionVoice.Core.Telemetry;

/// <summary>
/// The service's own metrics and traces (meter and activity source "SessionVoice"). Tags are low
/// cardinality only (outcome, result, method) — never booking ids, addresses or tokens.
/// </summary>
public static class SessionVoiceTelemetry
{
    public const string Name = "SessionVoice";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> SignIns = Meter.CreateCounter<long>("sessionvoice.signins", description: "Sign-in attempts by flow and result");

    public static readonly Counter<long> Joins = Meter.CreateCounter<long>("sessionvoice.joins", description: "Join requests by result");

    public static readonly Counter<long> WebhookEvents = Meter.CreateCounter<long>("sessionvoice.webhook.events", description: "Agora NCS notices by result");

    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("sessionvoice.decisions", description: "Outcome policy evaluations by kind");

    public static readonly Counter<long> Attestations = Meter.CreateCounter<long>("sessionvoice.attestations", description: "Attestations by result: submitted, mined, settled, window_missed, failed");

    public static readonly Histogram<double> RpcDuration = Meter.CreateHistogram<double>("sessionvoice.rpc.duration", unit: "ms", description: "JSON-RPC round trips by method");
}
