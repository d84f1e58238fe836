namespace SessionVoice.Api.Dapr;

/// <summary>How long the app waits for daprd, derived from the resiliency policy in components/resiliency.yaml.</summary>
public static class DaprTimeouts
{
    /// <summary>actorCall: daprd's timeout for one try of a booking actor call.</summary>
    public static readonly TimeSpan ActorCallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>actorRetry: retries after the first try.</summary>
    public const int ActorRetries = 5;

    /// <summary>actorRetry's maxInterval: no wait between two tries is longer.</summary>
    public static readonly TimeSpan ActorRetryMaxInterval = TimeSpan.FromSeconds(10);

    /// <summary>The longest daprd may spend on one booking actor call: every try timing out, each wait at its longest.</summary>
    public static readonly TimeSpan ActorResiliencyBudget = ActorCallTimeout * (ActorRetries + 1) + ActorRetryMaxInterval * ActorRetries;

    /// <summary>The actor proxy's HTTP timeout: above that budget, so the app never abandons a call daprd is still retrying.</summary>
    public static readonly TimeSpan ActorProxyRequestTimeout = ActorResiliencyBudget + TimeSpan.FromSeconds(10);
}
