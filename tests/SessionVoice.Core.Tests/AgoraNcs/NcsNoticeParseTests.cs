using System.Text;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Core.Tests.AgoraNcs;

/// <summary>Bodies shaped like Agora's documented examples, and the ones <see cref="NcsNotice.Parse"/> must refuse.</summary>
public class NcsNoticeParseTests
{
    private static NcsNotice Parsed(string body)
    {
        var result = NcsNotice.Parse(Encoding.UTF8.GetBytes(body));
        if (result is not NcsParseResult.Parsed parsed)
        {
            Assert.Fail($"expected a notice, got {result}");
            return null;
        }
        return parsed.Notice;
    }

    private static string Invalid(string body) => Invalid(Encoding.UTF8.GetBytes(body));

    private static string Invalid(byte[] body)
    {
        var result = NcsNotice.Parse(body);
        if (result is not NcsParseResult.Invalid invalid)
        {
            Assert.Fail($"expected an error, got {result}");
            return null;
        }
        return invalid.Error;
    }

    private static string Body(string payloadFields, int eventType = 107) =>
        $$"""{"noticeId":"n-1","productId":1,"eventType":{{eventType}},"notifyMs":1625051031000,"payload":{""" + payloadFields.Trim() + "}}";

    [Fact]
    public void Broadcaster_join_with_the_largest_uid()
    {
        var notice = Parsed("""
            {"noticeId":"2000001428:4330:103","productId":1,"eventType":103,"notifyMs":1625051031000,"sid":"6A5F4B8C1D2E",
             "payload":{"channelName":"heaven-6343-7","uid":4294967295,"platform":7,"clientSeq":1625051030746,"ts":1625051030}}
            """);
        Assert.Equal(
            new NcsNotice("2000001428:4330:103", 1, 103, 1625051031000, new NcsPayload("heaven-6343-7", uint.MaxValue, 1625051030746, 1625051030, null, 7, null)),
            notice);
        Assert.True(notice.TryGetObservedEvent(out var e));
        Assert.Equal(new ObservedEvent("2000001428:4330:103", uint.MaxValue, 1625051030746, 1625051030, true, null), e);
    }

    [Fact]
    public void Broadcaster_leave_with_reason_and_duration()
    {
        var notice = Parsed("""
            {"noticeId":"2000001428:4330:104","productId":1,"eventType":104,"notifyMs":1625051631000,
             "payload":{"channelName":"heaven-6343-7","uid":4294967295,"platform":1,"clientSeq":1625051630746,"ts":1625051630,"reason":10,"duration":600}}
            """);
        Assert.Equal(new NcsPayload("heaven-6343-7", uint.MaxValue, 1625051630746, 1625051630, 10, 1, 600), notice.Payload);
        Assert.True(notice.TryGetObservedEvent(out var e));
        Assert.Equal(new ObservedEvent("2000001428:4330:104", uint.MaxValue, 1625051630746, 1625051630, false, 10), e);
    }

    [Fact]
    public void Communication_join_and_leave_with_linux_client_type()
    {
        var join = Parsed("""
            {"noticeId":"a:107","productId":1,"eventType":107,"notifyMs":1625051031000,
             "payload":{"channelName":"heaven-1-2","uid":12345,"platform":6,"clientType":3,"clientSeq":1625051030746,"ts":1625051030}}
            """);
        var leave = Parsed("""
            {"noticeId":"a:108","productId":1,"eventType":108,"notifyMs":1625051091000,
             "payload":{"channelName":"heaven-1-2","uid":12345,"platform":6,"clientType":3,"clientSeq":1625051090746,"ts":1625051090,"reason":1,"duration":60}}
            """);
        Assert.True(join.TryGetObservedEvent(out var j));
        Assert.True(leave.TryGetObservedEvent(out var l));
        Assert.Equal(new ObservedEvent("a:107", 12345, 1625051030746, 1625051030, true, null), j);
        Assert.Equal(new ObservedEvent("a:108", 12345, 1625051090746, 1625051090, false, 1), l);
        Assert.Equal(60, leave.Payload!.Duration);
    }

    [Fact]
    public void Channel_create_and_destroy_have_no_client_seq_and_are_not_presence()
    {
        var create = Parsed("""{"noticeId":"c","productId":1,"eventType":101,"notifyMs":1625051031000,"payload":{"channelName":"heaven-1-2","ts":1625051030}}""");
        var destroy = Parsed("""{"noticeId":"d","productId":1,"eventType":102,"notifyMs":1625051931000,"payload":{"channelName":"heaven-1-2","ts":1625051930,"lastUid":12345}}""");
        Assert.Equal(new NcsPayload("heaven-1-2", null, null, 1625051030, null, null, null), create.Payload);
        Assert.Equal(new NcsPayload("heaven-1-2", null, null, 1625051930, null, null, null), destroy.Payload);
        Assert.False(create.TryGetObservedEvent(out _));
        Assert.False(destroy.TryGetObservedEvent(out _));
    }

    [Fact]
    public void Console_health_check_is_recognised_by_its_channel()
    {
        var check = Parsed("""{"noticeId":"h","productId":1,"eventType":103,"notifyMs":1625051031000,"payload":{"channelName":"test_webhook","uid":12121212,"clientSeq":1,"ts":1625051030}}""");
        Assert.True(check.IsHealthCheck);
        Assert.Equal(NcsNotice.HealthCheckUid, check.Payload!.Uid);
        Assert.True(Parsed("""{"noticeId":"h","productId":1,"eventType":101,"notifyMs":1,"payload":{"channelName":"test_webhook"}}""").IsHealthCheck);
        Assert.False(Parsed(Body("""
            "channelName":"heaven-1-2","uid":12121212,"clientSeq":1,"ts":1
            """)).IsHealthCheck);
        Assert.False(Parsed(Body("""
            "channelName":"TEST_WEBHOOK"
            """)).IsHealthCheck);
        Assert.False(Parsed("""{"noticeId":"h","productId":1,"eventType":101,"notifyMs":1}""").IsHealthCheck);
    }

    [Fact]
    public void The_signature_vectors_body_parses_with_its_unknown_payload_fields_ignored()
    {
        var notice = Parsed("""{"eventType":10,"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","notifyMs":1560408533119,"payload":{"a":"1","b":2},"productId":1}""");
        Assert.Equal(new NcsNotice("4eb720f0-8da7-11e9-a43e-53f411c2761f", 1, 10, 1560408533119, new NcsPayload(null, null, null, null, null, null, null)), notice);
    }

    [Fact]
    public void Absent_or_null_payload_is_null()
    {
        Assert.Null(Parsed("""{"noticeId":"x","productId":1,"eventType":101,"notifyMs":1}""").Payload);
        Assert.Null(Parsed("""{"noticeId":"x","productId":1,"eventType":101,"notifyMs":1,"payload":null}""").Payload);
    }

    [Fact]
    public void Null_optional_fields_count_as_absent()
    {
        Assert.Equal(new NcsPayload(null, null, null, null, null, null, null), Parsed(Body("""
            "channelName":null,"uid":null,"clientSeq":null,"ts":null,"reason":null,"platform":null,"duration":null
            """)).Payload);
    }

    [Fact]
    public void Boundary_values_are_accepted()
    {
        var notice = Parsed(Body($$"""
            "uid":0,"clientSeq":{{long.MaxValue}},"ts":{{(1L << 40) - 1}},"reason":{{int.MinValue}},"duration":0
            """));
        Assert.Equal(new NcsPayload(null, 0u, long.MaxValue, (1L << 40) - 1, int.MinValue, null, 0), notice.Payload);
        Assert.Equal(long.MinValue, Parsed(Body($"\"clientSeq\":{long.MinValue}")).Payload!.ClientSeq);
    }

    [Fact]
    public void A_join_without_uid_client_seq_or_ts_is_not_an_observed_event()
    {
        Assert.False(Parsed(Body("\"clientSeq\":1,\"ts\":1")).TryGetObservedEvent(out _));
        Assert.False(Parsed(Body("\"uid\":1,\"ts\":1")).TryGetObservedEvent(out _));
        Assert.False(Parsed(Body("\"uid\":1,\"clientSeq\":1")).TryGetObservedEvent(out _));
        Assert.False(Parsed("""{"noticeId":"x","productId":1,"eventType":108,"notifyMs":1}""").TryGetObservedEvent(out _));
        Assert.True(Parsed(Body("\"uid\":1,\"clientSeq\":1,\"ts\":1")).TryGetObservedEvent(out _));
    }

    [Theory]
    [InlineData(111)]
    [InlineData(112)]
    [InlineData(101)]
    [InlineData(1)]
    public void Other_event_types_are_not_observed_events(int eventType)
    {
        Assert.False(Parsed(Body("\"uid\":1,\"clientSeq\":1,\"ts\":1", eventType)).TryGetObservedEvent(out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"noticeId\":\"x\",}")]
    [InlineData("{'noticeId':'x'}")]
    [InlineData("{\"noticeId\":\"x\"} {}")]
    [InlineData("{\"noticeId\":\"x\" /* c */}")]
    [InlineData("nul")]
    public void Malformed_json_is_an_error(string body)
    {
        Assert.StartsWith("malformed JSON", Invalid(body), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_an_error()
    {
        var body = Encoding.UTF8.GetBytes("""{"noticeId":"xx","productId":1,"eventType":107,"notifyMs":1}""");
        body[13] = 0xff;
        Assert.Equal("the body is not UTF-8", Invalid(body));
        body[13] = (byte)'x';
        body[^2] = 0xc3;
        Assert.Equal("the body is not UTF-8", Invalid(body));
    }

    [Fact]
    public void An_escaped_lone_surrogate_is_an_error()
    {
        Assert.StartsWith("noticeId must be", Invalid("""{"noticeId":"a\ud800b","productId":1,"eventType":107,"notifyMs":1}"""), StringComparison.Ordinal);
        Assert.StartsWith("payload.channelName must be", Invalid(Body("\"channelName\":\"\\udc00\"")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"x\"")]
    [InlineData("107")]
    [InlineData("true")]
    public void A_root_that_is_not_an_object_is_an_error(string body)
    {
        Assert.Equal("the body must be a JSON object", Invalid(body));
    }

    [Theory]
    [InlineData("""{"productId":1,"eventType":107,"notifyMs":1}""", "noticeId is required")]
    [InlineData("""{"noticeId":null,"productId":1,"eventType":107,"notifyMs":1}""", "noticeId is required")]
    [InlineData("""{"noticeId":"","productId":1,"eventType":107,"notifyMs":1}""", "noticeId must not be empty")]
    [InlineData("""{"noticeId":7,"productId":1,"eventType":107,"notifyMs":1}""", "noticeId must be a string")]
    [InlineData("""{"noticeId":"x","eventType":107,"notifyMs":1}""", "productId is required")]
    [InlineData("""{"noticeId":"x","productId":"1","eventType":107,"notifyMs":1}""", "productId must be an integer")]
    [InlineData("""{"noticeId":"x","productId":1,"notifyMs":1}""", "eventType is required")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":107.0,"notifyMs":1}""", "eventType must be an integer")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":1e2,"notifyMs":1}""", "eventType must be an integer")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":2147483648,"notifyMs":1}""", "eventType must be an integer")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":107}""", "notifyMs is required")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":107,"notifyMs":-1}""", "notifyMs must be an integer")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":107,"notifyMs":9223372036854775808}""", "notifyMs must be an integer")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":107,"notifyMs":1,"payload":[]}""", "payload must be an object")]
    [InlineData("""{"noticeId":"x","productId":1,"eventType":107,"notifyMs":1,"payload":"{}"}""", "payload must be an object")]
    public void Missing_or_mistyped_top_level_fields_are_errors(string body, string error)
    {
        Assert.StartsWith(error, Invalid(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"uid\":\"12345\"", "payload.uid")]
    [InlineData("\"uid\":-1", "payload.uid")]
    [InlineData("\"uid\":4294967296", "payload.uid")]
    [InlineData("\"uid\":12345.0", "payload.uid")]
    [InlineData("\"uid\":12345.5", "payload.uid")]
    [InlineData("\"uid\":1.2345e4", "payload.uid")]
    [InlineData("\"uid\":true", "payload.uid")]
    [InlineData("\"uid\":{}", "payload.uid")]
    [InlineData("\"uid\":99999999999999999999999999999999999999", "payload.uid")]
    [InlineData("\"clientSeq\":\"1625051030746\"", "payload.clientSeq")]
    [InlineData("\"clientSeq\":1625051030746.5", "payload.clientSeq")]
    [InlineData("\"clientSeq\":9223372036854775808", "payload.clientSeq")]
    [InlineData("\"clientSeq\":-9223372036854775809", "payload.clientSeq")]
    [InlineData("\"clientSeq\":1e400", "payload.clientSeq")]
    [InlineData("\"ts\":1625051030.5", "payload.ts")]
    [InlineData("\"ts\":1625051030.0", "payload.ts")]
    [InlineData("\"ts\":-1", "payload.ts")]
    [InlineData("\"ts\":1099511627776", "payload.ts")]
    [InlineData("\"ts\":\"1625051030\"", "payload.ts")]
    [InlineData("\"reason\":2147483648", "payload.reason")]
    [InlineData("\"reason\":\"1\"", "payload.reason")]
    [InlineData("\"platform\":7.5", "payload.platform")]
    [InlineData("\"duration\":-1", "payload.duration")]
    [InlineData("\"channelName\":7", "payload.channelName")]
    [InlineData("\"channelName\":[\"a\"]", "payload.channelName")]
    public void Mistyped_or_out_of_range_payload_fields_are_errors(string field, string name)
    {
        Assert.StartsWith(name + " must be", Invalid(Body(field)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_problem_is_reported()
    {
        Assert.StartsWith("productId", Invalid("""{"noticeId":"x","productId":"1","eventType":"107","notifyMs":1,"payload":{"uid":-1}}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_numbers_in_unknown_fields_are_ignored()
    {
        var notice = Parsed(Body("\"uid\":1,\"lastUid\":1e400,\"sid\":123456789012345678901234567890,\"clientType\":-0.5"));
        Assert.Equal(1u, notice.Payload!.Uid);
    }

    [Fact]
    public void A_huge_body_of_digits_is_an_error_not_a_crash()
    {
        Assert.StartsWith("payload.uid", Invalid(Body("\"uid\":" + new string('9', 100_000))), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_are_refused()
    {
        Invalid("""{"noticeId":"x","productId":1,"eventType":107,"eventType":108,"notifyMs":1}""");
        Invalid(Body("\"uid\":1,\"uid\":2"));
        Invalid(Body("\"other\":1,\"other\":2"));
    }

    [Fact]
    public void Deep_nesting_is_refused()
    {
        var deep = new string('[', 64) + new string(']', 64);
        Assert.StartsWith("malformed JSON", Invalid(Body("\"extra\":" + deep)), StringComparison.Ordinal);
        Assert.StartsWith("malformed JSON", Invalid(new string('[', 100_000) + new string(']', 100_000)), StringComparison.Ordinal);
        // Agora's own depth (root → payload) with a few levels of unknown fields is fine.
        Parsed(Body("\"extra\":[[[{\"a\":[1]}]]]"));
    }

    [Fact]
    public void Strings_are_unescaped()
    {
        var notice = Parsed("""{"noticeId":"a\u002Fb\"c","productId":1,"eventType":107,"notifyMs":1,"payload":{"channelName":"heaven\u002D1-2"}}""");
        Assert.Equal("a/b\"c", notice.NoticeId);
        Assert.Equal("heaven-1-2", notice.Payload!.ChannelName);
    }
}
