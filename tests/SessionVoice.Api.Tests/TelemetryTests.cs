using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Api.Tests;

/// <summary>Alone: the meter is process-wide, so no other test may attest while this one counts.</summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

[Collection(nameof(TelemetryCollection))]
public class TelemetryTests
{
    private static long Sum(IEnumerable<Metric> metrics, string name, string? tag = null, string? value = null)
    {
        long total = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var matches = tag is null;
                foreach (var t in point.Tags)
                {
                    matches |= t.Key == tag && Equals(t.Value, value);
                }
                if (matches)
                {
                    total += metric.MetricType == MetricType.Histogram ? point.GetHistogramCount() : point.GetSumLong();
                }
            }
        }
        return total;
    }

    [Fact]
    public async Task A_full_standalone_session_is_counted_in_the_services_metrics()
    {
        var exported = new List<Metric>();
        await using var s = await SettlementScenario.StartAsync(services: services =>
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddInMemoryExporter(exported)));
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 4 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);
        // The readiness probe reads the oracle's balance, which the balance gauge then reports.
        Assert.Equal(200, (int)(await s.Client.GetAsync("/health/ready")).StatusCode);

        Assert.True(s.Api.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));
        Assert.True(Sum(exported, "sessionvoice.attestations", "result", "mined") >= 1);
        Assert.True(Sum(exported, "sessionvoice.attestations", "result", "submitted") >= 1);
        Assert.True(Sum(exported, "sessionvoice.joins", "result", "ok") >= 2);
        Assert.True(Sum(exported, "sessionvoice.signins", "result", "ok") >= 2);
        Assert.True(Sum(exported, "sessionvoice.decisions") >= 1);
        Assert.True(Sum(exported, "sessionvoice.rpc.duration", "method", "eth_sendRawTransaction") >= 1);
        Assert.Contains(exported, m => m.Name == "http.server.request.duration");
        var balance = await s.Chain.Anvil.Eth.GetBalanceAsync(Testing.EscrowChain.Oracle);
        Assert.Equal((double)balance / 1e18, Gauge(exported, "sessionvoice.oracle.balance"), 6);
        Assert.Equal(0, Gauge(exported, "sessionvoice.attestations.pending"));
    }

    private static double Gauge(IEnumerable<Metric> metrics, string name)
    {
        var metric = metrics.Last(m => m.Name == name);
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            return metric.MetricType == MetricType.DoubleGauge ? point.GetGaugeLastValueDouble() : point.GetGaugeLastValueLong();
        }
        throw new InvalidOperationException($"{name} has no point");
    }
}
