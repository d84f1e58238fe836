using Dapr.Client;
using SessionVoice.Api.Configuration;

namespace SessionVoice.Api.Dapr;

/// <summary>
/// Dapr mode reads its secrets from the Dapr secret store under the same names as the environment
/// (docs/configuration.md), before the configuration is validated.
/// </summary>
public static class DaprSecrets
{
    public static readonly string[] Names =
        ["AGORA_APP_ID", "AGORA_APP_CERTIFICATE", "JWT_SECRET", "ORACLE_PRIVATE_KEY", "SERVICE_TOKEN", "AGORA_WEBHOOK_SECRET"];

    public const string DefaultStore = "session-voice-secrets";

    public static async Task AddDaprSecretsAsync(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var store = config["SessionVoice:SecretStore"] ?? DefaultStore;
        if (!ServiceSettings.IsDaprMode(config) || store.Length == 0)
        {
            return;
        }
        var timeout = TimeSpan.FromSeconds(int.TryParse(config["SessionVoice:SidecarTimeoutSeconds"], out var s) && s > 0 ? s : 30);
        using var client = new DaprClientBuilder().Build();
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                // WaitForSidecarAsync polls forever on its own: the timeout is ours.
                await client.WaitForSidecarAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new ConfigurationException($"the Dapr sidecar did not answer within {timeout.TotalSeconds:0} s (start with `dapr run -f .`, or set SessionVoice:Runtime=Standalone)");
            }
        }
        var values = new Dictionary<string, string?>();
        foreach (var name in Names)
        {
            try
            {
                var secret = await client.GetSecretAsync(store, name);
                if (secret.TryGetValue(name, out var value) && value.Length > 0)
                {
                    values[name] = value;
                }
            }
            catch (global::Dapr.DaprException)
            {
                // Absent from the store: the environment may still provide it, and a missing
                // required value is reported by the configuration check with its name.
            }
        }
        config.AddInMemoryCollection(values);
    }
}
