using System.Diagnostics.Metrics;
using System.Numerics;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Telemetry;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// Gauges of the oracle key on the host's own "SessionVoice" meter (from <see cref="IMeterFactory"/>, so each host
/// has its own and it goes away with the host): the balance last read (by <c>/health/ready</c>, which probes call
/// every few seconds) and, standalone, the decided attestations not yet on chain.
/// </summary>
public sealed class OracleMetrics : IDisposable
{
    private readonly Meter _meter;

    public OracleMetrics(IMeterFactory meters, OracleStatus status, IServiceProvider services)
    {
        _meter = meters.Create(SessionVoiceTelemetry.Name);
        _meter.CreateObservableGauge(
            "sessionvoice.oracle.balance",
            () => status.Balance is { } balance ? [new Measurement<double>(ToEther(balance.Wei))] : Array.Empty<Measurement<double>>(),
            unit: "ETH",
            description: "The oracle key's balance, as last read");
        // Standalone only: in Dapr mode the decisions live in the booking actors.
        if (services.GetService<ServiceSettings>() is { DaprMode: false } && services.GetService<SqliteSettlementStore>() is { } store)
        {
            _meter.CreateObservableGauge(
                "sessionvoice.attestations.pending",
                () => store.CountPendingAttestations(),
                description: "Decided attestations not yet mined");
        }
    }

    public void Dispose() => _meter.Dispose();

    private static double ToEther(BigInteger wei) => (double)wei / 1e18;
}
