using System.Net;
using SessionVoice.Testing;
using SessionVoice.Testing.Daprd;

namespace SessionVoice.Api.Tests.Daprd;

/// <summary>
/// The double is as strict as daprd on each point the app can notice. Every test here fails against a lenient
/// sidecar (no lock, no timeout, no failure policy, no activation check, one app).
/// </summary>
public class DaprdDoubleTests
{
    // Slow: a 300 ms timeout and one retry 100 ms later. Probe: no policy.
    private const string SlowPolicy = """
        spec:
          policies:
            timeouts:
              short: 300ms
            retries:
              once:
                policy: constant
                duration: 100ms
                maxRetries: 1
          targets:
            actors:
              Slow:
                timeout: short
                retry: once
        """;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Task<HttpResponseMessage> InvokeAsync(ProbeApp via, string type, string id, string method, IDictionary<string, string>? headers = null) =>
        via.CallSidecarAsync(HttpMethod.Put, $"/v1.0/actors/{type}/{id}/method/{method}", "{}", headers: headers);

    [Fact]
    public async Task One_turn_per_actor_across_both_sidecars()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync();
        await using (cluster)
        await using (a)
        await using (b)
        {
            var first = InvokeAsync(a, "Probe", "1", "hold");
            var second = InvokeAsync(b, "Probe", "1", "hold");
            await DaprdDouble.WaitUntilAsync(() => a.Sidecar.Calls.Contains("invoke Probe/1/hold") && b.Sidecar.Calls.Contains("invoke Probe/1/hold") && a.Entered + b.Entered == 1, Wait, "both calls in the double, one in the app");
            Assert.Equal(1, a.Entered + b.Entered);
            a.Release.SetResult();
            b.Release.SetResult();
            Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
            Assert.Equal(2, a.Entered + b.Entered);
            Assert.Equal(1, Math.Max(a.MaxConcurrent, b.MaxConcurrent));
            Assert.Empty(cluster.OverlappingTurns());
        }
    }

    [Fact]
    public async Task A_timeout_answers_the_caller_with_an_error_and_releases_the_lock_while_the_app_turn_still_runs()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync(SlowPolicy);
        await using (cluster)
        await using (a)
        await using (b)
        {
            var host = cluster.PlacementOf("Slow", "x") == "a" ? a : b;
            var response = await InvokeAsync(a, "Slow", "x", "hold");
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            // The retry entered the actor while the first turn was still running in the app.
            Assert.Equal(2, host.Entered);
            Assert.Equal(2, host.MaxConcurrent);
            var turns = cluster.Turns.Where(t => t.ActorType == "Slow").ToList();
            Assert.Equal(2, turns.Count);
            Assert.All(turns, t => Assert.Equal("timeout", t.Outcome));
            Assert.All(turns, t => Assert.InRange(t.Duration!.Value.TotalMilliseconds, 250, 2000));
        }
    }

    [Fact]
    public async Task App_answers_other_than_200_are_errors_an_actor_exception_passes_through_and_404_is_not_retried()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync(SlowPolicy);
        await using (cluster)
        await using (a)
        await using (b)
        {
            var fail = await InvokeAsync(a, "Probe", "f", "fail");
            Assert.Equal(HttpStatusCode.InternalServerError, fail.StatusCode);
            Assert.Contains("ERR_ACTOR_INVOKE_METHOD", await fail.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            var thrown = await InvokeAsync(a, "Probe", "t", "throw");
            Assert.Equal(HttpStatusCode.OK, thrown.StatusCode);
            Assert.True(thrown.Headers.Contains("X-DaprErrorResponseHeader"));
            Assert.Equal("{\"message\":\"boom\"}", await thrown.Content.ReadAsStringAsync());

            // With a retry policy: an actor exception is retried, a 404 is not.
            await InvokeAsync(a, "Slow", "t", "throw");
            Assert.Equal(2, cluster.Turns.Count(t => t.ActorType == "Slow" && t.ActorId == "t"));
            Assert.Equal(HttpStatusCode.InternalServerError, (await InvokeAsync(a, "Slow", "m", "missing")).StatusCode);
            Assert.Single(cluster.Turns, t => t.ActorType == "Slow" && t.ActorId == "m");
        }
    }

    [Fact]
    public async Task Caller_headers_and_content_type_are_forwarded_with_the_app_token()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync();
        await using (cluster)
        await using (a)
        await using (b)
        {
            var response = await InvokeAsync(a, "Probe", "h", "echo", new Dictionary<string, string> { ["X-Probe"] = "42" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The probe app answers 401 without daprd's app token, so reaching it shows the token was added.
            var received = Assert.Single(a.Received.Concat(b.Received));
            Assert.Equal("echo Probe/h ct=application/json; charset=utf-8 x-probe=42", received);
        }
    }

    [Fact]
    public async Task The_api_token_is_required_except_on_the_health_endpoints_which_answer_204()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync();
        await using (cluster)
        await using (a)
        await using (b)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await a.CallSidecarAsync(HttpMethod.Get, "/v1.0/healthz/outbound", token: null)).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await a.CallSidecarAsync(HttpMethod.Get, "/v1.0/healthz", token: null)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await a.CallSidecarAsync(HttpMethod.Get, "/v1.0/actors/Probe/1/state/k", token: null)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await a.CallSidecarAsync(HttpMethod.Put, "/v1.0/actors/Probe/1/method/x", "{}", token: "wrong")).StatusCode);
            Assert.Equal(0, a.Entered + b.Entered);
            Assert.Equal(HttpStatusCode.NoContent, (await a.CallSidecarAsync(HttpMethod.Get, "/v1.0/actors/Probe/1/state/k")).StatusCode);
        }
    }

    [Fact]
    public async Task State_saves_are_refused_unless_the_actor_is_active_on_that_sidecar_and_ttl_expires_keys()
    {
        var time = new ShiftedTime();
        var (cluster, a, b) = await ProbeApp.StartPairAsync(time: time);
        await using (cluster)
        await using (a)
        await using (b)
        {
            var (host, other) = cluster.PlacementOf("Probe", "s") == "a" ? (a, b) : (b, a);
            // Never activated: refused, even on its host.
            Assert.Equal(HttpStatusCode.InternalServerError, await host.SaveAsync("Probe", "s", "k", "1"));
            // Inside a turn on its host: accepted.
            Assert.Equal("204", await (await InvokeAsync(other, "Probe", "s", "save")).Content.ReadAsStringAsync());
            Assert.Equal("\"v\"", cluster.StateValue("Probe", "s", "k"));
            Assert.Equal(HttpStatusCode.InternalServerError, await other.SaveAsync("Probe", "s", "k", "2"));

            cluster.Move("Probe", "s", other.Sidecar.Name);
            Assert.Equal(HttpStatusCode.InternalServerError, await host.SaveAsync("Probe", "s", "k", "3"));
            Assert.Equal("\"v\"", cluster.StateValue("Probe", "s", "k"));
            Assert.Equal("204", await (await InvokeAsync(host, "Probe", "s", "save")).Content.ReadAsStringAsync());
            Assert.Single(other.Received);

            Assert.Equal(HttpStatusCode.NoContent, await other.SaveAsync("Probe", "s", "short", "7", ttlSeconds: 60));
            Assert.Equal("7", await (await other.CallSidecarAsync(HttpMethod.Get, "/v1.0/actors/Probe/s/state/short")).Content.ReadAsStringAsync());
            time.AdvanceMs(61_000);
            Assert.Equal(HttpStatusCode.NoContent, (await other.CallSidecarAsync(HttpMethod.Get, "/v1.0/actors/Probe/s/state/short")).StatusCode);
        }
    }

    [Fact]
    public async Task A_one_shot_reminder_whose_callback_keeps_failing_fires_exactly_four_times_and_is_dropped()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync();
        await using (cluster)
        await using (a)
        await using (b)
        {
            a.ReminderStatus = b.ReminderStatus = 500;
            var register = await a.CallSidecarAsync(HttpMethod.Put, "/v1.0/actors/Probe/r/reminders/Decide", """{"dueTime":"0h0m0s0ms","period":"","data":"AQI="}""");
            Assert.Equal(HttpStatusCode.NoContent, register.StatusCode);
            await DaprdDouble.WaitUntilAsync(() => cluster.ReminderDeliveries.Any(d => d.Dropped), Wait, "dropped");
            var bodies = a.ReminderBodies.Concat(b.ReminderBodies).ToList();
            Assert.Equal(4, bodies.Count);
            Assert.All(bodies, body => Assert.Equal("""{"data":"AQI=","dueTime":"","period":""}""", body));
            Assert.Empty(cluster.Reminders);
            var deliveries = cluster.ReminderDeliveries;
            Assert.Equal(4, deliveries.Count);
            for (var i = 1; i < deliveries.Count; i++)
            {
                Assert.InRange((deliveries[i].At - deliveries[i - 1].At).TotalMilliseconds, 900, 3000);
            }
        }
    }

    [Fact]
    public async Task A_reminder_re_registered_inside_its_callback_is_kept()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync();
        await using (cluster)
        await using (a)
        await using (b)
        {
            // Registered, then registered again before the first delivery is answered: the new one survives.
            a.ReminderStatus = b.ReminderStatus = 200;
            await a.CallSidecarAsync(HttpMethod.Put, "/v1.0/actors/Probe/p/reminders/Tick", """{"dueTime":"0h0m0s0ms","period":""}""");
            await DaprdDouble.WaitUntilAsync(() => cluster.ReminderDeliveries.Count == 1, Wait, "delivered");
            Assert.Empty(cluster.Reminders);
            await a.CallSidecarAsync(HttpMethod.Put, "/v1.0/actors/Probe/p/reminders/Tick", """{"dueTime":"0h10m0s0ms","period":"0h0m1s0ms"}""");
            Assert.Equal(TimeSpan.FromSeconds(1), Assert.Single(cluster.Reminders).Period);
            Assert.Equal(HttpStatusCode.BadRequest, (await a.CallSidecarAsync(HttpMethod.Put, "/v1.0/actors/Probe/p/reminders/Bad", """{"dueTime":"soon"}""")).StatusCode);
        }
    }

    [Fact]
    public async Task An_unhealthy_app_leaves_placement_and_gets_no_calls()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync();
        await using (cluster)
        await using (a)
        await using (b)
        {
            var ids = Enumerable.Range(0, 40).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var onB = ids.First(id => cluster.PlacementOf("Probe", id) == "b");
            b.Unhealthy = true;
            await DaprdDouble.WaitUntilAsync(() => !b.Sidecar.AppHealthy, Wait, "b unhealthy");
            Assert.All(ids, id => Assert.Equal("a", cluster.PlacementOf("Probe", id)));
            Assert.Equal(HttpStatusCode.OK, (await InvokeAsync(b, "Probe", onB, "echo")).StatusCode);
            Assert.Equal(0, b.Entered);
            Assert.Equal(1, a.Entered);
            var ticks = await cluster.TriggerCronAsync();
            Assert.Equal(0, b.SweepCalls);
            b.Unhealthy = false;
            await DaprdDouble.WaitUntilAsync(() => b.Sidecar.AppHealthy, Wait, "b healthy again");
            Assert.Equal("b", cluster.PlacementOf("Probe", onB));
            Assert.Contains(ticks, t => t.Instance == "b" && t.Status == 0);
        }
    }

    [Fact]
    public async Task Every_sidecar_runs_the_cron_binding_and_placement_spreads_actors_over_both()
    {
        var (cluster, a, b) = await ProbeApp.StartPairAsync();
        await using (cluster)
        await using (a)
        await using (b)
        {
            var ticks = await cluster.TriggerCronAsync();
            Assert.Equal(["a", "b"], ticks.Select(t => t.Instance).Order());
            Assert.All(ticks, t => Assert.Equal(200, t.Status));
            Assert.Equal(1, a.SweepCalls);
            Assert.Equal(1, b.SweepCalls);

            var placed = Enumerable.Range(0, 200).Select(i => cluster.PlacementOf("Probe", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
            Assert.InRange(placed.Count(p => p == "a"), 60, 140);
            Assert.InRange(placed.Count(p => p == "b"), 60, 140);
            // Stable: the same answer again, and a down instance moves only its own actors.
            Assert.Equal(placed, Enumerable.Range(0, 200).Select(i => cluster.PlacementOf("Probe", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            cluster.SetDown("b", true);
            Assert.All(Enumerable.Range(0, 200), i => Assert.Equal("a", cluster.PlacementOf("Probe", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }
    }

    [Fact]
    public void The_repository_resiliency_file_sets_the_actor_timeouts_and_retries()
    {
        var spec = ResiliencySpec.LoadRepository();
        var booking = spec.For("BookingActor")!;
        Assert.Equal(TimeSpan.FromSeconds(30), booking.Timeout);
        Assert.True(booking.Retry!.Exponential);
        Assert.Equal(5, booking.Retry.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(10), booking.Retry.MaxInterval);
        var oracle = spec.For("OracleActor")!;
        Assert.Equal(TimeSpan.FromSeconds(8), oracle.Timeout);
        Assert.Equal(new RetrySpec(false, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(60), 2), oracle.Retry);
        Assert.Equal("attest-sweep", DaprdDouble.RepositoryCronComponent());
    }
}
