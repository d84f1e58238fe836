using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenTelemetry.Metrics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Telemetry;

namespace SessionVoice.Api.Tests.Hosting;

/// <summary>Each host has its own meters (IMeterFactory), so these counts are exact while other tests run beside them.</summary>
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
        var meters = s.Api.Services.GetRequiredService<IMeterFactory>();
        using var joins = new MetricCollector<long>(meters, SessionVoiceTelemetry.Name, "sessionvoice.joins");
        using var signIns = new MetricCollector<long>(meters, SessionVoiceTelemetry.Name, "sessionvoice.signins");
        using var attestations = new MetricCollector<long>(meters, SessionVoiceTelemetry.Name, "sessionvoice.attestations");
        using var rpc = new MetricCollector<double>(meters, SessionVoiceTelemetry.Name, "sessionvoice.rpc.duration");

        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        // One refused sign-in: a nonce of the host's, signed by the guest.
        var nonce = (await (await s.Client.PostJsonAsync("/auth/nonce", new { wallet = SettlementScenario.Host.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        var forged = await s.Client.PostJsonAsync("/auth/verify", new { wallet = SettlementScenario.Host.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, SettlementScenario.Guest).ToHex() });
        Assert.Equal(401, (int)forged.StatusCode);
        await s.Client.SignInAsync(SettlementScenario.Guest);
        await s.AdvanceToAsync(s.Start + 4 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);
        // The readiness probe reads the oracle's balance, which the balance gauge then reports.
        Assert.Equal(200, (int)(await s.Client.GetAsync("/health/ready")).StatusCode);

        Assert.Equal(2, Count(joins, "result", "ok"));
        Assert.Equal(2, joins.GetMeasurementSnapshot().Count);
        Assert.Equal(1, Count(signIns, "result", "ok"));
        Assert.Equal(2, signIns.GetMeasurementSnapshot().Count);
        // The store says "mined" a moment before the counter is told: wait for it, then count exactly.
        await UntilAsync(() => Count(attestations, "result", "mined") >= 1);
        Assert.Equal(1, Count(attestations, "result", "submitted"));
        Assert.Equal(1, Count(attestations, "result", "mined"));
        Assert.Equal(1, rpc.GetMeasurementSnapshot().Count(m => m.Tags.TryGetValue("method", out var v) && Equals(v, "eth_sendRawTransaction")));

        Assert.True(s.Api.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));
        Assert.True(Sum(exported, "sessionvoice.decisions") >= 1);
        Assert.Contains(exported, m => m.Name == "http.server.request.duration");
        var balance = await s.Chain.Anvil.Eth.GetBalanceAsync(Testing.EscrowChain.Oracle);
        Assert.Equal((double)balance / 1e18, Gauge(exported, "sessionvoice.oracle.balance"), 6);
        Assert.Equal(0, Gauge(exported, "sessionvoice.attestations.pending"));
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    private static long Count(MetricCollector<long> collector, string tag, string value) =>
        collector.GetMeasurementSnapshot().Where(m => m.Tags.TryGetValue(tag, out var v) && Equals(v, value)).Sum(m => m.Value);

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
