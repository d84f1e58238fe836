using System.Text.Json;
using System.Text.RegularExpressions;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Api.Tests.Sessions;

/// <summary>The stats view, sampled while the service attests: one naming style, and never a contradiction.</summary>
public partial class StatsViewTests
{
    [GeneratedRegex("^[a-z]+(-[a-z]+)*$")]
    private static partial Regex OneStyle();

    [Fact]
    public async Task Sampled_every_100_ms_across_an_attestation_the_stats_never_contradict_themselves()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 4 * 60);

        var seen = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var lastMine = DateTime.UtcNow;
        while (!seen.Contains("final"))
        {
            Assert.True(DateTime.UtcNow < deadline, $"never final; statuses seen: {string.Join(", ", seen)}");
            var stats = await s.StatsAsync();
            var status = AssertConsistent(stats);
            if (seen.Count == 0 || seen[^1] != status)
            {
                seen.Add(status);
            }
            // Blocks come only with transactions on this chain: one a second, as a real chain would make them.
            if (DateTime.UtcNow - lastMine > TimeSpan.FromSeconds(1))
            {
                await s.Chain.Anvil.MineBlocksAsync(1);
                lastMine = DateTime.UtcNow;
            }
            await Task.Delay(100);
        }

        // Forward only: nothing ever went back (no reorg here), and the mined state was seen on the way.
        var order = new[] { "none", "pending", "mined", "final" };
        Assert.Equal(seen.OrderBy(v => Array.IndexOf(order, v)), seen);
        Assert.Contains("final", seen);
        Assert.Equal(Outcome.Completed, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.OracleOutcome);
    }

    /// <summary>Checks one sample and returns the attestation's status ("none" before a decision is recorded).</summary>
    private static string AssertConsistent(JsonElement stats)
    {
        var bookingStatus = stats.GetProperty("bookingStatus").GetString()!;
        var decision = stats.GetProperty("decision");
        var kind = decision.GetProperty("kind").GetString()!;
        Assert.Matches(OneStyle(), bookingStatus);
        Assert.Matches(OneStyle(), kind);
        if (decision.GetProperty("outcome").GetString() is { } decidedOutcome)
        {
            Assert.Matches(OneStyle(), decidedOutcome);
        }
        var attestation = stats.GetProperty("attestation");
        if (attestation.ValueKind == JsonValueKind.Null)
        {
            Assert.Equal("booked", bookingStatus);
            Assert.Contains(kind, (string[])["wait", "attest"]);
            return "none";
        }
        var status = attestation.GetProperty("status").GetString()!;
        var outcome = attestation.GetProperty("outcome").GetString()!;
        Assert.Matches(OneStyle(), status);
        Assert.Matches(OneStyle(), outcome);
        Assert.Equal(("attest", outcome), (kind, decision.GetProperty("outcome").GetString()));
        Assert.Equal(status is "mined" or "final" ? "attested" : "booked", bookingStatus);
        Assert.Equal("1", stats.GetProperty("metrics").GetProperty("fields").GetProperty("outcome").GetString());
        return status;
    }
}
