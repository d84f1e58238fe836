using System.Globalization;
using System.Net;
using System.Text;
using SessionVoice.Testing;
using SessionVoice.Testing.Daprd;

namespace SessionVoice.Api.Tests.Dapr;

/// <summary>The app's sidecar-facing HTTP surface in Dapr mode: the routes daprd calls, their token, and what the app asks of daprd in return.</summary>
public class DaprSurfaceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return request;
    }

    [Fact]
    public async Task Dapr_config_answers_without_a_token_and_every_other_sidecar_route_needs_it()
    {
        await using var cluster = await DaprCluster.StartAsync();
        var client = cluster.Client("a");
        client.DefaultRequestHeaders.Clear();
        var config = await (await client.SendAsync(Request(HttpMethod.Get, "/dapr/config", null))).JsonAsync();
        var entities = config.GetProperty("entities").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["BookingActor", "OracleActor", "SignInActor", "WatcherActor"], entities.Order(StringComparer.Ordinal));
        Assert.Equal("dapr", (await (await client.GetAsync("/health")).JsonAsync()).GetProperty("mode").GetString());

        const string body = """{"dueTime":"","period":""}""";
        foreach (var token in new string?[] { null, "wrong", DaprCluster.ApiToken })
        {
            // The app token is what daprd sends; the API token (what the app sends daprd) is not it.
            using var reminder = await client.SendAsync(Request(HttpMethod.Put, "/actors/BookingActor/1/method/remind/Decide", token, body));
            Assert.Equal(HttpStatusCode.Unauthorized, reminder.StatusCode);
            using var sweep = await client.SendAsync(Request(HttpMethod.Post, "/attest-sweep", token));
            await sweep.AssertErrorAsync(401, "invalid service token");
        }
        Assert.DoesNotContain(cluster.Sidecar("a").Calls, c => c.Contains("reminder", StringComparison.Ordinal) || c.Contains("state", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reminder_delivered_by_daprd_decides_the_booking_and_registers_the_next_one_shot_reminder()
    {
        await using var cluster = await DaprCluster.StartAsync();
        var booking = await cluster.Chain.CreateBookingAsync(await cluster.Chain.NowAsync() + 600);
        var id = booking.Id.ToString();
        var host = cluster.Daprd.PlacementOf("BookingActor", id)!;

        // A Decide reminder registered through the sidecar's API, due now: the Scheduler delivers it to the host.
        using var http = new HttpClient();
        using var registered = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(new Uri(cluster.Sidecar("b").Endpoint), $"/v1.0/actors/BookingActor/{id}/reminders/Decide"))
        {
            Headers = { { "dapr-api-token", DaprCluster.ApiToken } },
            Content = new StringContent("""{"dueTime":"0s","period":""}""", Encoding.UTF8, "application/json"),
        });
        Assert.True(registered.IsSuccessStatusCode, $"{(int)registered.StatusCode}");
        await DaprdDouble.WaitUntilAsync(
            () => cluster.Daprd.Turns.Any(t => t.ActorId == id && t.Kind == "reminder" && t.Outcome is not null),
            Wait, "the reminder's turn ended");

        // Delivered to the actor's host, with the decision (wait until G + settle) saved and a one-shot reminder set for it.
        Assert.True(cluster.Daprd.Turns.Any(t => t.ActorId == id && t.Kind == "reminder" && t.Instance == host && t.Outcome == "ok"), $"host {host}: " + string.Join("; ", cluster.Daprd.Turns));
        var due = (booking.StartTime + 5 * 60 + 30).ToString(CultureInfo.InvariantCulture);
        Assert.Equal(due, cluster.Daprd.StateValue("BookingActor", id, "DueAt"));
        var next = Assert.Single(cluster.Daprd.Reminders, r => r.ActorId == id && r.Name == "Decide");
        Assert.Equal(booking.StartTime + 5 * 60 + 30, next.DueAt.ToUnixTimeSeconds(), tolerance: 1);
        Assert.Contains(cluster.Sidecar(host).Calls, c => c.StartsWith($"PUT reminder BookingActor/{id}/Decide", StringComparison.Ordinal) && c.Contains("\"period\":\"\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_cron_binding_tracks_new_bookings_and_resumes_the_oracle_and_answers_exactly_200()
    {
        await using var cluster = await DaprCluster.StartAsync();
        var booking = await cluster.Chain.CreateBookingAsync(await cluster.Chain.NowAsync() + 600);
        var ticks = await cluster.Daprd.TriggerCronAsync();
        Assert.All(ticks, t => Assert.Equal(200, t.Status));
        // The sweep handed the new booking to its actor, which scheduled its first decision, and asked the oracle
        // key's actor to resume anything persisted before a restart.
        Assert.Single(cluster.Daprd.Reminders, r => r.ActorId == booking.Id.ToString() && r.Name == "Decide");
        Assert.Contains(cluster.Daprd.Turns, t => t.ActorType == "OracleActor" && t.ActorId == EscrowChain.Oracle.ToString() && t.Name == "ResumeAsync" && t.Outcome == "ok");
    }
}
