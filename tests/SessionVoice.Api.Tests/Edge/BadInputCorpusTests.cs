using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Api.Hosting;

namespace SessionVoice.Api.Tests.Edge;

/// <summary>The service on anvil with every optional endpoint switched on, short HTTP timeouts, and its log lines kept.</summary>
public sealed class BadInputCorpusFixture : IAsyncLifetime
{
    public const string ServiceToken = "corpus-service-token-0123456789abcdef-0123456789";

    public EscrowChain Chain { get; private set; } = null!;

    public TestBooking Booking { get; private set; } = null!;

    public ApiHost Host { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public int Port { get; private set; }

    public LogCapture Logs { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Chain = await EscrowChain.StartAsync();
        Booking = await Chain.CreateBookingAsync(await Chain.NowAsync() - 60);
        var settings = ApiHost.ChainSettings(Chain, ApiHost.TempDataDir());
        settings["AGORA_WEBHOOK_SECRET"] = Webhooks.Secret;
        settings["SERVICE_TOKEN"] = ServiceToken;
        settings["SERVICE_TOKEN_FAILURES_PER_MINUTE"] = "100000";
        settings["SESSION_RATE_LIMIT_PER_MINUTE"] = "100000";
        Host = new ApiHost(settings, services: services =>
        {
            services.AddSingleton<ILoggerProvider>(Logs);
            services.Configure<KestrelServerOptions>(BadInputCorpusTests.ShortTimeouts);
        })
        { ValidateResponses = false };
        Client = Host.Client();
        Port = Client.BaseAddress!.Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await Chain.DisposeAsync();
    }
}

/// <summary>Every log line the host writes (after the configured filters), with its level and exception.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>
/// Hundreds of hostile requests over every endpoint, through HttpClient and raw TCP: each one is a 4xx with
/// <c>{ "error": "..." }</c> JSON (never a 2xx, never a 5xx, never an empty body), and afterwards the service still
/// serves a normal sign-in and join.
/// </summary>
public class BadInputCorpusTests(BadInputCorpusFixture fx) : IClassFixture<BadInputCorpusFixture>
{
    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);
    private static readonly PrivateKeySigner Stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);
    private static readonly byte[] JwtSecret = Encoding.UTF8.GetBytes(ApiHost.BaseSettings("x")["JWT_SECRET"]!);
    private static readonly string TwoTo256 = BigInteger.Pow(2, 256).ToString(CultureInfo.InvariantCulture);

    /// <summary>Headers must arrive within 1 s; a body at 100 B/s after a 2 s grace period.</summary>
    internal static void ShortTimeouts(KestrelServerOptions kestrel)
    {
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1);
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(100, TimeSpan.FromSeconds(2));
    }

    private sealed record Case(string Name, Func<Task<Answer>> Send);

    internal sealed record Answer(int Status, string? ContentType, string Body);

    [Fact]
    public async Task Every_hostile_request_is_a_json_4xx_and_the_service_keeps_serving()
    {
        var watch = Stopwatch.StartNew();
        var cases = await CorpusAsync();
        Assert.True(cases.Count >= 400, $"the corpus has {cases.Count} cases");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) =>
        {
            Answer answer;
            try
            {
                answer = await c.Send();
            }
            catch (Exception e)
            {
                failures.Enqueue($"{c.Name}: no answer ({e.GetType().Name}: {e.Message})");
                return;
            }
            statuses.AddOrUpdate(answer.Status, 1, (_, n) => n + 1);
            if (Problem(answer) is { } problem)
            {
                failures.Enqueue($"{c.Name}: {problem}");
            }
        });
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures.Order(StringComparer.Ordinal)));
        var distribution = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine($"{cases.Count} hostile requests in {watch.Elapsed.TotalSeconds:F1} s: {distribution}");
        Assert.True(statuses.Keys.Count >= 8, "statuses: " + distribution);

        // Nothing was logged as an unhandled failure, and the service still does its job.
        Assert.DoesNotContain(fx.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.GetAsync("/health")).StatusCode);
        var token = await fx.Client.SignInAsync(Host);
        var join = await fx.Client.PostJsonAsync("/session/join", new { booking_id = fx.Booking.Id.ToString() }, token);
        var grant = await join.JsonAsync();
        Assert.True(join.IsSuccessStatusCode, grant.ToString());
        Assert.Equal($"heaven-6343-{fx.Booking.Id}", grant.GetProperty("channel").GetString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the corpus took {watch.Elapsed}");
    }

    /// <summary>Null when the answer is a 4xx whose body is a JSON object with a non-empty string "error".</summary>
    private static string? Problem(Answer answer)
    {
        var text = answer.Body.Length > 300 ? answer.Body[..300] + "…" : answer.Body;
        if (answer.Status is < 400 or > 499)
        {
            return $"status {answer.Status}: {text}";
        }
        if (answer.ContentType != "application/json")
        {
            return $"status {answer.Status}, content type {answer.ContentType ?? "(none)"}: {text}";
        }
        try
        {
            using var doc = JsonDocument.Parse(answer.Body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("error", out var error)
                || error.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(error.GetString()))
            {
                return $"status {answer.Status}, no error string: {text}";
            }
        }
        catch (JsonException)
        {
            return $"status {answer.Status}, not JSON: {text}";
        }
        return null;
    }

    private async Task<List<Case>> CorpusAsync()
    {
        var cases = new List<Case>();
        void Add(string name, Func<Task<Answer>> send) => cases.Add(new Case(name, send));

        var id = fx.Booking.Id.ToString();
        var guestToken = await fx.Client.SignInAsync(Guest);
        var strangerToken = await fx.Client.SignInAsync(Stranger);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var message = $"heaven-session:{now}";
        var messageSignature = PersonalMessage.Sign(message, Guest);
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        var nonceSignature = PersonalMessage.Sign(nonce, Guest);

        // JSON endpoints: each field of an otherwise valid body.
        var endpoints = new (string Path, (string Name, string Json)[] Fields, string? Token)[]
        {
            ("/auth/nonce", [("wallet", Str(Guest.Address.ToString()))], null),
            ("/auth", [("wallet", Str(Guest.Address.ToString())), ("message", Str(message)), ("signature", Str(messageSignature.ToHex()))], null),
            ("/auth/verify", [("wallet", Str(Guest.Address.ToString())), ("nonce", Str(nonce)), ("signature", Str(nonceSignature.ToHex()))], null),
            ("/session/join", [("booking_id", Str(id))], guestToken),
        };
        string[] badValues =
        [
            "null", "true", "false", "0", "-1", "1.5", "1e400", "-1e400", TwoTo256, "-" + TwoTo256, "[]", "{}", "[\"x\"]", "{\"a\":\"b\"}",
            Str(""), Str(" "), "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\"", "\"\\ud800\\u0041\"", Str(new string('a', 12_000)), Str("0x"), Str("0xZZ"),
            Str("0x" + new string('0', 41)), Str("-1"), Str("1e3"), Str("+1"), Str(" 1"), Str("é"), "\"\\n\"", Str(TwoTo256), Str("<script>"),
            Str("' OR 1=1 --"), Str("../../etc/passwd"),
        ];
        foreach (var (path, fields, token) in endpoints)
        {
            var bearer = token is null ? null : "Bearer " + token;
            foreach (var (field, _) in fields)
            {
                for (var i = 0; i < badValues.Length; i++)
                {
                    var body = Body(fields.Select(f => f.Name == field ? (f.Name, badValues[i]) : f));
                    Add($"{path} {field}=bad#{i}", () => HttpAsync(HttpMethod.Post, path, Utf8(body), token: bearer));
                }
                var missing = Body(fields.Where(f => f.Name != field));
                Add($"{path} without {field}", () => HttpAsync(HttpMethod.Post, path, Utf8(missing), token: bearer));
                var twice = Body([.. fields, .. fields.Where(f => f.Name == field)]);
                Add($"{path} {field} twice", () => HttpAsync(HttpMethod.Post, path, Utf8(twice), token: bearer));
                var twiceDifferent = Body([.. fields, (field, "1")]);
                Add($"{path} {field} twice, differently", () => HttpAsync(HttpMethod.Post, path, Utf8(twiceDifferent), token: bearer));
                var renamed = Body(fields.Select(f => f.Name == field ? (char.ToUpperInvariant(f.Name[0]) + f.Name[1..], f.Json) : f));
                Add($"{path} {field} in another case", () => HttpAsync(HttpMethod.Post, path, Utf8(renamed), token: bearer));
            }

            // Whole bodies that are not a JSON object (or not JSON, or not text).
            var valid = Body(fields);
            var malformed = MalformedBodies(valid);
            foreach (var (name, bytes) in malformed)
            {
                Add($"{path} body {name}", () => HttpAsync(HttpMethod.Post, path, bytes, token: bearer));
            }
            foreach (var contentType in new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonx", "json", "*/*", "application/", "a/b/c" })
            {
                Add($"{path} as {contentType}", () => HttpAsync(HttpMethod.Post, path, Utf8(valid), contentType, bearer));
            }
            Add($"{path} without a content type", () => HttpAsync(HttpMethod.Post, path, Utf8(valid), contentType: null, token: bearer));
            Add($"{path} body over 16 KiB", () => HttpAsync(HttpMethod.Post, path, Utf8("{\"x\":\"" + new string('a', 17_000) + "\"}"), token: bearer));
            Add($"{path} chunked body over 16 KiB", () => RawAsync(Chunked("POST", path, "{\"x\":\"" + new string('a', 17_000) + "\"}", bearer)));
            Add($"{path} declares 1 MB, sends 10 bytes", () => RawAsync(Latin1(Head("POST", path, bearer, ("Content-Type", "application/json"), ("Content-Length", "1000000")) + "{\"wallet\":")));
        }

        // Signatures: wrong lengths, malleable (high-s), every v with a signature over another text, the other parity.
        foreach (var (path, text, signature, build) in new (string, string, Signature, Func<string, string>)[]
        {
            ("/auth", message, messageSignature, s => Body([("wallet", Str(Guest.Address.ToString())), ("message", Str(message)), ("signature", Str(s))])),
            ("/auth/verify", nonce, nonceSignature, s => Body([("wallet", Str(Guest.Address.ToString())), ("nonce", Str(nonce)), ("signature", Str(s))])),
        })
        {
            var genuine = signature.ToBytes();
            var other = PersonalMessage.Sign(text + "x", Guest).ToBytes();
            var badSignatures = new List<(string Name, byte[] Bytes)>
            {
                ("64 bytes", genuine[..64]), ("66 bytes", [.. genuine, 0]), ("1 byte", [genuine[0]]), ("130 bytes", [.. genuine, .. genuine]),
                ("high s", new Signature(signature.R, Secp256k1.Order - signature.S, (byte)(1 - signature.RecoveryId)).ToBytes()),
                ("r = 0", [.. new byte[32], .. genuine[32..]]), ("s = 0", [.. genuine[..32], .. new byte[32], genuine[64]]),
                ("all ff", Enumerable.Repeat((byte)0xFF, 65).ToArray()), ("all zero", new byte[65]),
                ("r = n", [.. Secp256k1.Order.ToByteArray(isUnsigned: true, isBigEndian: true), .. genuine[32..]]),
                ("other parity", [.. genuine[..64], (byte)(27 + (1 - signature.RecoveryId))]),
                ("other parity, raw v", [.. genuine[..64], (byte)(1 - signature.RecoveryId)]),
                ("by a stranger", PersonalMessage.Sign(text, Stranger).ToBytes()),
            };
            foreach (var v in new byte[] { 0, 1, 27, 28, 99 })
            {
                badSignatures.Add(($"other text, v={v}", [.. other[..64], v]));
            }
            foreach (var (name, bytes) in badSignatures)
            {
                var body = build(Hex.Encode(bytes));
                Add($"{path} signature {name}", () => HttpAsync(HttpMethod.Post, path, Utf8(body)));
            }
            Add($"{path} signature without 0x", () => HttpAsync(HttpMethod.Post, path, Utf8(build(Hex.Encode(genuine)[2..]))));
            Add($"{path} signature 4 KiB of hex", () => HttpAsync(HttpMethod.Post, path, Utf8(build("0x" + new string('a', 4100)))));
        }

        // Replays and forged nonces: each step of a case runs in order.
        Add("/auth/verify replayed nonce", async () =>
        {
            var fresh = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Stranger.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
            var body = Utf8(Body([("wallet", Str(Stranger.Address.ToString())), ("nonce", Str(fresh)), ("signature", Str(PersonalMessage.Sign(fresh, Stranger).ToHex()))]));
            var first = await HttpAsync(HttpMethod.Post, "/auth/verify", body);
            return first.Status == 200 ? await HttpAsync(HttpMethod.Post, "/auth/verify", body) : first with { Status = 600 + first.Status };
        });
        Add("/auth replayed message", async () =>
        {
            var text = $"heaven-session:{DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 7}";
            var body = Utf8(Body([("wallet", Str(Stranger.Address.ToString())), ("message", Str(text)), ("signature", Str(PersonalMessage.Sign(text, Stranger).ToHex()))]));
            var first = await HttpAsync(HttpMethod.Post, "/auth", body);
            return first.Status == 200 ? await HttpAsync(HttpMethod.Post, "/auth", body) : first with { Status = 600 + first.Status };
        });
        Add("/auth/verify nonce of another wallet", () => HttpAsync(HttpMethod.Post, "/auth/verify",
            Utf8(Body([("wallet", Str(Stranger.Address.ToString())), ("nonce", Str(nonce)), ("signature", Str(PersonalMessage.Sign(nonce, Stranger).ToHex()))]))));
        var forgedNonces = new[] { "abc", nonce[..^1] + (nonce[^1] == 'A' ? 'B' : 'A'), nonce + "x", string.Equals(nonce.ToUpperInvariant(), nonce, StringComparison.Ordinal) ? nonce.ToLowerInvariant() : nonce.ToUpperInvariant(), new string('0', 64) };
        for (var i = 0; i < forgedNonces.Length; i++)
        {
            var forged = forgedNonces[i];
            Add($"/auth/verify forged nonce #{i}", () => HttpAsync(HttpMethod.Post, "/auth/verify",
                Utf8(Body([("wallet", Str(Guest.Address.ToString())), ("nonce", Str(forged)), ("signature", Str(PersonalMessage.Sign(forged, Guest).ToHex()))]))));
        }
        foreach (var (name, offset) in new[] { ("from an hour ago", -3600L), ("from an hour ahead", 3600L), ("from 1970", -now + 1) })
        {
            var text = $"heaven-session:{now + offset}";
            Add($"/auth message {name}", () => HttpAsync(HttpMethod.Post, "/auth",
                Utf8(Body([("wallet", Str(Guest.Address.ToString())), ("message", Str(text)), ("signature", Str(PersonalMessage.Sign(text, Guest).ToHex()))]))));
        }

        // Bearer tokens on every session route.
        var nowSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var guestSub = Guest.Address.ToString();
        var badTokens = new (string Name, string? Header)[]
        {
            ("no token", null), ("empty bearer", "Bearer "), ("bearer garbage", "Bearer garbage"), ("basic", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("a:b"))),
            ("two dots", "Bearer .."), ("token without scheme", guestToken), ("token plus garbage", "Bearer " + guestToken + "x"),
            ("alg none", "Bearer " + Jwt("none", Claims(guestSub, nowSeconds), null)),
            ("forged key", "Bearer " + Jwt("HS256", Claims(guestSub, nowSeconds), Encoding.UTF8.GetBytes("another-secret-that-is-long-enough-0123456789"))),
            ("expired", "Bearer " + Jwt("HS256", Claims(guestSub, nowSeconds - 7200), JwtSecret)),
            ("not yet valid", "Bearer " + Jwt("HS256", Claims(guestSub, nowSeconds + 7200), JwtSecret)),
            ("wrong issuer", "Bearer " + Jwt("HS256", Claims(guestSub, nowSeconds, issuer: "someone-else"), JwtSecret)),
            ("wrong audience", "Bearer " + Jwt("HS256", Claims(guestSub, nowSeconds, audience: "someone-else"), JwtSecret)),
            ("HS512", "Bearer " + Jwt("HS512", Claims(guestSub, nowSeconds), JwtSecret)),
            ("sub not a wallet", "Bearer " + Jwt("HS256", Claims("not-a-wallet", nowSeconds), JwtSecret)),
            ("no expiry", "Bearer " + Jwt("HS256", Claims(guestSub, nowSeconds, expires: false), JwtSecret)),
        };
        var sessionRoutes = new (HttpMethod Method, string Path, bool Body)[]
        {
            (HttpMethod.Post, "/session/join", true), (HttpMethod.Post, $"/session/{id}/leave", false), (HttpMethod.Post, $"/session/{id}/token", false), (HttpMethod.Get, $"/session/{id}/stats", false),
        };
        foreach (var (method, path, hasBody) in sessionRoutes)
        {
            foreach (var (name, header) in badTokens)
            {
                Add($"{method} {path} {name}", () => HttpAsync(method, path, hasBody ? Utf8(Body([("booking_id", Str(id))])) : null, token: header));
            }
            Add($"{method} {path} by a stranger", () => HttpAsync(method, path, hasBody ? Utf8(Body([("booking_id", Str(id))])) : null, token: "Bearer " + strangerToken));
        }
        foreach (var route in new[] { "leave", "token", "stats" })
        {
            var method = route == "stats" ? HttpMethod.Get : HttpMethod.Post;
            foreach (var badId in new[] { "abc", "-1", "1.5", "0x1", TwoTo256, "%20" + id, "1e3", new string('9', 5000), "987654321987654321", "%00" })
            {
                Add($"{method} /session/{(badId.Length > 20 ? badId[..20] : badId)}/{route}", () => HttpAsync(method, $"/session/{badId}/{route}", token: "Bearer " + guestToken));
            }
        }

        // Service-token routes.
        var tokenVariants = new (string Name, (string, string)[] Headers)[]
        {
            ("no token", []), ("wrong token", [("X-Service-Token", "wrong")]), ("empty token", [("X-Service-Token", "")]),
            ("long token", [("X-Service-Token", new string('t', 10_000))]), ("token and a space", [("X-Service-Token", BadInputCorpusFixture.ServiceToken + " x")]),
            ("upper-case token", [("X-Service-Token", BadInputCorpusFixture.ServiceToken.ToUpperInvariant())]), ("dapr header", [("dapr-api-token", BadInputCorpusFixture.ServiceToken)]),
            ("bearer instead", [("Authorization", "Bearer " + BadInputCorpusFixture.ServiceToken)]),
        };
        foreach (var path in new[] { $"/session/{id}/attest", "/attest-sweep", $"/session/{id}/attest?force_outcome=completed" })
        {
            foreach (var (name, headers) in tokenVariants)
            {
                Add($"POST {path} {name}", () => HttpAsync(HttpMethod.Post, path, headers: headers));
            }
        }
        var service = new[] { ("X-Service-Token", BadInputCorpusFixture.ServiceToken) };
        foreach (var badId in new[] { "abc", "-1", "0x10", TwoTo256, "987654321987654321" })
        {
            Add($"POST /session/{badId[..Math.Min(20, badId.Length)]}/attest", () => HttpAsync(HttpMethod.Post, $"/session/{badId}/attest", headers: service));
        }
        foreach (var force in new[] { "completed", "bogus", "" })
        {
            Add($"POST attest force_outcome={force} (disabled)", () => HttpAsync(HttpMethod.Post, $"/session/{id}/attest?force_outcome={force}", headers: service));
        }

        // Webhooks: forged and unsigned notices, and signed ones with a field of the wrong type.
        var channel = $"heaven-6343-{id}";
        var (hostUid, _) = Core.Agora.AgoraUid.ForParticipants(fx.Booking.Host, fx.Booking.Guest);
        var noticeTop = new (string, string)[] { ("noticeId", Str("corpus")), ("productId", "1"), ("eventType", "103"), ("notifyMs", (nowSeconds * 1000).ToString(CultureInfo.InvariantCulture)) };
        var noticePayload = new (string, string)[] { ("clientSeq", "5"), ("uid", hostUid.ToString(CultureInfo.InvariantCulture)), ("channelName", Str(channel)), ("platform", "7"), ("ts", nowSeconds.ToString(CultureInfo.InvariantCulture)) };
        string Notice(IEnumerable<(string, string)> top, IEnumerable<(string, string)> payload) => Body([.. top, ("payload", Body(payload))]);
        var genuineNotice = Notice(noticeTop, noticePayload);
        var signatures = new (string Name, Func<string, (string, string)[]> Headers)[]
        {
            ("unsigned", _ => []), ("signed with another secret", b => [("Agora-Signature-V2", Webhooks.Sign(b, "another-secret"))]),
            ("signature not hex", _ => [("Agora-Signature-V2", new string('z', 64))]), ("signature too short", b => [("Agora-Signature-V2", Webhooks.Sign(b)[..62])]),
            ("signature too long", b => [("Agora-Signature-V2", Webhooks.Sign(b) + "00")]), ("signature of another body", b => [("Agora-Signature-V2", Webhooks.Sign(b + " "))]),
#pragma warning disable CA5350 // Agora's older signature is HMAC-SHA1; the service refuses it unless told otherwise.
            ("sha1 header only", b => [("Agora-Signature", Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Webhooks.Secret), Encoding.UTF8.GetBytes(b))))]),
#pragma warning restore CA5350
            ("empty signature", _ => [("Agora-Signature-V2", "")]),
        };
        var webhookBodies = new List<(string Name, string Body)> { ("join", genuineNotice), ("leave", Notice([.. noticeTop.Where(f => f.Item1 != "eventType"), ("eventType", "104")], noticePayload)) };
        foreach (var (name, headers) in signatures)
        {
            foreach (var (kind, body) in webhookBodies)
            {
                Add($"webhook {kind} {name}", () => HttpAsync(HttpMethod.Post, "/webhooks/agora", Utf8(body), headers: headers(body)));
            }
        }
        string[] wrongTypes = ["\"1\"", "1.5", "1e400", TwoTo256, "[]", "{}", "true", "\"\\ud800\""];
        foreach (var (field, _) in noticeTop)
        {
            // Only values no notice may carry: a negative productId or eventType is some other product's notice (acknowledged).
            var values = field switch
            {
                "noticeId" => wrongTypes.Where(v => !v.StartsWith('"')).Append(Str("")),
                "notifyMs" => wrongTypes.Append("-1"),
                _ => wrongTypes,
            };
            foreach (var value in values)
            {
                var body = Notice(noticeTop.Select(f => f.Item1 == field ? (f.Item1, value) : f), noticePayload);
                Add($"webhook signed, {field}={value[..Math.Min(12, value.Length)]}", () => HttpAsync(HttpMethod.Post, "/webhooks/agora", Utf8(body), headers: [("Agora-Signature-V2", Webhooks.Sign(body))]));
            }
        }
        foreach (var (field, _) in noticePayload.Where(f => f.Item1 != "platform"))
        {
            IEnumerable<string> values = field switch
            {
                "channelName" => ["1", "[]", "{}", "true"],
                "uid" => wrongTypes.Append("-1").Append("4294967296").Append("null"),
                "ts" => wrongTypes.Append("-1").Append("1099511627776").Append("null"),
                _ => wrongTypes.Append("null"),
            };
            foreach (var value in values)
            {
                var body = Notice(noticeTop, noticePayload.Select(f => f.Item1 == field ? (f.Item1, value) : f));
                Add($"webhook signed, payload.{field}={value[..Math.Min(12, value.Length)]}", () => HttpAsync(HttpMethod.Post, "/webhooks/agora", Utf8(body), headers: [("Agora-Signature-V2", Webhooks.Sign(body))]));
            }
        }
        foreach (var (name, bytes) in MalformedBodies(genuineNotice))
        {
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Webhooks.Secret), bytes));
            Add($"webhook signed body {name}", () => HttpAsync(HttpMethod.Post, "/webhooks/agora", bytes, headers: [("Agora-Signature-V2", signature)]));
        }
        var noticeTwice = "{\"noticeId\":\"a\"," + genuineNotice[1..];
        Add("webhook signed, noticeId twice", () => HttpAsync(HttpMethod.Post, "/webhooks/agora", Utf8(noticeTwice), headers: [("Agora-Signature-V2", Webhooks.Sign(noticeTwice))]));
        var bigNotice = "{\"noticeId\":\"" + new string('a', 70_000) + "\"}";
        Add("webhook body over 64 KiB", () => HttpAsync(HttpMethod.Post, "/webhooks/agora", Utf8(bigNotice), headers: [("Agora-Signature-V2", Webhooks.Sign(bigNotice))]));
        Add("webhook chunked body over 64 KiB", () => RawAsync(Chunked("POST", "/webhooks/agora", bigNotice, null)));

        // Wrong methods on every route.
        var routes = new (string Path, string[] Wrong)[]
        {
            ("/auth/nonce", ["GET", "PUT", "DELETE", "PATCH"]), ("/auth", ["GET", "PUT", "DELETE", "PATCH"]), ("/auth/verify", ["GET", "PUT", "DELETE"]),
            ("/session/join", ["GET", "PUT", "DELETE"]), ($"/session/{id}/leave", ["GET", "PUT", "DELETE"]), ($"/session/{id}/token", ["GET", "PUT", "DELETE"]),
            ($"/session/{id}/stats", ["POST", "PUT", "DELETE"]), ($"/session/{id}/attest", ["GET", "PUT"]), ("/attest-sweep", ["GET", "DELETE"]),
            ("/webhooks/agora", ["GET", "PUT", "DELETE"]), ("/health", ["POST", "PUT", "DELETE", "PATCH"]), ("/health/ready", ["POST", "DELETE"]),
            ("/openapi/v1.json", ["POST", "DELETE"]),
        };
        foreach (var (path, wrong) in routes)
        {
            foreach (var method in wrong.Append("TRACE").Append("FOO"))
            {
                Add($"{method} {path}", () => HttpAsync(new HttpMethod(method), path, method is "GET" or "TRACE" ? null : Utf8("{}"), token: "Bearer " + guestToken));
            }
        }

        // Paths that go nowhere, sent as they are (HttpClient would resolve the dots).
        foreach (var path in new[]
        {
            "/../etc/passwd", "/health/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/session/..%2f..%2fetc%2fpasswd/stats", "/..\\..\\windows\\win.ini",
            "/%00", "/health%00", "/appsettings.json", "/.env", "/.git/config", "/openapi/../../appsettings.json", "/session/" + id + "/stats/..%2f..%2f..%2fhealth",
            "/auth/nonce/", "/AUTH/NONCE/x", "/session//stats", "/session/" + id, "/webhooks", "/metrics", "/dapr/config", "/session/" + id + "/attest/../attest/x",
            "/" + new string('a', 4000), "/%", "/%zz", "/%c0%ae%c0%ae/etc/passwd", "/\u00e9",
        })
        {
            Add($"raw GET {(path.Length > 40 ? path[..40] : path)}", () => RawAsync(Latin1(Head("GET", path, null))));
        }

        // Protocol: request lines, headers, framing and sizes Kestrel refuses itself.
        var rawCases = new (string Name, string Request)[]
        {
            ("garbage line", "GARBAGE\r\n\r\n"), ("method only", "GET\r\n\r\n"), ("no version", "GET /\r\n\r\n"), ("HTTP/9.9", "GET / HTTP/9.9\r\nHost: x\r\n\r\n"),
            ("HTTP/2.0 line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n"), ("HTTX", "GET / HTTX/1.1\r\nHost: x\r\n\r\n"), ("double space", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("control character in target", "GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n"), ("NUL in method", "G\0T / HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("asterisk target", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"), ("authority target", "GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("no host", "GET /health HTTP/1.1\r\n\r\n"), ("two hosts", "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            ("host not matching the absolute target", "GET http://a/health HTTP/1.1\r\nHost: b\r\n\r\n"), ("header without colon", "GET /health HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
            ("space in header name", "GET /health HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"), ("space before colon", "GET /health HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n"),
            ("NUL in header value", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"), ("folded header", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"),
            ("bare CR", "GET /health HTTP/1.1\rHost: x\r\n\r\n"), ("empty header name", "GET /health HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"),
            ("negative content length", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}"),
            ("content length not a number", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}"),
            ("two content lengths", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
            ("content length overflow", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999999\r\n\r\n{}"),
            ("gzip transfer coding", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}"),
            ("chunked then gzip", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
            ("chunk size not hex", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
            ("chunk longer than said", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n"),
            ("chunk without CRLF", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}0\r\n\r\n"),
            ("chunk size overflow", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n"),
            ("chunk extension garbage", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;\0\r\n{}\r\n0\r\n\r\n"),
            ("chunked and content length", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n"),
            ("HTTP/1.0 POST without length", "POST /auth/nonce HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n\r\n{}"),
            ("request line over 8 KiB", "GET /health?" + new string('a', 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("header over 32 KiB", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 33_000) + "\r\n\r\n"),
            ("header name over 32 KiB", "GET /health HTTP/1.1\r\nHost: x\r\n" + new string('a', 33_000) + ": 1\r\n\r\n"),
            ("101 headers", "GET /health HTTP/1.1\r\nHost: x\r\n" + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-{i}: {i}\r\n")) + "\r\n"),
            ("headers over 32 KiB in total", "GET /health HTTP/1.1\r\nHost: x\r\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"X-{i}: {new string('b', 1000)}\r\n")) + "\r\n"),
            ("huge cookie on a JSON route", "POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCookie: " + new string('c', 40_000) + "\r\nContent-Length: 2\r\n\r\n{}"),
        };
        foreach (var (name, request) in rawCases)
        {
            Add($"raw {name}", () => RawAsync(Latin1(request)));
        }
        // Pipelined on one connection: a good request, then a malformed one; the second answer is the one that counts.
        Add("raw malformed after a good request", async () =>
        {
            var answers = await SendRawAsync(fx.Port, Latin1("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nBad Name: 1\r\n\r\n"), responses: 2);
            return answers[0].Status == 200 ? answers[1] : answers[0] with { Status = 600 + answers[0].Status };
        });
        Add("raw invalid UTF-8 in the body", () => RawAsync([.. Latin1(Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Content-Length", "15"))), .. "{\"wallet\":\""u8, 0xC3, 0x28, .. "\"}"u8]));

        // Too slow: headers that never end, and a body that stops.
        Add("raw slow headers", () => RawAsync(Latin1("POST /auth/nonce HTTP/1.1\r\nHost: x\r\nContent-Type: applic")));
        Add("raw slow body", () => RawAsync(Latin1(Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Content-Length", "1000")) + "{\"wallet\":\"0x")));
        Add("raw slow chunked body", () => RawAsync(Latin1(Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")) + "10\r\n{\"wallet\":")));
        return cases;
    }

    /// <summary>Bodies that are not one JSON object: cut short, not JSON, not UTF-8, nested too deep, two objects.</summary>
    private static List<(string Name, byte[] Bytes)> MalformedBodies(string valid)
    {
        var list = new List<(string, byte[])>
        {
            ("empty", []), ("open brace", Utf8("{")), ("close brace", Utf8("}")), ("array", Utf8("[]")), ("array of object", Utf8("[{}]")), ("null", Utf8("null")),
            ("true", Utf8("true")), ("number", Utf8("1")), ("string", Utf8("\"x\"")), ("two objects", Utf8(valid + valid)), ("single quotes", Utf8("{'wallet':'x'}")),
            ("bare key", Utf8("{wallet:\"x\"}")), ("trailing comma", Utf8(valid[..^1] + ",}")), ("comment", Utf8("/*c*/" + valid)), ("NaN", Utf8("{\"a\":NaN}")),
            ("Infinity", Utf8("{\"a\":Infinity}")), ("nested arrays", Utf8("{\"a\":" + new string('[', 100) + new string(']', 100) + "}")),
            ("nested objects", Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40))),
            ("invalid UTF-8 in a string", [.. "{\"wallet\":\"a"u8, 0xFF, 0xFE, .. "\"}"u8]), ("overlong UTF-8", [.. "{\"wallet\":\""u8, 0xC0, 0xAF, .. "\"}"u8]),
            ("binary", [0xFF, 0xFE, 0x00, 0x01, 0x02]), ("NUL bytes", [0, 0, 0, 0]), ("UTF-16", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(valid)]),
            ("form encoded", Utf8("wallet=0x1&nonce=2")), ("XML", Utf8("<wallet>0x1</wallet>")), ("unterminated string", Utf8("{\"wallet\":\"0x1")),
        };
        foreach (var fraction in new[] { 0.25, 0.5, 0.75 })
        {
            list.Add(($"cut at {fraction:P0}", Utf8(valid[..(int)(valid.Length * fraction)])));
        }
        list.Add(("last byte missing", Utf8(valid[..^1])));
        return list;
    }

    private static string Str(string value) => JsonSerializer.Serialize(value);

    private static string Body(IEnumerable<(string Name, string Json)> fields) => "{" + string.Join(",", fields.Select(f => Str(f.Name) + ":" + f.Json)) + "}";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static string Claims(string sub, long issuedAt, string issuer = "session-voice", string audience = "session-voice", bool expires = true) =>
        "{\"sub\":" + Str(sub) + ",\"jti\":\"corpus\",\"iss\":" + Str(issuer) + ",\"aud\":" + Str(audience) + ",\"iat\":" + issuedAt + ",\"nbf\":" + issuedAt
        + (expires ? ",\"exp\":" + (issuedAt + 3600) : "") + "}";

    private static string Jwt(string alg, string claims, byte[]? key)
    {
        var input = Base64Url("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}") + "." + Base64Url(claims);
        var data = Encoding.ASCII.GetBytes(input);
        var mac = key is null ? [] : alg == "HS512" ? HMACSHA512.HashData(key, data) : HMACSHA256.HashData(key, data);
        return input + "." + Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Head(string method, string path, string? authorization, params (string Name, string Value)[] headers)
    {
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if (authorization is not null)
        {
            head.Append("Authorization: ").Append(authorization).Append("\r\n");
        }
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        return head.Append("\r\n").ToString();
    }

    private static byte[] Chunked(string method, string path, string body, string? authorization)
    {
        var text = new StringBuilder(Head(method, path, authorization, ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")));
        foreach (var chunk in body.Chunk(4096))
        {
            text.Append(chunk.Length.ToString("x", CultureInfo.InvariantCulture)).Append("\r\n").Append(chunk).Append("\r\n");
        }
        return Latin1(text.Append("0\r\n\r\n").ToString());
    }

    private async Task<Answer> HttpAsync(HttpMethod method, string path, byte[]? body = null, string? contentType = "application/json", string? token = null, (string Name, string Value)[]? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", token);
        }
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            using var response = await fx.Client.SendAsync(request);
            return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            // A refused upload may close the connection before the client has sent it all: ask again without keep-alive
            // over a raw socket, which reads the answer whatever happens to the rest of the upload.
            var raw = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            foreach (var header in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
            {
                if (header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                raw.Append(header.Key).Append(": ").Append(string.Join(",", header.Value)).Append("\r\n");
            }
            raw.Append("Content-Length: ").Append(body?.Length ?? 0).Append("\r\n\r\n");
            return await RawAsync([.. Latin1(raw.ToString()), .. body ?? []]);
        }
    }

    /// <summary>
    /// The limit counts body bytes, not chunk framing: 64 KiB in 16-byte chunks (about 28 KiB of sizes and CRLFs on top)
    /// is read whole and answered on its merits; one byte more is 413.
    /// </summary>
    [Fact]
    public async Task A_chunked_body_of_exactly_the_limit_in_small_chunks_is_read_whole()
    {
        byte[] Request(int bytes)
        {
            var body = "{\"wallet\":\"" + new string('a', bytes - 13) + "\"}";
            Assert.Equal(bytes, body.Length);
            var text = new StringBuilder(Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")));
            foreach (var chunk in body.Chunk(16))
            {
                text.Append(chunk.Length.ToString("x", CultureInfo.InvariantCulture)).Append("\r\n").Append(chunk).Append("\r\n");
            }
            return Latin1(text.Append("0\r\n\r\n").ToString());
        }
        var atLimit = await RawAsync(Request(Infrastructure.RequestBodies.MaxBytes));
        Assert.Equal((400, "{\"error\":\"wallet must be a 0x-prefixed 20-byte address\"}"), (atLimit.Status, atLimit.Body));
        var over = await RawAsync(Request(Infrastructure.RequestBodies.MaxBytes + 1));
        Assert.Equal((413, "{\"error\":\"request body too large\"}"), (over.Status, over.Body));
    }

    /// <summary>
    /// A declared length ends the body read early only without Transfer-Encoding: a chunked body that also says
    /// Content-Length: 2 is refused by Kestrel or read whole, never judged by its first two bytes.
    /// </summary>
    [Fact]
    public async Task A_chunked_body_with_a_shorter_content_length_is_not_cut_at_that_length()
    {
        const string body = "{\"wallet\":\"0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc\"}";
        var request = Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Content-Length", "2"), ("Transfer-Encoding", "chunked"))
            + body.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n" + body + "\r\n0\r\n\r\n";
        var answer = await RawAsync(Latin1(request));
        Assert.True(answer.Status == 400 && answer.Body == "{\"error\":\"bad request\"}" || answer.Status == 200 && answer.Body.Contains("\"nonce\"", StringComparison.Ordinal),
            $"{answer.Status} {answer.Body}");
        // The same body with its true length is read whole; one byte short of it is the truncated object it then is.
        var declared = Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture))) + body;
        Assert.Equal(200, (await RawAsync(Latin1(declared))).Status);
        var shorter = Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Content-Length", (body.Length - 1).ToString(CultureInfo.InvariantCulture))) + body;
        var cut = await RawAsync(Latin1(shorter));
        Assert.Equal((400, "{\"error\":\"malformed JSON\"}"), (cut.Status, cut.Body));
    }

    private async Task<Answer> RawAsync(byte[] request) => (await SendRawAsync(fx.Port, request))[0];

    /// <summary>
    /// Bytes over a fresh TCP connection; <paramref name="responses"/> answers are read, each up to its end (length,
    /// chunks or close). A connection closed before them all ends the list with a status-0 answer.
    /// </summary>
    internal static async Task<List<Answer>> SendRawAsync(int port, byte[] request, int responses = 1)
    {
        var answers = new List<Answer>();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await stream.WriteAsync(request, deadline.Token);
        }
        catch (IOException)
        {
            // The server answered and closed before reading it all: its answer is still there to read.
        }
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            while (TryParse([.. received], complete: false) is { } parsed)
            {
                answers.Add(parsed.Answer);
                if (answers.Count == responses)
                {
                    return answers;
                }
                received.RemoveRange(0, parsed.Length);
            }
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, deadline.Token);
            }
            catch (IOException)
            {
                read = 0;
            }
            if (read == 0)
            {
                answers.Add(TryParse([.. received], complete: true)?.Answer ?? new Answer(0, null, $"connection closed after {received.Count} bytes: {Encoding.Latin1.GetString([.. received])}"));
                return answers;
            }
            received.AddRange(buffer.AsSpan(0, read));
        }
    }

    /// <summary>The first response in <paramref name="bytes"/> and its length, once all of it is there.</summary>
    private static (Answer Answer, int Length)? TryParse(byte[] bytes, bool complete)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }
        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var contentType = headers.TryGetValue("Content-Type", out var type) ? type.Split(';')[0].Trim() : null;
        var rest = bytes.AsSpan(end + 4);
        if (headers.TryGetValue("Content-Length", out var lengthText))
        {
            var length = int.Parse(lengthText, CultureInfo.InvariantCulture);
            return rest.Length >= length ? (new Answer(status, contentType, Encoding.UTF8.GetString(rest[..length])), end + 4 + length) : null;
        }
        if (headers.TryGetValue("Transfer-Encoding", out var coding) && coding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new List<byte>();
            var position = 0;
            while (true)
            {
                var lineEnd = rest[position..].IndexOf("\r\n"u8);
                if (lineEnd < 0)
                {
                    return null;
                }
                var size = int.Parse(Encoding.ASCII.GetString(rest.Slice(position, lineEnd)).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                position += lineEnd + 2;
                if (size == 0)
                {
                    // The last chunk, then an empty trailer line.
                    return rest.Length >= position + 2 ? (new Answer(status, contentType, Encoding.UTF8.GetString([.. body])), end + 4 + position + 2) : null;
                }
                if (rest.Length < position + size + 2)
                {
                    return null;
                }
                body.AddRange(rest.Slice(position, size));
                position += size + 2;
            }
        }
        return complete ? (new Answer(status, contentType, Encoding.UTF8.GetString(rest)), bytes.Length) : null;
    }

    [Fact]
    public async Task Each_oversized_or_slow_request_is_one_warning_line_and_nothing_is_logged_as_a_failure()
    {
        var logs = new LogCapture();
        await using var host = new ApiHost(MockSettings(), services: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.Configure<KestrelServerOptions>(ShortTimeouts);
        })
        { ValidateResponses = false };
        using var client = host.Client();
        var port = client.BaseAddress!.Port;
        var requests = new (string Name, byte[] Request, int Status, string Error)[]
        {
            ("request line", Latin1("GET /health?" + new string('a', 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "request line too long"),
            ("headers", Latin1("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 33_000) + "\r\n\r\n"), 431, "request headers too large"),
            ("declared body", Latin1(Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Content-Length", "70000")) + "{"), 413, "request body too large"),
            ("chunked body", Chunked("POST", "/auth/nonce", "{\"x\":\"" + new string('a', 70_000) + "\"}", null), 413, "request body too large"),
            ("slow headers", Latin1("GET /health HTTP/1.1\r\nHost: x\r\nX-A: "), 408, "request timeout"),
            ("slow body", Latin1(Head("POST", "/auth/nonce", null, ("Content-Type", "application/json"), ("Content-Length", "1000")) + "{\"wallet\":"), 408, "request timeout"),
        };
        foreach (var (name, request, status, error) in requests)
        {
            var before = logs.Entries.Count(e => e.Level >= LogLevel.Warning);
            var answer = (await SendRawAsync(port, request))[0];
            Assert.True(answer.Status == status, $"{name}: {answer}");
            Assert.Equal("application/json", answer.ContentType);
            Assert.Equal(error, JsonDocument.Parse(answer.Body).RootElement.GetProperty("error").GetString());
            // The line is written as the answer goes out: wait for it, briefly.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (logs.Entries.Count(e => e.Level >= LogLevel.Warning) == before && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            var lines = logs.Entries.Where(e => e.Level >= LogLevel.Warning).Skip(before).ToList();
            Assert.True(lines.Count == 1, $"{name}: {string.Join(" | ", lines.Select(l => $"{l.Level} {l.Category}: {l.Message}"))}");
            Assert.Equal(LogLevel.Warning, lines[0].Level);
            Assert.Null(lines[0].Exception);
            Assert.Contains(error, lines[0].Message, StringComparison.Ordinal);
        }
        Assert.True((await client.GetAsync("/health")).IsSuccessStatusCode);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task The_listener_from_PORT_answers_json_refusals_too()
    {
        // The service as Program builds it (no test server, no listener of the test's own): PORT and BIND_ADDRESS.
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection([.. MockSettings(), new("PORT", port.ToString(CultureInfo.InvariantCulture))]);
        builder.AddSessionVoice();
        await using var app = builder.Build();
        app.UseSessionVoice();
        await app.StartAsync();
        Assert.Contains($"http://127.0.0.1:{port}", app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses);

        var garbage = (await SendRawAsync(port, Latin1("GARBAGE\r\n\r\n")))[0];
        Assert.Equal(400, garbage.Status);
        Assert.Equal("application/json", garbage.ContentType);
        Assert.Equal("bad request", JsonDocument.Parse(garbage.Body).RootElement.GetProperty("error").GetString());
        var tooLarge = (await SendRawAsync(port, Latin1("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 33_000) + "\r\n\r\n")))[0];
        Assert.Equal(431, tooLarge.Status);
        Assert.Equal("request headers too large", JsonDocument.Parse(tooLarge.Body).RootElement.GetProperty("error").GetString());
        var health = (await SendRawAsync(port, Latin1("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")))[0];
        Assert.Equal(200, health.Status);
        Assert.True(JsonDocument.Parse(health.Body).RootElement.GetProperty("ok").GetBoolean());
        await app.StopAsync();
    }

    private static Dictionary<string, string?> MockSettings() => ApiHost.MockSettings(Host.Address, Guest.Address);
}
