using System.Net;
using Polly;
using Polly.Retry;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// Under the RPC client: a JSON-RPC post that failed below JSON-RPC — no connection, a reset, HTTP 429, 502, 503 or
/// 504 — is sent again three times within about a second (Polly retry, exponential with jitter), so a blip of the
/// node costs no evaluation. A post that carries a transaction (<c>eth_sendRawTransaction</c>) is never repeated
/// here: a lost answer is not a refusal, and the submitter's receipt checks decide what became of it. A timeout is
/// not retried either (<c>RPC_TIMEOUT_SECONDS</c> bounds the whole call); the settlement schedule retries within
/// seconds.
/// </summary>
public sealed class RpcReadRetries(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly byte[] SendMarker = "sendRawTransaction"u8.ToArray();

    private static readonly ResiliencePipeline<HttpResponseMessage> Retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(100),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>()
                .HandleResult(response => response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                    or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout),
        })
        .Build();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The body is a buffered byte array (JsonRpcClient): reading it is free and it can be sent again.
        if (request.Content is null || (await request.Content.ReadAsByteArrayAsync(cancellationToken)).AsSpan().IndexOf(SendMarker) >= 0)
        {
            return await base.SendAsync(request, cancellationToken);
        }
        return await Retry.ExecuteAsync(static async (state, token) => await state.Handler.BaseSendAsync(state.Request, token),
            (Handler: this, Request: request), cancellationToken);
    }

    private Task<HttpResponseMessage> BaseSendAsync(HttpRequestMessage request, CancellationToken ct) => base.SendAsync(request, ct);
}
