using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace SessionVoice.Core.Tests.Agora;

/// <summary>
/// A test-side reader of "007" tokens, written from agora.md §A independently of the builder, so
/// a token can be checked field by field and its signature recomputed.
/// </summary>
internal sealed record DecodedToken(
    byte[] Content,
    byte[] Signature,
    byte[] SigningInfo,
    string AppId,
    uint IssueTs,
    uint Expire,
    uint Salt,
    IReadOnlyList<DecodedService> Services)
{
    public DecodedService Rtc => Services.Single(s => s.Type == 1);

    public static byte[] Inflate(string token)
    {
        Assert.StartsWith("007", token, StringComparison.Ordinal);
        var compressed = Convert.FromBase64String(token[3..]);
        // zlib, not raw deflate: 0x78 then a header check byte.
        Assert.Equal(0x78, compressed[0]);
        using var input = new MemoryStream(compressed);
        using var zlib = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    public static DecodedToken Parse(string token)
    {
        var content = Inflate(token);
        var r = new Reader(content);
        var signature = r.Bytes();
        var signingInfoStart = r.Position;
        var appId = Encoding.UTF8.GetString(r.Bytes());
        var issueTs = r.U32();
        var expire = r.U32();
        var salt = r.U32();
        var count = r.U16();
        var services = new List<DecodedService>();
        for (var i = 0; i < count; i++)
        {
            var type = r.U16();
            var privilegeCount = r.U16();
            var privileges = new List<(ushort, uint)>();
            for (var j = 0; j < privilegeCount; j++)
            {
                privileges.Add((r.U16(), r.U32()));
            }
            var strings = type switch
            {
                1 => new[] { r.String(), r.String() },
                2 => new[] { r.String() },
                _ => throw new InvalidDataException($"service {type} not expected"),
            };
            services.Add(new DecodedService(type, privileges, strings));
        }
        Assert.Equal(content.Length, r.Position);
        return new DecodedToken(content, signature, content[signingInfoStart..], appId, issueTs, expire, salt, services);
    }

    public bool SignatureValidFor(string appCertificate)
    {
        Span<byte> ts = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(ts, IssueTs);
        var k1 = HMACSHA256.HashData(ts, Encoding.ASCII.GetBytes(appCertificate));
        BinaryPrimitives.WriteUInt32LittleEndian(ts, Salt);
        var k2 = HMACSHA256.HashData(ts, k1);
        return HMACSHA256.HashData(k2, SigningInfo).AsSpan().SequenceEqual(Signature);
    }

    private sealed class Reader(byte[] data)
    {
        public int Position { get; private set; }

        public ushort U16()
        {
            var v = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(Position));
            Position += 2;
            return v;
        }

        public uint U32()
        {
            var v = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(Position));
            Position += 4;
            return v;
        }

        public byte[] Bytes()
        {
            var length = U16();
            var v = data.AsSpan(Position, length).ToArray();
            Position += length;
            return v;
        }

        public string String() => Encoding.UTF8.GetString(Bytes());
    }
}

/// <summary>Strings: RTC = [channel, uid string]; RTM = [user id].</summary>
internal sealed record DecodedService(ushort Type, IReadOnlyList<(ushort Id, uint Expire)> Privileges, string[] Strings);
