using System.Text;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Core.Tests.AgoraNcs;

/// <summary>Agora's published signature vector (agora.md B) and what must not verify.</summary>
public class NcsSignatureTests
{
    private const string Body =
        """{"eventType":10,"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","notifyMs":1560408533119,"payload":{"a":"1","b":2},"productId":1}""";

    private const string Sha256 = "de96da5acf03b0021ac3b4fa2225e7ae6f3533a30d50bb02c08ea4fa748bda24";
    private const string Sha1 = "5a3bb6a6d9fad2ea9ae3fb707a14c9d7f3136df1";

    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("secret");
    private static readonly byte[] BodyBytes = Encoding.UTF8.GetBytes(Body);

    public static TheoryData<NcsSignatureAlgorithm, string> Vectors => new()
    {
        { NcsSignatureAlgorithm.HmacSha256, Sha256 },
        { NcsSignatureAlgorithm.HmacSha1, Sha1 },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Official_vector_computes_to_the_published_hex(NcsSignatureAlgorithm algorithm, string expected)
    {
        Assert.Equal(expected, NcsSignature.Compute(Secret, BodyBytes, algorithm));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Official_vector_verifies(NcsSignatureAlgorithm algorithm, string signature)
    {
        Assert.True(NcsSignature.Verify(Secret, BodyBytes, signature, algorithm));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Upper_case_hex_is_accepted(NcsSignatureAlgorithm algorithm, string signature)
    {
        Assert.True(NcsSignature.Verify(Secret, BodyBytes, signature.ToUpperInvariant(), algorithm));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Every_flipped_body_byte_fails(NcsSignatureAlgorithm algorithm, string signature)
    {
        for (var i = 0; i < BodyBytes.Length; i++)
        {
            var tampered = (byte[])BodyBytes.Clone();
            tampered[i] ^= 0x01;
            Assert.False(NcsSignature.Verify(Secret, tampered, signature, algorithm), $"byte {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Every_changed_signature_digit_fails(NcsSignatureAlgorithm algorithm, string signature)
    {
        for (var i = 0; i < signature.Length; i++)
        {
            var chars = signature.ToCharArray();
            chars[i] = chars[i] == '0' ? '1' : '0';
            Assert.False(NcsSignature.Verify(Secret, BodyBytes, new string(chars), algorithm), $"digit {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void The_same_json_reserialised_fails(NcsSignatureAlgorithm algorithm, string signature)
    {
        string[] reserialised =
        [
            """{"eventType": 10, "noticeId": "4eb720f0-8da7-11e9-a43e-53f411c2761f", "notifyMs": 1560408533119, "payload": {"a": "1", "b": 2}, "productId": 1}""",
            """{"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","productId":1,"eventType":10,"notifyMs":1560408533119,"payload":{"a":"1","b":2}}""",
            Body + "\n",
        ];
        foreach (var body in reserialised)
        {
            Assert.False(NcsSignature.Verify(Secret, Encoding.UTF8.GetBytes(body), signature, algorithm), body);
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Wrong_secret_fails(NcsSignatureAlgorithm algorithm, string signature)
    {
        Assert.False(NcsSignature.Verify("Secret"u8, BodyBytes, signature, algorithm));
        Assert.False(NcsSignature.Verify("secret "u8, BodyBytes, signature, algorithm));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void An_empty_secret_never_verifies_even_its_own_signature(NcsSignatureAlgorithm algorithm, string _)
    {
        var signedWithNothing = NcsSignature.Compute([], BodyBytes, algorithm);
        Assert.False(NcsSignature.Verify([], BodyBytes, signedWithNothing, algorithm));
    }

    [Fact]
    public void The_other_algorithms_signature_fails()
    {
        Assert.False(NcsSignature.Verify(Secret, BodyBytes, Sha1, NcsSignatureAlgorithm.HmacSha256));
        Assert.False(NcsSignature.Verify(Secret, BodyBytes, Sha256, NcsSignatureAlgorithm.HmacSha1));
    }

    public static TheoryData<string> BadHeaders => new()
    {
        "",
        " ",
        Sha256[..^1],
        Sha256 + "0",
        Sha256[..^2],
        Sha256 + "00",
        "g" + Sha256[1..],
        Sha256[..^1] + "z",
        " " + Sha256[1..],
        Sha256[..^1] + " ",
        " " + Sha256,
        Sha256 + " ",
        "sha256=" + Sha256,
        Sha256[..32] + "-" + Sha256[33..],
        new string('0', 64),
        "０" + Sha256[1..],
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Malformed_headers_fail(string header)
    {
        Assert.False(NcsSignature.Verify(Secret, BodyBytes, header, NcsSignatureAlgorithm.HmacSha256));
        Assert.False(NcsSignature.Verify(Secret, BodyBytes, header.Replace(Sha256, Sha1, StringComparison.Ordinal), NcsSignatureAlgorithm.HmacSha1));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void A_missing_header_fails(NcsSignatureAlgorithm algorithm, string _)
    {
        Assert.False(NcsSignature.Verify(Secret, BodyBytes, null, algorithm));
    }

    [Fact]
    public void Header_names_are_agoras()
    {
        Assert.Equal("Agora-Signature-V2", NcsSignature.V2Header);
        Assert.Equal("Agora-Signature", NcsSignature.V1Header);
        Assert.Equal(NcsSignature.V2Header, NcsSignature.HeaderFor(NcsSignatureAlgorithm.HmacSha256));
        Assert.Equal(NcsSignature.V1Header, NcsSignature.HeaderFor(NcsSignatureAlgorithm.HmacSha1));
    }

    [Fact]
    public void Empty_body_signs_and_verifies()
    {
        var signature = NcsSignature.Compute(Secret, [], NcsSignatureAlgorithm.HmacSha256);
        Assert.True(NcsSignature.Verify(Secret, [], signature, NcsSignatureAlgorithm.HmacSha256));
        Assert.False(NcsSignature.Verify(Secret, "{}"u8, signature, NcsSignatureAlgorithm.HmacSha256));
    }
}
