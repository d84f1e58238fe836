using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace SessionVoice.Core.Agora.Ncs;

/// <summary>
/// The event details of a notice (agora.md B). Absent fields are null: 101/102 carry no
/// <c>clientSeq</c>, only leaves carry <c>reason</c> and <c>duration</c>.
/// </summary>
/// <param name="Ts">Event time in unix <em>seconds</em>.</param>
/// <param name="Duration">Seconds in the channel, on leave events.</param>
public sealed record NcsPayload(string? ChannelName, uint? Uid, long? ClientSeq, long? Ts, int? Reason, int? Platform, long? Duration);

/// <summary>
/// One NCS webhook body. <paramref name="NotifyMs"/> is the send time and changes on every resend, so
/// it neither identifies nor orders anything; <paramref name="NoticeId"/> identifies the notice.
/// </summary>
public sealed record NcsNotice(string NoticeId, int ProductId, int EventType, long NotifyMs, NcsPayload? Payload)
{
    /// <summary>The channel of the Console's "test" button (agora.md B), sent with uid <see cref="HealthCheckUid"/>.</summary>
    public const string HealthCheckChannel = "test_webhook";

    public const uint HealthCheckUid = 12121212;

    /// <summary>
    /// <c>ts</c> is accepted below 2^40 seconds (year ~36800), so <c>ts * 1000</c> and the 1 ms nudges
    /// of <see cref="ObservedPresence"/> stay far from overflow.
    /// </summary>
    public const long TsSecondsLimit = 1L << 40;

    /// <summary>Agora's body nests one level (<c>payload</c>); a little slack for unknown fields, no more.</summary>
    private const int MaxDepth = 8;

    private static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = MaxDepth,
        // The signature covers the bytes, but parsers disagree on which of two equal keys wins.
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>
    /// The Console's health check: a request to answer with 200, never presence. The channel alone
    /// decides, because <c>test_webhook</c> is never a booking channel whatever uid comes with it.
    /// </summary>
    public bool IsHealthCheck => string.Equals(Payload?.ChannelName, HealthCheckChannel, StringComparison.Ordinal);

    /// <summary>
    /// Parses a body strictly: numbers must be JSON integers in their range (no fractions, exponents or
    /// quoted numbers), uid in 0..2^32−1, <c>ts</c> in 0..2^40−1; a JSON null counts as an absent optional
    /// field; duplicate keys are refused; unknown fields (<c>sid</c>, <c>clientType</c>, <c>lastUid</c>, …)
    /// are ignored.
    /// </summary>
    public static NcsParseResult Parse(ReadOnlySpan<byte> rawBody)
    {
        // The reader leaves string contents unchecked until they are read; refuse the body up front.
        if (!Utf8.IsValid(rawBody))
        {
            return new NcsParseResult.Invalid("the body is not UTF-8");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(rawBody.ToArray(), Options);
        }
        catch (JsonException e)
        {
            return new NcsParseResult.Invalid("malformed JSON: " + e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new NcsParseResult.Invalid("the body must be a JSON object");
            }
            var r = new FieldReader();
            var noticeId = r.String(root, "noticeId", required: true);
            var productId = r.Integer(root, "productId", int.MinValue, int.MaxValue, required: true);
            var eventType = r.Integer(root, "eventType", int.MinValue, int.MaxValue, required: true);
            var notifyMs = r.Integer(root, "notifyMs", 0, long.MaxValue, required: true);
            var payload = ReadPayload(root, r);
            if (r.Error is not null)
            {
                return new NcsParseResult.Invalid(r.Error);
            }
            if (noticeId!.Length == 0)
            {
                return new NcsParseResult.Invalid("noticeId must not be empty");
            }
            return new NcsParseResult.Parsed(new NcsNotice(noticeId, (int)productId!.Value, (int)eventType!.Value, notifyMs!.Value, payload));
        }
    }

    /// <summary>
    /// The observed join or leave this notice reports: false for every other event type, and for a
    /// join or leave without uid, <c>clientSeq</c> or <c>ts</c> (it could not be ordered).
    /// </summary>
    public bool TryGetObservedEvent([NotNullWhen(true)] out ObservedEvent? observed)
    {
        observed = null;
        var join = NcsEventTypes.IsJoin(EventType);
        if (!join && !NcsEventTypes.IsLeave(EventType)
            || Payload is not { Uid: { } uid, ClientSeq: { } clientSeq, Ts: { } ts })
        {
            return false;
        }
        observed = new ObservedEvent(NoticeId, uid, clientSeq, ts, join, join ? null : Payload.Reason);
        return true;
    }

    private static NcsPayload? ReadPayload(JsonElement root, FieldReader r)
    {
        if (!root.TryGetProperty("payload", out var p) || p.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (p.ValueKind != JsonValueKind.Object)
        {
            r.Fail("payload must be an object");
            return null;
        }
        var channelName = r.String(p, "channelName", required: false, prefix: "payload.");
        var uid = r.Integer(p, "uid", 0, uint.MaxValue, required: false, prefix: "payload.");
        var clientSeq = r.Integer(p, "clientSeq", long.MinValue, long.MaxValue, required: false, prefix: "payload.");
        var ts = r.Integer(p, "ts", 0, TsSecondsLimit - 1, required: false, prefix: "payload.");
        var reason = r.Integer(p, "reason", int.MinValue, int.MaxValue, required: false, prefix: "payload.");
        var platform = r.Integer(p, "platform", int.MinValue, int.MaxValue, required: false, prefix: "payload.");
        var duration = r.Integer(p, "duration", 0, long.MaxValue, required: false, prefix: "payload.");
        return new NcsPayload(channelName, (uint?)uid, clientSeq, ts, (int?)reason, (int?)platform, duration);
    }

    /// <summary>Reads typed fields and keeps the first problem, so <see cref="Parse"/> reads straight through.</summary>
    private sealed class FieldReader
    {
        public string? Error { get; private set; }

        public void Fail(string error) => Error ??= error;

        public string? String(JsonElement obj, string name, bool required, string prefix = "")
        {
            if (!Present(obj, name, required, prefix, out var value))
            {
                return null;
            }
            if (value.ValueKind != JsonValueKind.String)
            {
                Fail($"{prefix}{name} must be a string");
                return null;
            }
            try
            {
                return value.GetString();
            }
            catch (InvalidOperationException)
            {
                // An escaped lone surrogate such as \ud800 has no string.
                Fail($"{prefix}{name} must be a valid string");
                return null;
            }
        }

        public long? Integer(JsonElement obj, string name, long min, long max, bool required, string prefix = "")
        {
            if (!Present(obj, name, required, prefix, out var value))
            {
                return null;
            }
            // TryGetInt64 refuses fractions, exponents and anything outside 64 bits.
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n) || n < min || n > max)
            {
                Fail($"{prefix}{name} must be an integer in {min}..{max}");
                return null;
            }
            return n;
        }

        private bool Present(JsonElement obj, string name, bool required, string prefix, out JsonElement value)
        {
            if (obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
            {
                return true;
            }
            if (required)
            {
                Fail($"{prefix}{name} is required");
            }
            return false;
        }
    }
}
