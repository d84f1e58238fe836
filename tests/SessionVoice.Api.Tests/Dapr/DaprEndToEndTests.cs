using DotNet.Testcontainers.Builders;
using SessionVoice.Core.Escrow;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Dapr;

/// <summary>
/// The service under a real daprd + placement + scheduler + Redis (Testcontainers). Runs wherever a
/// Docker engine answers; elsewhere it reports skipped with the reason — never passed.
/// </summary>
public class DaprEndToEndTests
{
    private const string DaprVersion = "1.16.0";


    [Fact]
    public async Task The_app_listens_where_a_sidecar_in_a_container_can_reach_it()
    {
        // What the end-to-end test below needs and cannot show without Docker: the app answers on an address
        // other than loopback (a container reaches the host through its bridge, never through 127.0.0.1).
        var external = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a));
        if (external is null)
        {
            Assert.Skip("this machine has no non-loopback IPv4 address to reach the app on");
        }
        var port = LoopbackPort.Free();
        var settings = ApiHost.MockSettings(AnvilAccounts.Address(AnvilAccounts.Host), AnvilAccounts.Address(AnvilAccounts.Guest));
        await using var api = new ApiHost(settings, anyAddressPort: port);
        using var local = api.Client();
        Assert.True((await local.GetAsync("/health")).IsSuccessStatusCode);

        using var viaBridge = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var answer = await viaBridge.GetAsync(new Uri($"http://{external}:{port}/health"));
        Assert.True(answer.IsSuccessStatusCode, $"GET /health on {external}:{port} answered {(int)answer.StatusCode}");
    }

    [Fact]
    public async Task Through_a_real_sidecar_a_guest_alone_is_settled_as_a_host_no_show_by_reminder()
    {
        if (await DockerEngine.UnavailableReasonAsync() is { } reason)
        {
            Assert.Skip($"Dapr end-to-end needs daprd, placement, scheduler and Redis in containers: {reason}.");
        }

        await using var chain = await EscrowChain.StartAsync();
        var components = Directory.CreateTempSubdirectory("session-voice-dapr-").FullName;
        await File.WriteAllTextAsync(Path.Combine(components, "statestore.yaml"), """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: session-voice-state
            spec:
              type: state.redis
              version: v1
              metadata:
                - name: redisHost
                  value: redis:6379
                - name: actorStateStore
                  value: "true"
            """);

        var network = new NetworkBuilder().Build();
        await using var _ = network;
        var redis = new ContainerBuilder("redis:7-alpine").WithNetwork(network).WithNetworkAliases("redis").Build();
        var placement = new ContainerBuilder($"ghcr.io/dapr/placement:{DaprVersion}").WithNetwork(network).WithNetworkAliases("placement")
            .WithCommand("./placement", "--port", "50005").Build();
        var scheduler = new ContainerBuilder($"ghcr.io/dapr/scheduler:{DaprVersion}").WithNetwork(network).WithNetworkAliases("scheduler")
            .WithCommand("./scheduler", "--port", "50006", "--etcd-data-dir", "/tmp/etcd").Build();
        await using var r = redis;
        await using var p = placement;
        await using var s = scheduler;
        await Task.WhenAll(redis.StartAsync(), placement.StartAsync(), scheduler.StartAsync());

        var appPort = LoopbackPort.Free();
        var daprd = new ContainerBuilder($"ghcr.io/dapr/daprd:{DaprVersion}").WithNetwork(network)
            .WithExtraHost("host.docker.internal", "host-gateway")
            .WithResourceMapping(new DirectoryInfo(components), "/components")
            .WithCommand("./daprd", "--app-id", "session-voice", "--app-port", appPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--app-channel-address", "host.docker.internal", "--resources-path", "/components",
                "--placement-host-address", "placement:50005", "--scheduler-host-address", "scheduler:50006",
                "--dapr-http-port", "3500", "--dapr-grpc-port", "50001")
            .WithPortBinding(3500, true)
            .WithPortBinding(50001, true)
            // daprd answers its health endpoints 204, not the 200 Testcontainers waits for by default.
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(h => h.ForPort(3500).ForPath("/v1.0/healthz/outbound").ForStatusCode(System.Net.HttpStatusCode.NoContent)))
            .Build();
        await using var d = daprd;
        await daprd.StartAsync();

        var settings = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
        settings["SessionVoice:Runtime"] = "Dapr";
        settings["SessionVoice:SecretStore"] = "";
        settings["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{daprd.GetMappedPublicPort(3500)}";
        settings["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{daprd.GetMappedPublicPort(50001)}";
        settings["BIND_ADDRESS"] = "0.0.0.0";
        settings["urls"] = $"http://0.0.0.0:{appPort}";
        // A one-minute session: settle is capped at D/4 = 15 s, so the decision comes seconds after the start.
        settings["SETTLE_SECONDS"] = "15";
        // The sidecar is in a container: the app must listen where the bridge reaches it, not on loopback.
        await using var api = new ApiHost(settings, anyAddressPort: appPort);
        using var client = api.Client();

        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 5, durationMins: 1, graceMins: 0, minOverlapMins: 1);
        var guestToken = await client.SignInAsync(AnvilAccounts.Signer(AnvilAccounts.Guest));
        var join = await client.PostJsonAsync("/session/join", new { booking_id = booking.Id.ToString() }, guestToken);
        Assert.True(join.IsSuccessStatusCode, await join.Content.ReadAsStringAsync());

        // Nobody calls /attest: the actor's reminder (in the Scheduler) fires at G + settle and the oracle actor attests.
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (await chain.Escrow.GetBookingAsync(booking.Id) is { Status: BookingStatus.Attested } attested)
            {
                Assert.Equal(Outcome.NoShowHost, attested.OracleOutcome);
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail("the booking was not attested through the sidecar");
    }
}
