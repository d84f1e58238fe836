using System.Runtime.CompilerServices;
using SessionVoice.Api;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Dapr;

try
{
    // The slim builder leaves out what this service never uses and would otherwise load at every start:
    // HTTP/3 (QUIC), IIS, hosting startup assemblies, regex route constraints, the Debug and
    // EventSource loggers. Kestrel's HTTPS endpoint configuration is kept.
    var builder = WebApplication.CreateSlimBuilder(args);
    builder.WebHost.UseKestrelHttpsConfiguration();
    // Dapr.Client (and gRPC/protobuf with it) is loaded only when a sidecar is expected.
    if (ServiceSettings.IsDaprMode(builder.Configuration))
    {
        // The native build is compiled without the Dapr SDK (its actor runtime needs reflection and
        // dynamic code): Dapr mode runs the JIT build, as the container image does.
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new ConfigurationException("Dapr mode needs the JIT build (the container image); this native build runs standalone only");
        }
        await builder.AddDaprSecretsAsync();
    }
    builder.AddSessionVoice();
    var app = builder.Build();
    app.UseSessionVoice();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is ConfigurationException || e.InnerException is ConfigurationException)
{
    // One line naming the setting; never its value.
    await Console.Error.WriteLineAsync($"session-voice: configuration error: {(e as ConfigurationException ?? e.InnerException)!.Message}");
    return 1;
}

public partial class Program;
