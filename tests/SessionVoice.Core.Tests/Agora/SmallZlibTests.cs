using System.IO.Compression;
using System.Runtime.InteropServices;
using SessionVoice.Core.Agora;

namespace SessionVoice.Core.Tests.Agora;

/// <summary>
/// The token compressor against two real zlibs: .NET's inflater reads back every output, and the
/// reference zlib (Debian's libz.so.1, <c>compress2</c> at level 6) writes the same bytes whenever
/// it chooses a fixed-code or stored block — the only two kinds SmallZlib writes.
/// </summary>
public partial class SmallZlibTests
{
    private static byte[] Compress(ReadOnlySpan<byte> input)
    {
        var output = new byte[SmallZlib.MaxOutputLength(input.Length)];
        var length = SmallZlib.Compress(input, output);
        return output[..length];
    }

    private static byte[] Inflate(byte[] zlib)
    {
        using var source = new ZLibStream(new MemoryStream(zlib), CompressionMode.Decompress);
        using var result = new MemoryStream();
        source.CopyTo(result);
        return result.ToArray();
    }

    /// <summary>Inputs of many shapes: random bytes, small alphabets, runs, repeated phrases, token contents.</summary>
    private static IEnumerable<byte[]> Inputs(int seed, int count)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var length = (i % 4) switch
            {
                0 => random.Next(0, 40),
                1 => random.Next(40, 400),
                2 => random.Next(400, 1500),
                _ => random.Next(1500, SmallZlib.MaxInput + 1),
            };
            var bytes = new byte[length];
            switch (i % 5)
            {
                case 0:
                    random.NextBytes(bytes);
                    break;
                case 1:
                    var alphabet = random.Next(1, 6);
                    for (var j = 0; j < length; j++)
                    {
                        bytes[j] = (byte)('a' + random.Next(alphabet));
                    }
                    break;
                case 2:
                    for (var j = 0; j < length;)
                    {
                        var run = Math.Min(length - j, random.Next(1, 400));
                        bytes.AsSpan(j, run).Fill((byte)random.Next(256));
                        j += run;
                    }
                    break;
                case 3:
                    var phrase = new byte[random.Next(3, 40)];
                    random.NextBytes(phrase);
                    for (var j = 0; j < length; j++)
                    {
                        bytes[j] = random.Next(50) == 0 ? (byte)random.Next(256) : phrase[j % phrase.Length];
                    }
                    break;
                default:
                    bytes = TokenContent(random);
                    break;
            }
            yield return bytes;
        }
    }

    private static byte[] TokenContent(Random random)
    {
        var hex = "0123456789abcdef";
        var creds = new AgoraCredentials(
            new string([.. Enumerable.Range(0, 32).Select(_ => hex[random.Next(16)])]),
            new string([.. Enumerable.Range(0, 32).Select(_ => hex[random.Next(16)])]));
        var channel = "heaven-" + random.Next(1, 100_000) + "-" + random.NextInt64(1, long.MaxValue);
        var expire = (uint)random.Next(60, 86_401);
        var privileges = new Dictionary<RtcPrivilege, uint> { [RtcPrivilege.JoinChannel] = expire, [RtcPrivilege.PublishAudioStream] = expire };
        if (random.Next(2) == 0)
        {
            privileges[RtcPrivilege.PublishVideoStream] = expire;
        }
        return AccessToken2.BuildRtcContent(creds, channel, (uint)random.NextInt64(1, uint.MaxValue), (uint)random.NextInt64(0, uint.MaxValue),
            (uint)random.Next(1, 100_000_000), expire, privileges).Content;
    }

    [Fact]
    public void Every_output_inflates_to_its_input()
    {
        var checkedInputs = 0;
        foreach (var input in Inputs(seed: 1950, count: 3000))
        {
            var compressed = Compress(input);
            Assert.Equal([0x78, 0x9C], compressed[..2]);
            Assert.Equal(input, Inflate(compressed));
            Assert.True(compressed.Length <= input.Length + 11, $"{compressed.Length} bytes for {input.Length}");
            checkedInputs++;
        }
        Assert.Equal(3000, checkedInputs);
    }

    [Fact]
    public void Edges_inflate_to_their_input()
    {
        byte[][] inputs =
        [
            [],
            [7],
            [1, 2],
            [.. Enumerable.Repeat((byte)'a', 3)],
            [.. Enumerable.Repeat((byte)'a', 259)],       // one literal + one 258 match (code 285)
            [.. Enumerable.Repeat((byte)'a', 260)],
            [.. Enumerable.Repeat((byte)0, SmallZlib.MaxInput)],
            [.. Enumerable.Range(0, SmallZlib.MaxInput).Select(i => (byte)(i * 7919 >> 3))],
        ];
        foreach (var input in inputs)
        {
            Assert.Equal(input, Inflate(Compress(input)));
        }
        // A match at the greatest distance the input allows, and one 4096 back.
        var far = new byte[SmallZlib.MaxInput];
        new Random(4096).NextBytes(far);
        far.AsSpan(0, 16).CopyTo(far.AsSpan(SmallZlib.MaxInput - 16));
        Assert.Equal(far, Inflate(Compress(far)));
    }

    [Fact]
    public void Incompressible_input_is_stored_and_repetitive_input_shrinks()
    {
        var random = new byte[300];
        new Random(11).NextBytes(random);
        var stored = Compress(random);
        Assert.Equal(0b001, stored[2] & 0b111); // final, stored
        Assert.Equal(300 + 11, stored.Length);

        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("heaven-session ", 40)));
        var fixedCodes = Compress(text);
        Assert.Equal(0b011, fixedCodes[2] & 0b111); // final, fixed codes
        Assert.True(fixedCodes.Length < 40, $"{fixedCodes.Length} bytes");
    }

    [Fact]
    public void Too_long_input_or_short_output_is_refused()
    {
        Assert.Throws<ArgumentException>(() => SmallZlib.Compress(new byte[SmallZlib.MaxInput + 1], new byte[SmallZlib.MaxOutputLength(SmallZlib.MaxInput + 1)]));
        Assert.Throws<ArgumentException>(() => SmallZlib.Compress(new byte[10], new byte[SmallZlib.MaxOutputLength(10) - 1]));
    }

    [Fact]
    public void Bytes_equal_reference_zlib_level_6_for_every_fixed_or_stored_block()
    {
        if (!NativeLibrary.TryLoad("libz.so.1", out var handle))
        {
            Assert.Skip("the reference zlib (libz.so.1, Debian zlib1g) is not installed");
        }
        NativeLibrary.Free(handle);
        int same = 0, dynamic = 0;
        foreach (var input in Inputs(seed: 1951, count: 3000).Concat(Enumerable.Range(0, 500).Select(i => TokenContent(new Random(i)))))
        {
            var reference = ReferenceZlib(input);
            if ((reference[2] >> 1 & 0b11) == 0b10)
            {
                dynamic++; // dynamic trees: SmallZlib never writes them (never smaller for a token)
                continue;
            }
            Assert.Equal(reference, Compress(input));
            same++;
        }
        Assert.True(same > 1500, $"{same} compared, {dynamic} dynamic");
        // Token contents are never better off with dynamic trees: all 500 compared above.
        foreach (var i in Enumerable.Range(0, 500))
        {
            var content = TokenContent(new Random(i));
            Assert.Equal(ReferenceZlib(content), Compress(content));
        }
    }

    private static byte[] ReferenceZlib(byte[] input)
    {
        var output = new byte[input.Length + 64];
        var length = (nuint)output.Length;
        Assert.Equal(0, Compress2(output, ref length, input, (nuint)input.Length, 6));
        return output[..(int)length];
    }

    [LibraryImport("libz.so.1", EntryPoint = "compress2")]
    private static partial int Compress2(byte[] dest, ref nuint destLen, byte[] source, nuint sourceLen, int level);
}
