using System.Runtime.CompilerServices;
using SessionVoice.Api.Hosting;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Dapr;

// Whatever stops start-up — a setting, the port, DATA_DIR, the node — is one line on stderr naming the setting
// (never its value) and exit code 1 (StartupFailure); the framework's own logs of it are held back (StartupLogGate).
var listenSetting = "PORT";
WebApplication app;
try
{
    // The slim builder leaves out what this service never uses and would otherwise load at every start:
    // HTTP/3 (QUIC), IIS, hosting startup assemblies, regex route constraints, the Debug and
    // EventSource loggers. Kestrel's HTTPS endpoint configuration is kept.
    var builder = WebApplication.CreateSlimBuilder(args);
    builder.WebHost.UseKestrelHttpsConfiguration();
    listenSetting = builder.Configuration["urls"] is { Length: > 0 } ? "urls" : builder.Configuration["ASPNETCORE_URLS"] is { Length: > 0 } ? "ASPNETCORE_URLS" : "PORT";
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
    app = builder.Build();
    app.UseSessionVoice();
    // Binds the port, then reads the chain (StartupSequence).
    await app.StartAsync();
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync(StartupFailure.Describe(e, listenSetting));
    return 1;
}
await using (app)
{
    await app.WaitForShutdownAsync();
}
return 0;

public partial class Program;
