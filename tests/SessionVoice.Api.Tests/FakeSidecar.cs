using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace SessionVoice.Api.Tests;

/// <summary>
/// Stands in for daprd's HTTP API (no daprd can run here): actor state reads and transactional
/// saves, reminder registration, and the outbound health check — the calls the SDK makes. It
/// records them so tests can see what the app asked the sidecar to do.
/// </summary>
public sealed class FakeSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentDictionary<string, string> State { get; } = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    private FakeSidecar(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    /// <summary>Where daprd would deliver actor calls: the app under test, with its app token.</summary>
    public (Uri Address, string Token)? App { get; set; }

    private static readonly HttpClient Forwarder = new();

    public static async Task<FakeSidecar> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sidecar = new FakeSidecar(app);
        app.MapGet("/v1.0/healthz/outbound", () => Results.NoContent());
        app.MapGet("/v1.0/actors/{type}/{id}/state/{key}", (string type, string id, string key) =>
        {
            sidecar.Calls.Enqueue($"GET state {type}/{id}/{key}");
            return sidecar.State.TryGetValue($"{type}||{id}||{key}", out var value) ? Results.Text(value, "application/json") : Results.NoContent();
        });
        app.MapMethods("/v1.0/actors/{type}/{id}/state", ["PUT", "POST"], async (string type, string id, HttpRequest request) =>
        {
            using var doc = await System.Text.Json.JsonDocument.ParseAsync(request.Body);
            foreach (var op in doc.RootElement.EnumerateArray())
            {
                var key = op.GetProperty("request").GetProperty("key").GetString();
                if (op.GetProperty("operation").GetString() == "upsert")
                {
                    sidecar.State[$"{type}||{id}||{key}"] = op.GetProperty("request").GetProperty("value").GetRawText();
                }
                else
                {
                    sidecar.State.TryRemove($"{type}||{id}||{key}", out _);
                }
                sidecar.Calls.Enqueue($"{op.GetProperty("operation").GetString()} state {type}/{id}/{key}");
            }
            return Results.NoContent();
        });
        app.MapMethods("/v1.0/actors/{type}/{id}/reminders/{name}", ["PUT", "POST", "DELETE"], async (string type, string id, string name, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            sidecar.Calls.Enqueue($"{request.Method} reminder {type}/{id}/{name} {await reader.ReadToEndAsync()}");
            return Results.NoContent();
        });
        // Actor invocation: daprd places the actor and calls the app's actor route, adding the app token.
        app.MapMethods("/v1.0/actors/{type}/{id}/method/{method}", ["PUT", "POST"], async (string type, string id, string method, HttpRequest request, HttpResponse outgoing) =>
        {
            sidecar.Calls.Enqueue($"invoke {type}/{id}/{method}");
            if (sidecar.App is not { } target)
            {
                return Results.StatusCode(500);
            }
            using var reader = new StreamReader(request.Body);
            using var forward = new HttpRequestMessage(HttpMethod.Put, new Uri(target.Address, $"/actors/{type}/{id}/method/{method}"))
            {
                Content = new StringContent(await reader.ReadToEndAsync(), System.Text.Encoding.UTF8, "application/json"),
            };
            forward.Headers.Add("dapr-api-token", target.Token);
            // The SDK's remoting header says how the body is framed; daprd passes it through.
            foreach (var header in request.Headers.Where(h => h.Key.StartsWith("X-Dapr", StringComparison.OrdinalIgnoreCase)))
            {
                forward.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            }
            using var response = await Forwarder.SendAsync(forward);
            // The SDK reports an actor method's exception in this header on a 200: pass it on as daprd does.
            foreach (var header in response.Headers.Where(h => h.Key.StartsWith("X-Dapr", StringComparison.OrdinalIgnoreCase)))
            {
                outgoing.Headers[header.Key] = header.Value.ToArray();
            }
            return Results.Text(await response.Content.ReadAsStringAsync(), "application/json", statusCode: (int)response.StatusCode);
        });
        await app.StartAsync();
        sidecar.Endpoint = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return sidecar;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
