using System.Runtime.CompilerServices;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SessionVoice.Core.Telemetry;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// OpenTelemetry traces and metrics: ASP.NET Core, HttpClient (RPC calls) and the service's own
/// "SessionVoice" meter and source. Exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// Logs carry the trace and span ids; LOG_FORMAT=json writes one JSON object per line.
/// </summary>
public static class Observability
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        var otlp = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 };
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("session-voice", serviceVersion: typeof(Observability).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SessionVoiceTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (otlp)
                {
                    AddOtlpExporter(metrics);
                }
            });
        // Spans are recorded only when they go somewhere: a listener without an exporter would still
        // sample, build and tag an Activity for every request and every RPC call, then drop it.
        if (otlp)
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.AddSource(SessionVoiceTelemetry.Name)
                    // Query strings may carry force_outcome and nothing else, but never record them.
                    .AddAspNetCoreInstrumentation(o => o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null))
                    .AddHttpClientInstrumentation();
                AddOtlpExporter(tracing);
            });
        }
        builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (string.Equals(builder.Configuration["LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders().AddJsonConsole(o => o.IncludeScopes = true);
        }
        return builder;
    }

    // The OTLP exporter (and Google.Protobuf with it) is loaded only when it is configured: a method
    // is compiled with every assembly it refers to, so these calls stay out of the lambdas above.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddOtlpExporter(MeterProviderBuilder metrics) => metrics.AddOtlpExporter();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddOtlpExporter(TracerProviderBuilder tracing) => tracing.AddOtlpExporter();
}
